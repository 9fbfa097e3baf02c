/**
 * float16 values are halves: every float16 result is the float32 computation rounded to the
 * nearest binary16 (half to even), on the interpreter, cpu and webgpu (f32 registers rounded by
 * `f16r_`), and `dataSync()` returns a Float32Array of those half values. Expected values are
 * NumPy's (`np.float16(x)`).
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { interpret, roundToHalf } from "kiln/internal";
import { useWebgpu } from "./webgpu/env.js";
import { useCpu } from "./util.js";

const h = (v: number[]) => np.array(v, { dtype: "float16" });
const isHalf = (vals: readonly number[]) => vals.every((v) => Number.isNaN(v) || roundToHalf(v) === v);
const ramp = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) / 7);

interface HalfCase {
  readonly name: string;
  readonly run: () => Tensor;
  readonly want?: readonly number[];
  /** The cpu contraction accumulates in float32 (the SIMD microkernel): a half ulp from the float64 interpreter. */
  readonly f32Accumulation?: true;
}

const CASES: readonly HalfCase[] = [
  // np.array([0.1, 1/3, 70000, 1e-8, 65519, 2**-24 * 1.5], np.float16)
  { name: "data is rounded to half (overflow to inf, underflow to 0, subnormal ties to even)", run: () => h([0.1, 1 / 3, 70000, 1e-8, 65519, 2 ** -24 * 1.5]), want: [0.0999755859375, 0.333251953125, Infinity, 0, 65504, 2 ** -23] },
  { name: "astype(float16)", run: () => np.array([0.1, 2049, -1e-5]).astype("float16"), want: [0.0999755859375, 2048, -168 * 2 ** -24] },
  { name: "add", run: () => h([0.1, 1 / 3]).add(h([0.2, 1e-4])), want: [0.2998046875, 0.333251953125] },
  { name: "a weak scalar keeps float16", run: () => h([1, 3]).mul(0.1), want: [0.0999755859375, 0.2998046875] },
  { name: "exp and tanh", run: () => np.tanh(np.exp(h([0.1, 1 / 3, -2]))) },
  { name: "a sum (rounded once)", run: () => np.sum(h(ramp(300))) },
  { name: "a mean over an axis", run: () => np.mean(h(ramp(60)).reshape([6, 10]), { axis: 1 }) },
  { name: "a contraction", run: () => np.matmul(h(ramp(64)).reshape([8, 8]), h(ramp(64)).reshape([8, 8]).div(9)), f32Accumulation: true },
];

function suite(read: (t: Tensor) => Promise<number[]>, jitToo: boolean): void {
  for (const c of CASES) {
    it(c.name, async () => {
      const t = c.run();
      expect(t.dtype).to.equal("float16");
      const got = await read(t);
      expect(isHalf(got), `${got}`).to.equal(true);
      if (!c.f32Accumulation) expect(got).to.deep.equal(Array.from(interpret([c.run().node])[0]!), "the interpreter's halves");
      if (c.want) expect(got).to.deep.equal(c.want);
      if (jitToo) expect(isHalf(Array.from(await jit(c.run)().data()))).to.equal(true, "jit");
    });
  }
}

describe("float16 values are halves (cpu)", () => {
  useCpu();
  suite(async (t) => Array.from(await t.data()), true);

  it("dataSync returns a Float32Array of the half values", () => {
    const d = h([0.1]).dataSync();
    expect(d).to.be.instanceOf(Float32Array);
    expect(d[0]).to.equal(0.0999755859375);
  });
});

describe("float16 values are halves (webgpu: f32 registers rounded by f16r_)", () => {
  useWebgpu();
  // The device computes in f32 and rounds: a half may differ from the interpreter's by one half
  // ulp where the float32 computation itself differs, so only the values with `want` are exact.
  for (const c of CASES) {
    it(c.name, async () => {
      const got = Array.from(await c.run().data());
      expect(isHalf(got), `${got}`).to.equal(true);
      if (c.want) expect(got).to.deep.equal(c.want);
      expect(isHalf(Array.from(await jit(c.run)().data()))).to.equal(true, "jit");
    });
  }
});
