/**
 * uint8 and uint32 end to end, against NumPy's values written out here (JAX's where the two differ:
 * promotion and the accumulation dtype of sums): creation, wrapping arithmetic, division by zero,
 * comparisons, bit operations and shifts, casts from out-of-range floats (kiln's documented rule:
 * truncate, wrap modulo 2^bits, NaN/±inf → 0), reductions, argmax, sort, where, gather/scatter.
 * Each case runs on the reference interpreter, on cpu (eager and jit), on webgpu (CI=true) and on
 * gpujs, whose exactness rule sends every unsigned kernel to the host.
 */
import { expect } from "chai";
import { DTypeError, type DType, type Tensor, ValueError, grad, jit, np, vmap } from "kiln";
import { interpret } from "kiln/internal";
import { gpujsStats } from "@kiln/backend";
import { useWebgpu } from "./webgpu/env.js";
import { useCpu, useGpujs } from "./util.js";

const u8 = (v: unknown) => np.array(v as number[], { dtype: "uint8" });
const u32 = (v: unknown) => np.array(v as number[], { dtype: "uint32" });
const i32 = (v: unknown) => np.array(v as number[], { dtype: "int32" });
const MAX32 = 2 ** 32 - 1;

interface UCase {
  readonly name: string;
  readonly run: () => Tensor;
  readonly dtype: DType;
  /** NumPy's values (or JAX's, where the comment says so). */
  readonly want: readonly number[];
}

const CASES: readonly UCase[] = [
  { name: "uint8 add wraps (250 + 10 = 4, 255 + 1 = 0)", run: () => u8([250, 255, 0]).add(u8([10, 1, 0])), dtype: "uint8", want: [4, 0, 0] },
  { name: "uint8 subtract wraps (0 - 1 = 255)", run: () => u8([0, 5]).sub(u8([1, 10])), dtype: "uint8", want: [255, 251] },
  { name: "uint8 multiply wraps (16·16 = 0, 200·2 = 144)", run: () => u8([16, 200]).mul(u8([16, 2])), dtype: "uint8", want: [0, 144] },
  { name: "uint32 multiply wraps ((2^32-1)^2 = 1, 2^16·2^16 = 0)", run: () => u32([MAX32, 65536]).mul(u32([MAX32, 65536])), dtype: "uint32", want: [1, 0] },
  { name: "uint32 + weak 1 stays uint32 and wraps", run: () => u32([MAX32, 5]).add(1), dtype: "uint32", want: [0, 6] },
  { name: "negative of uint32 wraps", run: () => np.negative(u32([1, 0, 2 ** 31])), dtype: "uint32", want: [MAX32, 0, 2 ** 31] },
  { name: "uint8 floorDivide, x // 0 = 0", run: () => np.floorDivide(u8([7, 200, 255]), u8([0, 3, 255])), dtype: "uint8", want: [0, 66, 1] },
  { name: "uint32 remainder above 2^31, x % 0 = 0", run: () => np.remainder(u32([MAX32, 7, 3e9]), u32([10, 0, 7])), dtype: "uint32", want: [5, 0, 4] },
  { name: "uint32 power wraps (3^40 mod 2^32, 2^32 = 0)", run: () => np.power(u32([3, 2, 0]), u32([40, 32, 0])), dtype: "uint32", want: [689956897, 0, 1] },
  { name: "uint32 comparisons are unsigned", run: () => np.greater(u32([MAX32, 1, 2 ** 31]), u32([1, 2, 2 ** 31 - 1])), dtype: "bool", want: [1, 0, 1] },
  { name: "uint32 max/min are unsigned", run: () => np.maximum(u32([MAX32, 0]), u32([1, 2 ** 31])), dtype: "uint32", want: [MAX32, 2 ** 31] },
  { name: "uint32 bitwiseAnd keeps the top bit", run: () => np.bitwiseAnd(u32([MAX32, 0xf0f0f0f0]), u32([0x80000001, 0xffff0000])), dtype: "uint32", want: [0x80000001, 0xf0f00000] },
  { name: "uint32 bitwiseXor / bitwiseOr", run: () => np.bitwiseOr(np.bitwiseXor(u32([MAX32]), u32([1])), u32([0])), dtype: "uint32", want: [MAX32 - 1] },
  { name: "invert of uint8 and uint32", run: () => np.concatenate([np.invert(u8([0, 1, 255])).astype("uint32"), np.invert(u32([0, MAX32]))]), dtype: "uint32", want: [255, 254, 0, MAX32, 0] },
  { name: "uint8 leftShift wraps; counts of 8..31 give 0", run: () => np.leftShift(u8([1, 1, 255, 3]), u8([7, 8, 1, 40])), dtype: "uint8", want: [128, 0, 254, 0] },
  { name: "uint32 rightShift is logical; counts ≥ 32 give 0", run: () => np.rightShift(u32([MAX32, 8, 2 ** 31]), u32([31, 40, 31])), dtype: "uint32", want: [1, 0, 1] },
  // JAX: sum of uint8 accumulates in uint32 (NumPy would give uint64; the values agree below 2^32).
  { name: "sum of uint8 is uint32 (JAX), no uint8 wrap", run: () => np.sum(u8([255, 255, 255])), dtype: "uint32", want: [765] },
  { name: "sum of uint32 wraps modulo 2^32", run: () => np.sum(u32([MAX32, 2, 3e9, 3e9])), dtype: "uint32", want: [(MAX32 + 2 + 6e9) % 2 ** 32] },
  { name: "prod of uint32 wraps", run: () => np.prod(u32([65536, 65536, 3])), dtype: "uint32", want: [0] },
  { name: "cumsum of uint32 wraps", run: () => np.cumsum(u32([MAX32, 2, 3])), dtype: "uint32", want: [MAX32, 1, 4] },
  { name: "max of uint32 above 2^31", run: () => np.max(u32([3, MAX32, 2 ** 31])), dtype: "uint32", want: [MAX32] },
  { name: "min of uint8", run: () => np.min(u8([200, 7, 255])), dtype: "uint8", want: [7] },
  { name: "argmax of uint32 (unsigned order)", run: () => np.argmax(u32([3, MAX32, 2 ** 31])), dtype: "int32", want: [1] },
  { name: "sort of uint32 (unsigned order)", run: () => np.sort(u32([MAX32, 3, 2 ** 31, 0])), dtype: "uint32", want: [0, 3, 2 ** 31, MAX32] },
  { name: "argsort of uint8", run: () => np.argsort(u8([200, 0, 255, 1])), dtype: "int32", want: [1, 3, 0, 2] },
  { name: "where between uint8 branches", run: () => np.where(np.array([true, false, true]), u8([1, 2, 255]), u8([3, 4, 5])), dtype: "uint8", want: [1, 4, 255] },
  { name: "take with uint8 indices", run: () => np.take(u32([5, MAX32, 7]), u8([2, 1, 0])), dtype: "uint32", want: [7, MAX32, 5] },
  { name: "scatter-add into uint8 wraps", run: () => u8([250, 0, 1]).at(u8([0, 0, 2])).add(u8([3, 4, 255])), dtype: "uint8", want: [1, 0, 0] },
  { name: "uint8 matmul wraps modulo 2^8", run: () => np.matmul(u8([200, 100, 3, 4]).reshape([2, 2]), u8([2, 1, 1, 1]).reshape([2, 2])), dtype: "uint8", want: [244, 44, 10, 7] },
  { name: "uint32 dot wraps modulo 2^32", run: () => np.dot(u32([MAX32, 2]), u32([MAX32, 3])), dtype: "uint32", want: [7] },
  // Casts from float: NumPy leaves out-of-range conversions undefined; kiln truncates, wraps modulo 2^bits, NaN/±inf → 0.
  { name: "float → uint8: truncate, wrap, NaN/inf → 0", run: () => np.astype(np.array([-1, 300.7, NaN, Infinity, 2.9, 255.9]), "uint8"), dtype: "uint8", want: [255, 44, 0, 0, 2, 255] },
  { name: "float → uint32: truncate and wrap", run: () => np.astype(np.array([-1, 1e10, -0.5, 4294967040]), "uint32"), dtype: "uint32", want: [MAX32, 1410065408, 0, 4294967040] },
  { name: "uint32 → float32 rounds to nearest", run: () => np.astype(u32([MAX32, 16777217]), "float32"), dtype: "float32", want: [4294967296, 16777216] },
  { name: "uint32 → int32 keeps the bits (C's conversion)", run: () => np.astype(u32([MAX32, 2 ** 31, 5]), "int32"), dtype: "int32", want: [-1, -(2 ** 31), 5] },
  { name: "int32 → uint8 wraps", run: () => np.astype(i32([-1, 256, 511]), "uint8"), dtype: "uint8", want: [255, 0, 255] },
  // Promotion (JAX's lattice, x64 off): u8⊔u32 = u32, u8⊔i32 = i32, u32⊔i32 = i32 (int64 without x64), int ⊔ float = float.
  { name: "uint8 + uint32 → uint32", run: () => u8([255]).add(u32([1])), dtype: "uint32", want: [256] },
  { name: "uint8 + int32 → int32", run: () => u8([255]).add(i32([1])), dtype: "int32", want: [256] },
  { name: "uint32 + int32 → int32 (JAX without x64)", run: () => u32([MAX32]).add(i32([1])), dtype: "int32", want: [0] },
  { name: "uint8 · weak 1.5 → float32", run: () => u8([2]).mul(1.5), dtype: "float32", want: [3] },
  { name: "mean of uint8 is float32", run: () => np.mean(u8([255, 0])), dtype: "float32", want: [127.5] },
  // Creation.
  { name: "arange with dtype uint8", run: () => np.arange(250, 256, 2, { dtype: "uint8" }), dtype: "uint8", want: [250, 252, 254] },
  { name: "ones with dtype uint32", run: () => np.ones([2], { dtype: "uint32" }), dtype: "uint32", want: [1, 1] },
  { name: "np.array of a Uint8Array is uint8", run: () => np.array(new Uint8Array([0, 128, 255])), dtype: "uint8", want: [0, 128, 255] },
  { name: "np.array of a Uint32Array is uint32", run: () => np.array(new Uint32Array([0, MAX32])), dtype: "uint32", want: [0, MAX32] },
];

function valuesSuite(run: (c: UCase) => Promise<number[]>, jitToo: boolean): void {
  for (const c of CASES) {
    it(c.name, async () => {
      expect(c.run().dtype).to.equal(c.dtype);
      expect(await run(c)).to.deep.equal(c.want);
      if (jitToo) expect(Array.from(await jit(c.run)().data())).to.deep.equal(c.want, "jit");
    });
  }
}

describe("uint8/uint32: the reference interpreter gives NumPy's values", () => {
  valuesSuite(async (c) => Array.from(interpret([c.run().node])[0]!), false);
});

describe("uint8/uint32 on cpu", () => {
  useCpu();
  valuesSuite(async (c) => Array.from(await c.run().data()), true);

  it("dataSync returns the dtype's typed array; nbytes follows the item size", () => {
    expect(u8([1, 2]).dataSync()).to.be.instanceOf(Uint8Array);
    expect(u32([1, 2]).dataSync()).to.be.instanceOf(Uint32Array);
    expect(u32([1, 2]).add(1).dataSync()).to.be.instanceOf(Uint32Array);
  });

  it("JS data that does not fit is a ValueError naming the range (NumPy's OverflowError)", () => {
    expect(() => u8([256])).to.throw(ValueError, /256 does not fit in uint8 \(range 0 to 255\)/);
    expect(() => u32([-1])).to.throw(ValueError, /-1 does not fit in uint32/);
    expect(() => np.array(2 ** 32, { dtype: "uint32" })).to.throw(ValueError, /does not fit in uint32/);
  });

  it("bit operations reject floats with a DTypeError", () => {
    expect(() => np.bitwiseAnd(np.array([1.5]), u8([1]))).to.throw(DTypeError, /expected integer or bool operands, got float32/);
  });

  it("grad: an unsigned argument is an error when differentiated (as int32), a constant otherwise", () => {
    const f = (x: Tensor, w: Tensor) => np.sum(x.astype("float32").mul(w));
    expect(() => grad(f)(u8([1, 2]), np.array([3, 4]))).to.throw(DTypeError, /leaf of dtype uint8/);
    const gw = grad(f, { argnums: 1 })(u8([1, 255]), np.array([3, 4])) as Tensor;
    expect(Array.from(gw.dataSync())).to.deep.equal([1, 255]);
  });

  it("vmap over a uint8 batch wraps per example", () => {
    const out = vmap((x: Tensor) => x.add(250))(u8([[1, 2], [10, 20]]));
    expect([out.dtype, ...out.dataSync()]).to.deep.equal(["uint8", 251, 252, 4, 14]);
  });
});

describe("uint8/uint32 on webgpu (u32 registers and storage; uint8 widened to u32 words)", () => {
  useWebgpu();
  valuesSuite(async (c) => Array.from(await c.run().data()), true);

  it("elementwise and reduction kernels on unsigned values run on the device", async () => {
    const f = jit((x: Tensor) => np.max(x.mul(x).add(u32([7]))));
    const kernels = f.lower(u32([MAX32, 2 ** 31, 3])).kernels;
    expect(kernels.map((k) => k.backend)).to.deep.equal(["webgpu"]);
    expect(kernels[0]!.source).to.match(/array<u32>/);
    // the squares wrap modulo 2^32: max(1 + 7, 0 + 7, 9 + 7)
    expect(await f(u32([MAX32, 2 ** 31, 3])).item()).to.equal(16);
  });
});

describe("uint8/uint32 on gpujs (routed to the host by the exactness rule)", () => {
  useGpujs();
  valuesSuite(async (c) => Array.from(await c.run().data()), false);

  it("no unsigned kernel runs as a GPU.js kernel", () => {
    const f = jit((x: Tensor) => np.sum(x.add(1)));
    const kernels = f.lower(u8([255, 1])).kernels;
    expect(kernels.length).to.be.greaterThan(0);
    for (const k of kernels) expect(k.source).to.match(/^\/\/ runs on the host: a uint(8|32) buffer/);
    const runs = gpujsStats().runs;
    expect(f(u8([255, 1])).itemSync()).to.equal(2); // [0, 2]: the uint8 add wraps before the uint32 sum
    expect(gpujsStats().runs).to.equal(runs);
  });
});
