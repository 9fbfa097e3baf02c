/**
 * Structural tests of the CPU backend: how many kernels a graph becomes (fusion), what the memory
 * plan holds, that kernels are compiled once per process, and that float32 sums are accurate.
 */
import { expect } from "chai";
import {
  ConcretizationError, DisposedError, type Tensor, hostDataNode, interning, lax, makeNode, np, npUtil, Tensor as TensorClass, activeExecutor, setExecutor,
} from "@kiln/core";
import { cpuExecutor, kernelCacheStats, lowerGraph, wasmKernelStats, scheduleGraph, useCpuBackend } from "./index.js";
import { MR, NR } from "./lower-contraction.js";
import { SUM_BLOCK } from "./place.js";

/** Whether a kernel's source computes float32 `fn`: the JS kernel's twin call or, for a wasm kernel, the op in its IR listing. */
const calls = (src: string, fn: string) => src.includes(`f32${fn}(`) || src.includes(`${fn}:float32(`);

const { apply } = npUtil;

function f32(shape: number[], f: (i: number) => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new TensorClass(hostDataNode(Float32Array.from({ length: n }, (_, i) => f(i)), { shape, dtype: "float32" }));
}
const wave = (shape: number[], k = 1) => f32(shape, (i) => Math.sin(i * 0.37 * k) * 2);

function w1(x: Tensor): Tensor {
  return np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(0.1).mul(x)));
}
function softmax(x: Tensor, axis: number): Tensor {
  const e = np.exp(x.sub(np.max(x, { axis, keepdims: true })));
  return e.div(np.sum(e, { axis, keepdims: true }));
}

describe("backend: fusion structure", () => {
  it("W1 over a vector is one kernel", () => {
    const { kernels, stats } = lowerGraph(w1(wave([1000])));
    expect(kernels.map((k) => k.kind)).to.deep.equal(["reduce"]);
    expect(stats.kernels).to.equal(1);
    // float32 tanh and logistic: the wasm vector math's scalar twins (targets/wasm/wasm-vecmath.ts).
    expect(calls(kernels[0]!.source, "tanh") && calls(kernels[0]!.source, "logistic")).to.equal(true);
  });

  it("softmax over the last axis is one kernel", () => {
    const last = lowerGraph(softmax(wave([8, 16]), -1));
    expect(last.kernels.length).to.equal(1);
    // Row max and row sum are computed once per row, before the loop that writes the row: one max
    // update in the kernel (`Math.max` in JS; `a max= …` in the IR a wasm kernel's source prints —
    // its exp makes it wasm from this size, targets/wasm/index.ts).
    expect(last.kernels[0]!.source.match(/Math\.max|\bmax= /g)!.length).to.equal(1);
  });

  it("a reduction that would be recomputed per element of its consumer is materialized", () => {
    // Over axis 0 the column max and sum vary along the innermost output loop, so inlining them
    // would recompute each per element: they get kernels, and exp(x - max), read by two kernels
    // and expensive, is materialized once. Kernels: max, exp(x - max), sum, divide.
    const first = lowerGraph(softmax(wave([8, 16]), 0));
    expect(first.kernels.map((k) => k.kind)).to.deep.equal(["reduce", "elementwise", "reduce", "elementwise"]);
  });

  it("relu(x @ W + b) is one contraction kernel with the epilogue fused", () => {
    const { kernels } = lowerGraph(np.relu(np.matmul(wave([64, 48]), wave([48, 40], 2)).add(wave([40], 3))));
    expect(kernels.length).to.equal(1);
    expect(kernels[0]!.kind).to.equal("matmul");
    // JS (Math.max) or wasm (the kernel IR's max in the module's listing)
    expect(kernels[0]!.source).to.match(/Math\.max|max:float32/);
  });

  it("float32 contraction tiles run on the WebAssembly SIMD microkernel; int32 ones stay exact JS", () => {
    const [m, k, n] = [70, 50, 38]; // odd panel count: the last B panel is paired with zeros
    const a = wave([m, k]), b = wave([k, n], 2), bias = wave([n], 3);
    const y = np.tanh(np.matmul(a.mul(0.5), b).add(bias));
    const [kernel] = lowerGraph(y).kernels;
    expect(kernel!.kind).to.equal("matmul");
    // The tiles on the microkernel: the whole contraction as a wasm module, or JS packing around ws_.run
    expect(kernel!.source.startsWith(";; wasm kernel") || kernel!.source.includes("ws_.run(")).to.equal(true);
    expect(calls(kernel!.source, "tanh")).to.equal(true);
    const got = y.dataSync(), A = a.dataSync(), B = b.dataSync(), C = bias.dataSync();
    for (let i = 0; i < m; i += 3) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += 0.5 * A[i * k + p]! * B[p * n + j]!;
        expect(got[i * n + j]).to.be.closeTo(Math.tanh(s + C[j]!), 1e-5);
      }
    }
    const ints = lowerGraph(np.matmul(np.ones([40, 40], { dtype: "int32" }), np.ones([40, 40], { dtype: "int32" })));
    expect(ints.kernels[0]!.source).to.not.contain("ws_.run(").and.not.match(/^;; wasm kernel/);
  });

  it("a small matmul is a reduction and fuses with its neighbours", () => {
    const { kernels } = lowerGraph(np.sum(np.relu(np.matmul(wave([8, 6]).mul(2), wave([6, 5], 2)).add(wave([5], 3))), { axis: 1 }));
    expect(kernels.map((k) => k.kind)).to.deep.equal(["reduce"]);
  });

  it("movement ops are index arithmetic, never kernels", () => {
    const x = wave([6, 4]);
    const y = apply("flip", [apply("slice", [apply("reshape", [apply("transpose", [x], { perm: [1, 0] })], { shape: [3, 8] })], { start: [0, 1], stop: [3, 8], step: [1, 2] })], { axes: [0] });
    const { kernels } = lowerGraph(np.exp(y).add(1));
    expect(kernels.length).to.equal(1);
    // A view that is itself the output is one copy kernel.
    expect(lowerGraph(apply("transpose", [x], { perm: [1, 0] })).kernels.length).to.equal(1);
  });

  it("contiguous views load with a plain affine index (no divide or modulo)", () => {
    const y = apply("reshape", [wave([4, 6]).mul(2)], { shape: [24] });
    const { kernels } = lowerGraph(y);
    expect(kernels[0]!.source).not.to.match(/Math\.floor|%/);
    expect(kernels[0]!.source.match(/for \(/g)!.length).to.equal(1);
  });

  it("a multi-axis reduction is one kernel", () => {
    const { kernels } = lowerGraph(apply("reduceSum", [wave([3, 4, 5])], { axes: [0, 2] }));
    expect(kernels.length).to.equal(1);
  });

  it("an expensive value read by two kernels is materialized once; a cheap one is recomputed", () => {
    const x = wave([300]);
    const e = np.exp(x);
    const shared = lowerGraph([np.sum(e), e.mul(2)]);
    // exp(x) is stored once, by the kernel that also writes e·2 (a two-output kernel), and summed.
    expect(shared.kernels.length).to.equal(2);
    expect(shared.kernels.map((k) => k.outputs).sort()).to.deep.equal([1, 2]);
    expect(shared.kernels.filter((k) => calls(k.source, "exp")).length).to.equal(1);
    const a = x.mul(2);
    const cheap = lowerGraph([np.sum(a), a.add(1)]);
    expect(cheap.kernels.length).to.equal(2);
  });

  it("a shared chain of expensive values is cut once, at its top, not at every node", () => {
    // Every node of tanh(exp(sin(x))·2 + 1) is read by both reductions; materializing the top
    // makes the rest private to its kernel. (Cutting each node launched one kernel per node.)
    const x = wave([64, 48]);
    const y = np.tanh(np.exp(np.sin(x)).mul(2).add(1));
    const lowered = lowerGraph([np.sum(y, { axis: 0 }), np.sum(y, { axis: 1 })]);
    expect(lowered.kernels.length).to.equal(3);
    expect(lowered.kernels.filter((k) => calls(k.source, "exp")).length).to.equal(1);
  });

  it("an expensive value read through an expansion is materialized once; a cheap one is recomputed per read", () => {
    // exp(x) read at each of 4 positions of a broadcast: inlined, it would run 4x per element.
    const x = wave([64, 48]);
    const up = (v: Tensor) => np.broadcastTo(np.reshape(v, [64, 1, 48]), [64, 4, 48]).mul(wave([4, 48], 2));
    const wide = lowerGraph(up(np.exp(np.sin(x))));
    expect(wide.kernels.length).to.equal(2);
    expect(wide.kernels.filter((k) => calls(k.source, "exp")).length).to.equal(1);
    expect(lowerGraph(up(x.mul(2).add(1))).kernels.length).to.equal(1);
    // Read at several indices, each once per element (softmax's exp: in its sum, in its output),
    // is not an expansion: one kernel, as before.
    expect(lowerGraph(softmax(wave([8, 16]), -1)).kernels.length).to.equal(1);
  });

  it("a very long elementwise chain is cut into kernels of bounded depth", () => {
    let y = wave([8]);
    // Built as a graph (an interning scope), so that no handle computes its value on the way
    // (a deep eager handle does: tensor.ts) and the scheduler sees the whole chain.
    interning(() => {
      for (let i = 0; i < 1000; i++) y = np.sin(y).add(0.5);
    });
    const { kernels } = lowerGraph(y);
    // 200 weighted levels a kernel, a sin weighing 8: 9 a step, 1000 steps → ~45 kernels.
    expect(kernels.length).to.be.within(40, 60);
    setExecutor("cpu");
    try {
      const got = y.dataSync();
      let v = Math.fround(Math.sin(0) * 2); // element 0 of wave([8]) is 0
      for (let i = 0; i < 1000; i++) v = Math.sin(v) + 0.5;
      expect(got[0]).to.be.closeTo(v, 1e-5);
    } finally {
      setExecutor("interpreter");
    }
  });

  it("a float floorDivide(remainder(...)) read at a window's positions is computed once, not inlined per position", () => {
    // Each inlined copy carries the exact fmod loop: a deep run's random program 100293 (a 3x1x2
    // max window over it) compiled to 48 copies, which llvmpipe took minutes to compile (a hang).
    const x = wave([5, 1, 4]), d = wave([1, 4], 2);
    const v0 = np.remainder(x, d.square().add(1));
    const v1 = np.floorDivide(v0, v0.square().add(1));
    const y = lax.reduceWindow(v1, -Infinity, "max", [3, 1, 2], [1, 1, 1], "SAME");
    const { plan } = scheduleGraph([y.node], (n) => n.prim === "data");
    expect(plan.steps.length).to.equal(2);
    // The window alone over a cheap value stays one kernel.
    expect(scheduleGraph([lax.reduceWindow(x.mul(2), -Infinity, "max", [3, 1, 2], [1, 1, 1], "SAME").node], (n) => n.prim === "data").plan.steps.length).to.equal(1);
  });

  it("library primitives run as library kernels through the executor", () => {
    const { kernels } = lowerGraph(np.argmax(wave([4, 5]).mul(2), { axis: 1 }));
    expect(kernels.map((k) => k.kind)).to.deep.equal(["elementwise", "library"]);
  });
});

describe("backend: memory plan", () => {
  it("reuses temporaries by liveness and reports peak bytes", () => {
    const n = 40; // large enough for contraction kernels (packed panels)
    const w = wave([n, n]);
    let y = wave([n, n], 2);
    for (let i = 0; i < 4; i++) y = np.matmul(y, w);
    const isBuffer = (x: { prim: string }) => x.prim === "data";
    const { plan } = scheduleGraph([y.node], isBuffer);
    expect(plan.steps.length).to.equal(4);
    // Three temporaries, but never more than two alive at once.
    expect(plan.buffers.filter((b) => b.role === "temp").length).to.equal(3);
    expect(plan.slots.length).to.equal(2);
    const buf = n * n * 4;
    const scratch = (Math.ceil(n / MR) * MR + Math.ceil(n / NR) * NR) * n * 8; // float64 panels
    expect(plan.stats.peakBytes).to.equal(2 * buf + scratch);
  });
});

describe("backend: kernel cache", () => {
  before(() => setExecutor("cpu"));
  after(() => setExecutor("interpreter"));

  it("two different graphs sharing a kernel compile it once", () => {
    const a = wave([40, 36]), b = wave([36, 28], 2), c = wave([40, 36], 3), d = wave([36, 28], 4);
    // Kernels compile as JS or as wasm (by size): count both caches.
    const compiles = () => kernelCacheStats().compiles + wasmKernelStats().compiles;
    const before = compiles();
    np.sum(np.matmul(a, b), { axis: 1 }).dataSync();
    expect(compiles() - before).to.equal(2);
    np.max(np.matmul(c, d), { axis: 1 }).dataSync();
    expect(compiles() - before).to.equal(3); // only the max kernel is new
    np.max(np.matmul(c.T, a), { axis: 1 }).dataSync();
    expect(compiles() - before).to.be.greaterThan(3); // transposed operands: new packing kernel
  });
});

describe("backend: plan cache", () => {
  before(() => setExecutor("cpu"));
  after(() => setExecutor("interpreter"));

  it("graphs differing only in a NaN, infinite or signed-zero literal get different plans", () => {
    const run = (v: number) => np.divide(1, npUtil.fullRaw([1], v, "float32")).dataSync()[0];
    expect(run(0)).to.equal(Infinity);
    expect(run(-0)).to.equal(-Infinity);
    expect(run(Infinity)).to.equal(0);
    expect(run(NaN)).to.be.NaN;
  });
});

describe("backend: accurate float32 reductions", () => {
  before(() => setExecutor("cpu"));
  after(() => setExecutor("interpreter"));

  it("W1 over 2^20 float32 values matches the float64 result within 1e-6 relative", () => {
    const n = 1 << 20;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001) * 2 + Math.cos(i * 0.37));
    let want = 0;
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      want += Math.tanh(v * 1.5 + 0.5) * (1 / (1 + Math.exp(-v))) - 0.1 * v * v;
    }
    const x = new TensorClass(hostDataNode(data, { shape: [n], dtype: "float32" }));
    const got = w1(x).itemSync();
    expect(Math.abs(got - want) / Math.abs(want)).to.be.lessThan(1e-6);
  });

  it("long float sums accumulate in blocks, not one running sum", () => {
    const { kernels } = lowerGraph(np.sum(wave([4 * SUM_BLOCK + 5])));
    expect(kernels[0]!.ir).to.contain(`step ${SUM_BLOCK}`);
  });

  it("the blocking of a sum follows its innermost axis, never how its loops merged (one order in every kernel)", () => {
    // Innermost axis longer than a block: it stays its own, blocked loop under the outer axis.
    const long = lowerGraph(np.sum(wave([4, 2 * SUM_BLOCK]))).kernels[0]!.ir;
    expect(long).to.contain(`step ${SUM_BLOCK}`);
    expect(long).to.match(/in \[0:index, 4:index\)/);
    // Short innermost axis: one merged loop, summed in order, whatever the total.
    const short = lowerGraph(np.sum(wave([2 * SUM_BLOCK, 4]))).kernels[0]!.ir;
    expect(short).not.to.contain(`step ${SUM_BLOCK}`);
    expect(short).to.contain(`in [0:index, ${8 * SUM_BLOCK}:index)`);
  });
});

describe("backend: registration", () => {
  it("registers the cpu executor on import without activating it; useCpuBackend activates it", () => {
    const previous = activeExecutor().name;
    expect(cpuExecutor.name).to.equal("cpu");
    useCpuBackend();
    expect(activeExecutor()).to.equal(cpuExecutor);
    setExecutor(previous);
  });

  it("lowerGraph reports the kernel list and stats", () => {
    const { kernels, stats } = lowerGraph([np.tanh(wave([10])).mul(2)]);
    expect(kernels[0]!.backend).to.equal("cpu");
    expect(kernels[0]!.name).to.match(/^elementwise_mul_[0-9a-f]{8}$/);
    expect(stats).to.include({ kernels: 1, bytes: 80, peakBytes: 40 });
    expect(stats.flops).to.equal(20);
  });
});

describe("backend: errors", () => {
  before(() => setExecutor("cpu"));
  after(() => setExecutor("interpreter"));

  it("reading a graph over a disposed tensor is a DisposedError naming dispose()", () => {
    const x = wave([4]);
    const y = x.mul(2);
    x.dispose();
    expect(() => y.dataSync()).to.throw(DisposedError, "dispose()");
  });

  it("a traced placeholder has no value: ConcretizationError", () => {
    const t = new TensorClass(makeNode("input", [], { label: "arg0" }, { shape: [2], dtype: "float32" }));
    expect(() => t.add(1).dataSync()).to.throw(ConcretizationError, "arg0");
  });
});

describe("backend: deep lazy chains", () => {
  it("an eager loop chained 3000 steps deep without a read is cut into kernels of ~20 transcendental ops", () => {
    // acc ← acc + 0.001·sin(acc): a kernel inlines each sin's vector math twice (vector body and
    // scalar tail), so a transcendental op weighs 8 levels of MAX_FUSED_DEPTH (200): ≤ 20 steps a kernel.
    const x = wave([64]);
    let acc = x;
    const N = 3000;
    // Built as a graph, so that no handle computes its value on the way (tensor.ts).
    interning(() => {
      for (let i = 0; i < N; i++) acc = acc.add(np.sin(acc).mul(0.001));
    });
    const isBuffer = (n: { prim: string }) => n.prim === "data";
    const { plan } = scheduleGraph([acc.node], isBuffer);
    expect(plan.steps.length).to.be.within(N / 21, N / 15);
    const ref = Array.from(x.dataSync(), (v) => {
      for (let i = 0; i < N; i++) v = Math.fround(v + Math.fround(0.001 * Math.fround(Math.sin(v))));
      return v;
    });
    const got = Array.from(acc.dataSync());
    got.forEach((v, i) => expect(v).to.be.closeTo(ref[i]!, 1e-3));
  });
});
