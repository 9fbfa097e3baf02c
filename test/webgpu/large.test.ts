/**
 * Sizes and limits on webgpu: reductions over millions of elements (workgroup and split
 * reductions) are exact where the arithmetic is, dispatches beyond the 65535-workgroups-per-
 * dimension limit, long-row reductions and softmax, large contractions, kernels whose inputs
 * exceed the storage-buffer limit (split by the scheduler), and workgroup sizes within the
 * device's limits. Expected values are closed forms or float64 loops in plain JS.
 */
import { expect } from "chai";
import { BackendUnavailableError, type Tensor, jit, np } from "kiln";
import { remainderScalar } from "@kiln/core";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { useWebgpu } from "./env.js";

/** Deterministic floats in [-1, 1) (a small LCG). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

function argmaxOf(xs: Float32Array): number {
  let at = 0;
  xs.forEach((v, i) => v > xs[at]! && (at = i));
  return at;
}

/** Workgroup sizes and per-dispatch storage bindings of a jitted function's WGSL. */
function shaderUsage(sources: readonly string[]): { maxWorkgroup: number; maxBindings: number } {
  let maxWorkgroup = 0, maxBindings = 0;
  for (const src of sources) {
    for (const part of src.split(/\/\/ \S+: dispatch /).slice(1)) {
      maxWorkgroup = Math.max(maxWorkgroup, ...[...part.matchAll(/@workgroup_size\((\d+)\)/g)].map((m) => Number(m[1])));
      maxBindings = Math.max(maxBindings, (part.match(/var<storage/g) ?? []).length);
    }
  }
  return { maxWorkgroup, maxBindings };
}

describe("webgpu: large reductions, large dispatches, device limits", function () {
  this.timeout(120_000);
  useWebgpu();

  for (const log2 of [20, 24]) {
    it(`eager and jitted sums of 2^${log2} ones are exact`, async () => {
      const n = 2 ** log2;
      expect(await np.ones([n]).sum().item()).to.equal(n);
      const sum = jit((x: Tensor) => np.sum(x));
      const x = np.ones([n]);
      expect(await sum(x).item()).to.equal(n);
      expect(await sum(x.mul(2)).item()).to.equal(2 * n); // a second call replays the compiled plan
      expect(sum.traceCount()).to.equal(1);
    });
  }

  it("an elementwise op over more than 65535·256 elements (a 2-D grid of workgroups) is right everywhere", async () => {
    const n = 65535 * 256 + 4099;
    const y = await np.arange(n, { dtype: "int32" }).mul(3).sub(7).data();
    expect(y.length).to.equal(n);
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (y[i] !== 3 * i - 7) bad = i;
    expect(bad, `first wrong element (${bad >= 0 ? y[bad] : ""})`).to.equal(-1);
  });

  it("row sums of a [256, 65536] matrix of ones (one workgroup per row) and column sums of [100000, 33]", async () => {
    expect(Array.from(await np.ones([256, 65536]).sum({ axis: 1 }).data())).to.deep.equal(new Array(256).fill(65536));
    expect(Array.from(await np.ones([100000, 33]).mul(0.5).sum({ axis: 0 }).data())).to.deep.equal(new Array(33).fill(50000));
  });

  it("softmax and max over rows of 20000 values match a float64 loop", async () => {
    const [rows, cols] = [6, 20000];
    const data = values(rows * cols, 3).map((v) => v * 20);
    const x = np.array(Array.from(data)).reshape([rows, cols]);
    const e = np.exp(x.sub(np.max(x, { axis: 1, keepdims: true })));
    const sm = await e.div(np.sum(e, { axis: 1, keepdims: true })).data();
    for (let r = 0; r < rows; r++) {
      const row = Array.from(data.subarray(r * cols, (r + 1) * cols));
      const m = Math.max(...row);
      const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      for (let c = 0; c < cols; c += 997) expect(sm[r * cols + c]).to.be.closeTo(Math.exp(row[c]! - m) / z, 1e-6 + 1e-4 * Math.exp(row[c]! - m) / z);
    }
  });

  it("layer norm and logsumexp over long rows (dependent reductions in one workgroup) match a float64 loop", async () => {
    const [rows, cols] = [5, 30000];
    const data = values(rows * cols, 9).map((v) => v * 4 + 1);
    const x = np.array(Array.from(data)).reshape([rows, cols]);
    const mu = np.mean(x, { axis: -1, keepdims: true });
    const d = x.sub(mu);
    const ln = await d.div(np.sqrt(np.mean(d.mul(d), { axis: -1, keepdims: true }).add(1e-5))).data();
    const lse = await np.logsumexp(x, { axis: 1 }).data();
    for (let r = 0; r < rows; r++) {
      const row = Array.from(data.subarray(r * cols, (r + 1) * cols));
      const m = row.reduce((s, v) => s + v, 0) / cols;
      const sd = Math.sqrt(row.reduce((s, v) => s + (v - m) ** 2, 0) / cols + 1e-5);
      for (let c = 0; c < cols; c += 1499) expect(ln[r * cols + c]).to.be.closeTo((row[c]! - m) / sd, 1e-4);
      const mx = Math.max(...row);
      expect(lse[r]).to.be.closeTo(mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)), 1e-4);
    }
  });

  it("a 256×300 @ 300×190 contraction with a bias + tanh epilogue matches a float64 loop", async () => {
    const [m, k, n] = [256, 300, 190];
    const a = values(m * k, 5), b = values(k * n, 6), bias = values(n, 7);
    const got = await np.tanh(np.array(Array.from(a)).reshape([m, k]).matmul(np.array(Array.from(b)).reshape([k, n])).add(np.array(Array.from(bias)))).data();
    for (let i = 0; i < m; i += 7) {
      for (let j = 0; j < n; j += 5) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
        expect(got[i * n + j]).to.be.closeTo(Math.tanh(s + bias[j]!), 2e-5);
      }
    }
  });

  // Mesa's llvmpipe runs at most 65,535 loop iterations per invocation, all loops together
  // (wgsl-kernel.ts's LOOP_BUDGET): every mapping must stay under it.
  it("a sum of 2^25 ones and the mean of [16, 2^22] rows are exact (no invocation loops past 65,535 iterations)", async () => {
    expect(await np.ones([2 ** 25]).sum().item()).to.equal(2 ** 25);
    expect(Array.from(await np.ones([16, 2 ** 22]).mean({ axis: 1 }).data())).to.deep.equal(new Array(16).fill(1));
  });

  it("dependent reductions over rows of 2^23 (not splittable: the strided loop is unrolled) are exact", async () => {
    const x = np.ones([2, 2 ** 23]);
    const z = np.exp(x.sub(x.max({ axis: 1, keepdims: true }))).sum({ axis: 1 });
    expect(Array.from(await z.data())).to.deep.equal([2 ** 23, 2 ** 23]);
  });

  it("reductions whose elements run loops themselves (float remainder's fmod) count those iterations too", async () => {
    const x = np.arange(4 * 1000).reshape([4, 1000]).mul(1.2345e30);
    const got = Array.from(await np.remainder(x, 3.1).sum({ axis: 1 }).data());
    const xs = await x.data();
    for (let r = 0; r < 4; r++) {
      let want = 0;
      for (let c = 0; c < 1000; c++) want += remainderScalar(xs[r * 1000 + c]!, Math.fround(3.1));
      expect(got[r]).to.be.closeTo(want, 1e-4 * Math.abs(want));
    }
  });

  it("contractions over k = 100000 and 2^18 (past the loop budget: the k loop is unrolled) are exact", async () => {
    expect(Array.from(await np.matmul(np.ones([4, 100000]), np.ones([100000, 4])).data())).to.deep.equal(new Array(16).fill(100000));
    expect(Array.from(await np.matmul(np.ones([2, 2 ** 18]), np.ones([2 ** 18, 3]).mul(0.5)).data())).to.deep.equal(new Array(6).fill(2 ** 17));
  });

  it("an argmax along 70000 (beyond one invocation's loop budget) runs on the host, correctly", async () => {
    const data = values(3 * 70000, 5);
    data[69999] = 2;
    data[70000 + 12345] = 2;
    expect(Array.from(await np.argmax(np.array(Array.from(data)).reshape([3, 70000]), { axis: 1 }).data())).to.deep.equal([69999, 12345, argmaxOf(data.subarray(140000))]);
  });

  it("a fused sum of 24 distinct tensors (more than the storage-buffer limit) is split, not failed", async () => {
    const limit = currentGpu()!.limits.maxStorageBuffersPerShaderStage;
    const xs = Array.from({ length: 24 }, (_, i) => np.full([100], i + 1));
    const f = jit((...ts: Tensor[]) => ts.map((t) => t.mul(2)).reduce((acc, t) => acc.add(t)));
    expect(Array.from(await (f(...xs) as Tensor).data())).to.deep.equal(new Array(100).fill(2 * (24 * 25) / 2));
    const usage = shaderUsage(f.lower(...xs).kernels.map((k) => k.source));
    expect(usage.maxBindings).to.be.at.most(limit).and.to.be.greaterThan(1);
  });

  it("a concatenation of 40 tensors (more inputs than buffer bindings) becomes a tree of concatenations", async () => {
    const limit = currentGpu()!.limits.maxStorageBuffersPerShaderStage;
    const xs = Array.from({ length: 40 }, (_, i) => np.full([2, 3], i));
    const f = jit((...ts: Tensor[]) => np.concatenate(ts, { axis: 1 }));
    const got = await (f(...xs) as Tensor).data();
    expect(Array.from(got)).to.deep.equal([0, 1].flatMap(() => Array.from({ length: 40 }, (_, i) => [i, i, i]).flat()));
    expect(shaderUsage(f.lower(...xs).kernels.map((k) => k.source)).maxBindings).to.be.at.most(limit);
  });

  it("a value larger than one storage binding is a clear BackendUnavailableError, and the device keeps working", async () => {
    const limit = currentGpu()!.limits.maxStorageBufferBindingSize;
    const n = Math.floor(limit / 4) + 1024; // float32 elements just past the limit (a lazy constant: no host copy)
    let err: unknown = null;
    try {
      await np.zeros([n]).add(1).data(); // the output itself must be one buffer
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(BackendUnavailableError);
    expect((err as Error).message).to.contain("storage binding limit").and.contain('setBackend("cpu")');
    expect(await np.ones([1000]).sum().item()).to.equal(1000);
  });

  it("every workgroup respects the device's invocation limit", () => {
    const gpu = currentGpu()!;
    const f = jit((x: Tensor, w: Tensor) => np.sum(np.exp(x.matmul(w)), { axis: 1 }).add(np.max(x)));
    const { maxWorkgroup } = shaderUsage(f.lower(np.ones([64, 5000]), np.ones([5000, 64])).kernels.map((k) => k.source));
    expect(maxWorkgroup).to.be.greaterThan(0).and.at.most(gpu.limits.maxComputeInvocationsPerWorkgroup);
    expect(gpu.limits.maxComputeInvocationsPerWorkgroup, "the adapter's real limit was requested").to.be.at.least(256);
  });
});
