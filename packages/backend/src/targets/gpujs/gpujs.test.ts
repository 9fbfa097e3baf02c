/**
 * The GPU.js target: every ALU rule GPU.js runs compiles there and computes what the same
 * expression computes in JavaScript; the exactness rule sends int32, float64, bitwise,
 * special-function and oversized kernels to the host; packed contractions render as dot loops; selection, modes and the typed
 * errors (`jit(...).lower()` on gpujs: test/gpujs.test.ts).
 */
import { expect } from "chai";
import { BackendUnavailableError, ValueError, activeExecutor, np, npUtil, setExecutor } from "@kiln/core";
import { type AluOp, type ExprDType } from "../../expr.js";
import { scheduleGraph } from "../../schedule.js";
import { backends, init, setBackend } from "../../select.js";
import { destroyGpu } from "../webgpu/webgpu-device.js";
import { GPUJS, GPUJS_ALU, isHostOnly } from "./gpujs-alu.js";
import { GPUJS_MAX_ELEMENTS, renderGpujs } from "./gpujs-render.js";
import { acquireGpujs, currentGpujs, destroyGpujs, gpujsMode, gpujsStats } from "./gpujs-runtime.js";

const isInput = (n: { prim: string }) => n.prim === "data";
const kernelOf = (t: { node: never }) => scheduleGraph([t.node], isInput).plan.steps[0]!.kernel!;

/** Operands of every rule: specials included (float32 in GPU.js; the JS side rounds its inputs alike). */
const XS = [1.5, -2.5, 0.5, -0, 3, 1e-3, 0.75, -0.25, 2.5, -1.5, 100, 0.1];
const YS = [2, -1.5, 0.25, 1, -3, 7, 0.5, 2, 2.5, -0.5, 0.03, 1];
const ARG_DTYPES: Partial<Record<AluOp, ExprDType>> = { and: "bool", or: "bool", xor: "bool", not: "bool", idiv: "index", imod: "index" };

describe("gpujs target", () => {
  let previous = "cpu";
  before(async () => {
    previous = activeExecutor().name;
    expect(await acquireGpujs()).to.not.equal(null);
  });
  after(() => {
    setExecutor(previous);
    destroyGpujs();
  });

  it("every ALU rule GPU.js runs compiles there and matches the expression in JavaScript", () => {
    const gpu = currentGpujs()!;
    const n = XS.length;
    for (const op of Object.keys(GPUJS_ALU) as AluOp[]) {
      const rule = GPUJS_ALU[op];
      if (isHostOnly(rule)) continue;
      const dt = ARG_DTYPES[op] ?? "float32";
      const xs = dt === "bool" ? XS.map((v) => +(v > 0)) : dt === "index" ? XS.map((_, i) => i * 3) : XS;
      const ys = dt === "bool" ? YS.map((v) => +(v > 0)) : YS;
      const expr = rule(["x", "y", "z"], { dtype: dt, in: dt, param: [2, 3] }, GPUJS);
      const body = `const x = b1[this.thread.x]; const y = b2[this.thread.x]; const z = b1[this.thread.x] + 1.0; return ${expr};`;
      const got = gpu.createKernel(`function (b1, b2) { ${body} }`, { output: [n], tactic: "precision" })(new Float32Array(xs), new Float32Array(ys)) as Float32Array;
      const js = new Function("x", "y", "z", `return ${expr};`) as (x: number, y: number, z: number) => number;
      for (let i = 0; i < n; i++) {
        const x = Math.fround(xs[i]!), y = Math.fround(ys[i]!);
        const want = Math.fround(js(x, y, Math.fround(x + 1)));
        const ok = got[i] === want || (Number.isNaN(want) ? Number.isNaN(got[i]) : Math.abs(got[i]! - want) <= 1e-6 + 2e-6 * Math.abs(want));
        expect(ok, `${op}(${x}, ${y}) = ${expr}: GPU.js ${got[i]}, JS ${want}`).to.equal(true);
      }
    }
  });

  it("the exactness rule: int32, float64, bitwise, special-function and oversized kernels run on the host", () => {
    const f = np.array([1, 2, 3]);
    const i = np.array([1, 2, 3], { dtype: "int32" });
    const host = (t: unknown) => renderGpujs(kernelOf(t as { node: never }));
    expect(host(np.add(i, i))).to.have.property("host").that.matches(/int32/);
    expect(host(np.add(f.astype("float64"), 1))).to.have.property("host").that.matches(/float64/);
    expect(host(npUtil.apply("shl", [i, i], {}))).to.have.property("host");
    expect(host(npUtil.apply("erf", [f], {}))).to.have.property("host").that.matches(/special function/);
    expect(host(np.matmul(np.ones([64, 64], { dtype: "float64" }), np.ones([64, 64], { dtype: "float64" })))).to.have.property("host").that.matches(/float64/);
    // float32 contractions run as one dot loop per output (small ones lower to reductions)
    expect(host(np.matmul(np.ones([64, 64]), np.ones([64, 64])))).to.have.property("source").that.matches(/let acc = 0\.0;\n  for \(let v\d+ = 0; v\d+ < 64;/);
    expect(host(np.matmul(np.ones([3, 4]), np.ones([4, 2])))).to.have.property("source");
    expect(host(np.zeros([GPUJS_MAX_ELEMENTS]).add(1))).to.have.property("host").that.matches(/2\^24/);
    // and what it can run, it renders as one function of the thread index
    const r = host(np.sum(np.exp(np.ones([4, 5])), 1));
    expect(r).to.have.property("source").that.matches(/this\.thread\.x/);
  });

  it("runs kernels on GPU.js with bool results exact and int32 kernels on the host", async () => {
    await init({ tune: false });
    setBackend("gpujs");
    const runs = gpujsStats().runs;
    const x = np.array([-1.5, 0, NaN, 2, Infinity, -0]);
    expect(Array.from(np.greater(x, 0).dataSync())).to.deep.equal([0, 0, 0, 1, 1, 0]);
    expect(Array.from(np.tanh(x).dataSync())).to.deep.equal(Array.from(new Float32Array([-0.9051482536448664, 0, NaN, 0.9640275800758169, 1, -0])));
    expect(gpujsStats().runs - runs).to.equal(2);
    // a long sum is blocked by the scheduler (chunks [s, min(s + c, n))): a constant trip count with a guard
    const long = np.arange(5000).astype("float32").mul(0.5);
    const sum = np.sum(long);
    expect((renderGpujs(kernelOf(sum as never)) as { source: string }).source).to.match(/for \(let v\d+_k = 0; v\d+_k < \d+; /);
    expect(sum.itemSync()).to.equal(0.5 * (4999 * 5000) / 2);
    expect(gpujsStats().runs - runs).to.equal(3); // one kernel: arange·0.5 fuses into the sum
    const big = np.array([2 ** 30, 3], { dtype: "int32" });
    expect(Array.from(np.add(big, big).dataSync())).to.deep.equal([-(2 ** 31), 6]); // wraps: computed on the host
    expect(gpujsStats().runs - runs).to.equal(3);
    destroyGpu();
  });

  it("reports its mode, accepts GPU.js's cpu mode and refuses unknown modes with a ValueError", async () => {
    expect(backends().find((b) => b.name === "gpujs")).to.deep.include({ available: true, adapter: `GPU.js ${gpujsMode()}`, software: true });
    await acquireGpujs({ mode: "cpu" });
    expect(gpujsMode()).to.equal("cpu");
    setBackend("gpujs");
    expect(Array.from(np.multiply(np.array([1, 2]), 3).dataSync())).to.deep.equal([3, 6]);
    await acquireGpujs({ mode: "nope" as never }).then(() => expect.fail("accepted"), (e: unknown) => expect(e).to.be.instanceOf(ValueError));
    destroyGpujs();
    expect(() => setBackend("gpujs")).to.throw(BackendUnavailableError, /gpujs/);
    await acquireGpujs();
  });
});
