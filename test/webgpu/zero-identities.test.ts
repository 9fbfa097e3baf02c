/**
 * x + 0 and x - (-0) turn a -0 into +0 (IEEE 754, NumPy), x + (-0) and x - 0 keep it, and a sum
 * (or contraction) over one element starts from +0: eagerly and under jit, on cpu, webgpu and
 * gpujs. Under jit the zero is a literal, which the graph simplifier dropped (x + 0 → x) and LLVM
 * (llvmpipe) folded in WGSL under no-signed-zeros: a deep run of the NumPy random programs, seed
 * 102955 (`np.add(x1, 0)` of a -0 gave -0).
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { activeExecutor, setExecutor } from "@kiln/core";
import { destroyGpujs } from "@kiln/backend";
import { useWebgpu } from "./env.js";
import { useGpujs } from "../util.js";

const X = [-0, 0, 1, -2, NaN, -Infinity];
const CASES: [string, (x: Tensor) => Tensor, number[]][] = [
  ["x + 0", (x) => np.add(x, 0), [0, 0, 1, -2, NaN, -Infinity]],
  ["0 + x", (x) => np.add(0, x), [0, 0, 1, -2, NaN, -Infinity]],
  ["x - (-0)", (x) => np.subtract(x, -0), [0, 0, 1, -2, NaN, -Infinity]],
  ["x + (-0)", (x) => np.add(x, -0), [-0, 0, 1, -2, NaN, -Infinity]],
  ["x - 0", (x) => np.subtract(x, 0), [-0, 0, 1, -2, NaN, -Infinity]],
  ["(x + 0) · 2", (x) => np.add(x, 0).mul(2), [0, 0, 2, -4, NaN, -Infinity]],
  // A sum starts from +0 (JAX's reduce with init 0; NumPy's add.reduce starts from the first
  // element, see the accumulated-zero-sign deviation): over one element, -0 gives +0. WGSL's sum
  // started from a literal 0.0 that LLVM folded away (np.tensordot(a, b, 0): NumPy random program
  // seed 102050 of a deep run).
  ["sum over an axis of 1", (x) => np.sum(x.reshape([6, 1]), { axis: 1 }), [0, 0, 1, -2, NaN, -Infinity]],
  ["tensordot(x, 2, 0)", (x) => np.tensordot(x, np.array([2], { dtype: "float32" }), 0).reshape([6]), [0, 0, 2, -4, NaN, -Infinity]],
];

const show = (v: ArrayLike<number>) => Array.from(v, (e) => (Object.is(e, -0) ? "-0" : String(e))).join(" ");

async function check(): Promise<void> {
  for (const [what, f, want] of CASES) {
    const x = np.array(X, { dtype: "float32" });
    expect(show(await f(x).data()), `${what} eager`).to.equal(show(want));
    expect(show(await (jit(f) as (x: Tensor) => Tensor)(x).data()), `${what} jit`).to.equal(show(want));
  }
}

describe("x + 0 and a sum over one element of a -0 are +0 (eager and jit)", () => {
  let previous = "cpu";
  before(() => void (previous = activeExecutor().name));
  after(() => setExecutor(previous));
  it("cpu", async () => {
    setExecutor("cpu");
    await check();
  });
  describe("webgpu", () => {
    useWebgpu();
    it("webgpu", check);
  });
  describe("gpujs", () => {
    useGpujs();
    after(() => destroyGpujs());
    it("gpujs", check);
  });
});
