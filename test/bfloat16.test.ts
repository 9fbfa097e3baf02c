/**
 * bfloat16: the top half of a float32, rounded half to even (JAX/ml_dtypes' conversion), promoted
 * as JAX (`jnp.promote_types`: bfloat16 ⊔ float16 = float32, any integer or bool with bfloat16 is
 * bfloat16), computed in float32 and rounded on every backend, stored in 16 bits. Expected values
 * are `jnp.array(x, jnp.bfloat16)`'s.
 */
import { expect } from "chai";
import { type DType, type Tensor, jit, np } from "kiln";
import { DTYPES, DTypeError, interpret, promoteTypes, roundToBfloat16 } from "kiln/internal";
import { useWebgpu } from "./webgpu/env.js";
import { useCpu } from "./util.js";

const bf = (v: number[]) => np.array(v, { dtype: "bfloat16" });
const isBf16 = (vals: readonly number[]) => vals.every((v) => Number.isNaN(v) || roundToBfloat16(v) === v);
const ramp = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) / 7);

describe("bfloat16: promotion (JAX's lattice)", () => {
  // jnp.promote_types(jnp.bfloat16, t) for t in the row's order (float64: kiln's cpu float64).
  const ROW: Record<DType, DType> = {
    bool: "bfloat16", uint8: "bfloat16", uint32: "bfloat16", int32: "bfloat16",
    float16: "float32", bfloat16: "bfloat16", float32: "float32", float64: "float64",
  };

  it("bfloat16 with every dtype, both orders", () => {
    for (const d of DTYPES) {
      expect(promoteTypes("bfloat16", false, d, false), `bfloat16 ⊔ ${d}`).to.equal(ROW[d]);
      expect(promoteTypes(d, false, "bfloat16", false), `${d} ⊔ bfloat16`).to.equal(ROW[d]);
    }
  });

  it("through np: float16 + bfloat16 is float32, int32 + bfloat16 is bfloat16, a weak float keeps bfloat16", () => {
    expect(np.add(bf([1]), np.array([1], { dtype: "float16" })).dtype).to.equal("float32");
    expect(np.add(np.array([1], { dtype: "int32" }), bf([1])).dtype).to.equal("bfloat16");
    expect(bf([1]).mul(1.5).dtype).to.equal("bfloat16");
    expect(np.bfloat16).to.equal("bfloat16");
  });
});

describe("bfloat16: rounding (cpu)", () => {
  useCpu();

  it("data is rounded half to even to the top 16 bits of its float32 (overflow to inf, subnormals kept)", () => {
    // jnp.array([0.1, 1 + 2**-8, 1 + 3 * 2**-8, 3.4e38, -3.4e38, 1e-40], jnp.bfloat16)
    const got = Array.from(bf([0.1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38, -3.4e38, 1e-40]).dataSync());
    expect(got).to.deep.equal([0.10009765625, 1, 1 + 2 ** -6, Infinity, -Infinity, 2 ** -133]);
    expect(Number.isNaN(bf([NaN]).dataSync()[0])).to.equal(true);
  });

  it("astype to and from bfloat16", () => {
    expect(Array.from(np.array([0.1, 257]).astype("bfloat16").dataSync())).to.deep.equal([0.10009765625, 256]);
    expect(bf([0.1]).astype("float32").dataSync()[0]).to.equal(0.10009765625);
    expect(Array.from(bf([-2.5, 300]).astype("int32").dataSync())).to.deep.equal([-2, 300]);
  });

  it("a view between bfloat16 and float16 (both 2 bytes) is a DTypeError", () => {
    expect(() => bf([1]).view("float16")).to.throw(DTypeError, /bfloat16 and float16 cannot be viewed/);
  });
});

interface Case {
  readonly name: string;
  readonly run: () => Tensor;
  readonly want?: readonly number[];
  /** The cpu contraction accumulates in float32 (the SIMD microkernel): an ulp from the float64 interpreter. */
  readonly f32Accumulation?: true;
}

const CASES: readonly Case[] = [
  // jnp.array([1, 3], jnp.bfloat16) * 0.1: the weak 0.1 becomes bfloat16 first.
  { name: "a weak scalar keeps bfloat16", run: () => bf([1, 3]).mul(0.1), want: [0.10009765625, 0.30078125] },
  { name: "add rounds (1 + 2^-8 is a tie: to even)", run: () => bf([1, 1]).add(bf([2 ** -8, 2 ** -7])), want: [1, 1 + 2 ** -7] },
  { name: "exp and tanh", run: () => np.tanh(np.exp(bf([0.1, 1 / 3, -2]))) },
  { name: "a sum (rounded once)", run: () => np.sum(bf(ramp(300))) },
  { name: "cumsum and sort (library kernels)", run: () => np.sort(np.cumsum(bf(ramp(20)).mul(-1))) },
  { name: "a contraction", run: () => np.matmul(bf(ramp(64)).reshape([8, 8]), bf(ramp(64)).reshape([8, 8]).div(9)), f32Accumulation: true },
];

describe("bfloat16: values on cpu match the interpreter", () => {
  useCpu();
  for (const c of CASES) {
    it(c.name, async () => {
      const t = c.run();
      expect(t.dtype).to.equal("bfloat16");
      const got = Array.from(await t.data());
      expect(isBf16(got), `${got}`).to.equal(true);
      if (!c.f32Accumulation) expect(got).to.deep.equal(Array.from(interpret([c.run().node])[0]!), "the interpreter's values");
      if (c.want) expect(got).to.deep.equal(c.want);
      expect(Array.from(await jit(c.run)().data())).to.deep.equal(got, "jit");
    });
  }
});

describe("bfloat16: values on webgpu (f32 registers rounded by bf16r_)", () => {
  useWebgpu();
  // The device computes in f32 and rounds: a value may sit one ulp from the interpreter's where the
  // float32 computations differ, so only the values with `want` are exact.
  for (const c of CASES) {
    it(c.name, async () => {
      const got = Array.from(await c.run().data());
      expect(isBf16(got), `${got}`).to.equal(true);
      if (c.want) expect(got).to.deep.equal(c.want);
      expect(isBf16(Array.from(await jit(c.run)().data()))).to.equal(true, "jit");
    });
  }
});
