/**
 * `Tensor.view(dtype)` / `lax.bitcastConvertType`: the bits of float32, int32 and uint32 values
 * read as one another, with NumPy's values (`np.float32(x).view(np.int32)`) written out here, on
 * the interpreter, cpu (eager, jit, vmap), webgpu (CI=true) and gpujs (a host kernel there).
 */
import { expect } from "chai";
import { DTypeError, type DType, type Tensor, grad, jit, lax, np, vmap } from "kiln";
import { interpret } from "kiln/internal";
import { useWebgpu } from "./webgpu/env.js";
import { useCpu, useGpujs } from "./util.js";

interface ViewCase {
  readonly name: string;
  readonly run: () => Tensor;
  readonly dtype: DType;
  readonly want: readonly number[];
}

const F = [1, -2, 0, -0, Infinity, -Infinity, 0.1];
const CASES: readonly ViewCase[] = [
  // np.array([1, -2, 0, -0, inf, -inf, 0.1], np.float32).view(np.int32)
  { name: "float32 → int32", run: () => np.array(F).view("int32"), dtype: "int32", want: [1065353216, -1073741824, 0, -2147483648, 2139095040, -8388608, 1036831949] },
  { name: "float32 → uint32", run: () => np.array(F).view("uint32"), dtype: "uint32", want: [1065353216, 3221225472, 0, 2147483648, 2139095040, 4286578688, 1036831949] },
  // np.array([0x3f800000, 1, 0x7f7fffff, 0x80000001], np.uint32).view(np.float32): 1, the smallest subnormal, the largest float32, -subnormal
  {
    name: "uint32 → float32 (subnormals and the largest finite value)", run: () => np.array([0x3f800000, 1, 0x7f7fffff, 0x80000001], { dtype: "uint32" }).view("float32"),
    dtype: "float32", want: [1, 1.401298464324817e-45, 3.4028234663852886e38, -1.401298464324817e-45],
  },
  { name: "int32 → uint32 keeps the bits", run: () => np.array([-1, -(2 ** 31), 7], { dtype: "int32" }).view("uint32"), dtype: "uint32", want: [2 ** 32 - 1, 2 ** 31, 7] },
  { name: "fused: (x · 2).view(int32) + 1", run: () => np.array([1, 1.5]).mul(2).view("int32").add(1), dtype: "int32", want: [1073741825, 1077936129] },
  { name: "a view as the same dtype is the tensor", run: () => np.array([3, 4]).view("float32"), dtype: "float32", want: [3, 4] },
];

function viewSuite(read: (t: Tensor) => Promise<number[]>, opts: { jit: boolean }): void {
  for (const c of CASES) {
    it(c.name, async () => {
      const t = c.run();
      expect(t.dtype).to.equal(c.dtype);
      expect(await read(t)).to.deep.equal(c.want);
      if (opts.jit) expect(Array.from(await jit(c.run)().data())).to.deep.equal(c.want, "jit");
    });
  }
}

describe("Tensor.view: the reference interpreter", () => {
  viewSuite(async (t) => Array.from(interpret([t.node])[0]!), { jit: false });
});

describe("Tensor.view on cpu", () => {
  useCpu();
  viewSuite(async (t) => Array.from(await t.data()), { jit: true });

  it("round-trips float32 → int32 → float32 bit for bit (NaN aside)", () => {
    const x = np.array([0.1, -3.5e-41, 6.5e4, -0]);
    expect(Array.from(x.view("int32").view("float32").dataSync()).map((v) => Object.is(v, -0) ? "-0" : v)).to.deep.equal([Math.fround(0.1), Math.fround(-3.5e-41), 65000, "-0"]);
  });

  it("lax.bitcastConvertType is the same operation", () => {
    expect(Array.from(lax.bitcastConvertType(np.array([1]), "uint32").dataSync())).to.deep.equal([1065353216]);
  });

  it("works under vmap (elementwise: the batch axis passes through)", () => {
    const out = vmap((t: Tensor) => t.view("int32"))(np.array([[1, 2], [-2, 0]]));
    expect(Array.from(out.dataSync())).to.deep.equal([1065353216, 1073741824, -1073741824, 0]);
  });

  it("has no derivative: the viewed path contributes a zero gradient", () => {
    const g = grad((t: Tensor) => np.sum(t.view("int32").astype("float32").add(t.mul(3))))(np.array([1, 2])) as Tensor;
    expect(Array.from(g.dataSync())).to.deep.equal([3, 3]);
  });

  it("different item sizes and bool are typed errors", () => {
    expect(() => np.array([1]).view("float64")).to.throw(DTypeError, /float32 \(4 bytes\) and float64 \(8 bytes\) differ in item size/);
    expect(() => np.array([1], { dtype: "uint8" }).view("int32")).to.throw(DTypeError, /differ in item size/);
    expect(() => np.array([1], { dtype: "uint8" }).view("bool")).to.throw(DTypeError, /only among float32, int32 and uint32/);
    expect(() => np.array([1]).view("float16")).to.throw(DTypeError, /differ in item size/);
    expect(() => np.array([1]).view("int64" as never)).to.throw(DTypeError, /unknown dtype "int64"/);
  });
});

describe("Tensor.view on webgpu", () => {
  useWebgpu();
  viewSuite(async (t) => Array.from(await t.data()), { jit: true });

  it("renders as a WGSL bitcast on the device", () => {
    const kernels = jit((t: Tensor) => t.mul(2).view("int32")).lower(np.array([1, 2])).kernels;
    expect(kernels.map((k) => k.backend)).to.deep.equal(["webgpu"]);
    expect(kernels[0]!.source).to.include("bitcast<i32>(");
  });
});

describe("Tensor.view on gpujs (a host kernel: GPU.js numbers are float32)", () => {
  useGpujs();
  viewSuite(async (t) => Array.from(await t.data()), { jit: false });

  it("the kernel says it runs on the host", () => {
    const kernels = jit((t: Tensor) => t.mul(2).view("int32")).lower(np.array([1, 2])).kernels;
    expect(kernels[0]!.source).to.match(/^\/\/ runs on the host: /);
  });
});
