/**
 * Structure that causes the cpu backend's speed (benchmarks measure the speed itself): W1's fused
 * kernel is one SIMD loop with every op in f32x4 (the vector math too, nothing lane by lane), and
 * the W3 and W8 training steps' kernels — every contraction included — run as wasm, W8's batched
 * attention products each as one contraction over every (batch, head) pair with no transposed copy.
 */
import { expect } from "chai";
import { type Tensor, grad, jit, nn, np, optim, ParamState } from "kiln";
import { scheduleGraph, wasmContractionStats } from "@kiln/backend";
import { type Node, activeExecutor, bufferOf, setExecutor } from "@kiln/core";
import { renderWasm } from "../../packages/backend/src/targets/wasm/wasm-render.js";
import { heap } from "../../packages/backend/src/host/heap.js";
import { kilnMlp, mlpData } from "../../bench/src/w3-mlp.js";

const [B, T, D, HEADS, DFF] = [16, 128, 128, 4, 512];

/** W8's jitted step (TransformerEncoderLayer 16×128×128, 4 heads, ff 512, MSE + SGD) and an input of ones. */
function w8Step() {
  const layer = new nn.TransformerEncoderLayer(D, HEADS, { dimFeedforward: DFF, dropout: 0 });
  const params = layer.states(ParamState);
  const opt = new optim.SGD(params, { lr: 1e-3 });
  const step = jit((xb: Tensor, tb: Tensor) => {
    const [g, v] = grad(() => np.mean(np.square(layer.call(xb).sub(tb))), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return v;
  });
  return { step, x: np.ones([B, T, D], { dtype: "float32" }) };
}

describe("wasm: structure of the benchmark workloads", function () {
  this.timeout(60_000);
  // The steps are lowered for the cpu backend, whatever executor earlier suites left active.
  let previous = "";
  before(() => ((previous = activeExecutor().name), setExecutor("cpu")));
  after(() => setExecutor(previous));

  it("W1 (sum of tanh·sigmoid − 0.1x², 2^20 float32): one kernel, its loop fully f32x4", () => {
    const x = np.linspace(-3, 3, 1 << 20).astype("float32");
    x.dataSync();
    const t = np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(x).mul(0.1)));
    const { plan } = scheduleGraph([t.node], (n: Node) => n.prim === "data" || bufferOf(n) !== undefined);
    const kernels = plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
    expect(kernels.length).to.equal(1);
    const { stats, imports } = renderWasm(kernels[0]!, heap!);
    expect(stats.vectorLoops).to.be.greaterThan(0);
    expect(stats.perLaneOps, "ops computed lane by lane").to.equal(0);
    expect(imports, "per-element calls out of wasm").to.deep.equal([]);
  });

  it("W3's forward contraction tanh(x·W + b): its packing and epilogue f32x4, the vector math in it too, all of it on the pool", () => {
    const x = np.ones([128, 784], { dtype: "float32" }), w = np.ones([784, 256], { dtype: "float32" }), b = np.ones([256], { dtype: "float32" });
    const t = np.tanh(x.matmul(w).add(b));
    const { plan } = scheduleGraph([t.node], (n: Node) => n.prim === "data" || bufferOf(n) !== undefined);
    const kernels = plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
    expect(kernels.map((k) => k.name.split("_")[0])).to.deep.equal(["matmul"]);
    const { stats, imports, pool } = renderWasm(kernels[0]!, heap!);
    expect(pool, "packing, tiles and epilogue on the pool").to.deep.include({ kind: "tiles" });
    // Before: the epilogue read the tile from C per element, so its loop (tanh included) stayed scalar.
    expect(stats.vectorLoops, "A packing (rows inner), B packing and the epilogue").to.equal(3);
    expect(stats.perLaneOps, "ops computed lane by lane").to.equal(0);
    expect(imports, "per-element calls out of wasm").to.deep.equal([]);
  });

  it("which pool path a contraction takes: none below 2^20 flops, the whole region, or only the microkernel when the region calls the host", () => {
    const pathOf = (t: Tensor) => {
      const { plan } = scheduleGraph([t.node], (n: Node) => n.prim === "data" || bufferOf(n) !== undefined);
      const [k] = plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
      return renderWasm(k!, heap!).pool?.kind ?? "none";
    };
    const a = np.ones([64, 64], { dtype: "float32" }), b = np.ones([64, 96], { dtype: "float32" });
    const big = np.ones([130, 200], { dtype: "float32" }), w = np.ones([200, 150], { dtype: "float32" });
    expect(pathOf(a.matmul(b)), "0.8 MFLOP").to.equal("none");
    expect(pathOf(big.T.matmul(np.ones([130, 300], { dtype: "float32" }))), "xᵀ·dY").to.equal("tiles");
    expect(pathOf(np.arctan2(big.matmul(w), 2)), "atan2 is a host call").to.equal("gemm");
  });

  it("W3 (MLP 784-256-256-10, batch 128, jit(valueAndGrad) + SGD): ≤ 18 kernels, every contraction and big kernel wasm", () => {
    const { x, y, make } = kilnMlp(mlpData()); // the benchmark's own step
    const step = make();
    const { kernels } = step.lower(x, y);
    expect(kernels.length).to.be.at.most(18);
    const wasm = (k: { source: string }) => k.source.startsWith(";; wasm kernel");
    const contractions = kernels.filter((k) => k.name.startsWith("matmul_"));
    expect(contractions.length).to.be.greaterThan(5);
    expect(contractions.filter((k) => !wasm(k)).map((k) => k.name), "contractions left to JS").to.deep.equal([]);
    expect(Number.isFinite(step(x, y).itemSync())).to.equal(true);
  });

  it("W3's contractions: one pool call each — A's panels, then the tiles with their B panels, as one two-stage job; chunks of whole cache lines", () => {
    const { x, y, make } = kilnMlp(mlpData());
    const step = make();
    step(x, y).itemSync();
    const before = wasmContractionStats();
    step(x, y).itemSync();
    const after = wasmContractionStats();
    // The 7 contractions of the pooled form (all but the 128×10·10×256 product, below 2^20 flops)
    // each pack their B once per step — per pair, in the tiles phase, by the thread that multiplies
    // it (a batch of one: B is packed once either way) — and A in the packing phase: 14 phases.
    expect(after.bPacks - before.bPacks, "B packings per step").to.equal(7);
    expect(after.phaseCalls - before.phaseCalls, "phases per step").to.equal(14);
    // Both phases of a contraction in one pool call (one wake-up of the workers, not two): 7 (was 14).
    expect(after.poolCalls - before.poolCalls, "pool calls per step").to.equal(7);
    // Every pooled contraction: B packed per pair, and chunks of an even number of pairs (16 columns,
    // 64 bytes of a row of C: two threads never write one cache line).
    const pools = step.lower(x, y).kernels.map((k) => /; pool: \d+ tasks in chunks of (\d+), B packed (once|per pair)\n/.exec(k.source)).filter((m) => m !== null);
    expect(pools.length, "pooled contractions").to.equal(7);
    for (const [line, grain, packed] of pools) {
      expect(packed, line).to.equal("per pair");
      expect(Number(grain) % 2, line).to.equal(0);
    }
  });

  it("a weight shared by a batch of products (x[b] @ W) is packed once per call, in the packing phase; a single product's per pair", () => {
    const poolOf = (t: Tensor) => {
      const { plan } = scheduleGraph([t.node], (n: Node) => n.prim === "data" || bufferOf(n) !== undefined);
      const [k] = plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
      return renderWasm(k!, heap!).pool;
    };
    const w = np.ones([256, 256], { dtype: "float32" });
    const batched = poolOf(np.matmul(np.ones([4, 128, 256], { dtype: "float32" }), w));
    const single = poolOf(np.matmul(np.ones([128, 256], { dtype: "float32" }), w));
    expect(batched?.kind === "tiles" && batched.bPackedOnce, "x[b] @ W, batch 4").to.equal(true);
    expect(single?.kind === "tiles" && !single.bPackedOnce, "x @ W").to.equal(true);
  });

  it("a kernel calling vector math (exp, tanh, …) runs as wasm from ~128 elements: W3's softmax exp over 128×10 (48 µs as JS, ~5 as wasm)", () => {
    const { x, y, make } = kilnMlp(mlpData());
    const { kernels } = make().lower(x, y);
    const wasm = (k: { source: string }) => k.source.startsWith(";; wasm kernel");
    const exps = kernels.filter((k) => /\bexp:float32\(/.test(k.source) || /f32exp\(/.test(k.source));
    expect(exps.length, "the softmax's exp kernel").to.be.greaterThan(0);
    expect(exps.filter((k) => !wasm(k)).map((k) => k.name), "vector math left to JS").to.deep.equal([]);
    const sourceOf = (n: number, f: (t: Tensor) => Tensor) => {
      const t = np.sin(np.arange(n).astype("float32"));
      return jit(f).lower(t).kernels[0]!.source;
    };
    expect(wasm({ source: sourceOf(128, (t) => np.exp(t)) }), "128 elements of exp").to.equal(true);
    expect(wasm({ source: sourceOf(16, (t) => np.exp(t)) }), "16 elements of exp: a call into wasm does not pay").to.equal(false);
    expect(wasm({ source: sourceOf(128, (t) => t.mul(2).add(1)) }), "128 elements without vector math").to.equal(false);
  });

  it("W8 (TransformerEncoderLayer 16×128×128, 4 heads, ff 512, MSE + SGD): ≤ 59 kernels, one wasm contraction per product, no movement copies", () => {
    const { step, x } = w8Step();
    const { kernels, graph } = step.lower(x, x);
    expect(kernels.length).to.be.at.most(59);
    const contractions = kernels.filter((k) => k.name.startsWith("matmul_"));
    // Every product of the graph is one contraction kernel (none split, none recomputed) …
    expect(contractions.length).to.equal(graph.match(/= matmul /g)!.length);
    expect(contractions.filter((k) => !k.source.startsWith(";; wasm kernel")).map((k) => k.name), "contractions left to JS").to.deep.equal([]);
    // … the attention products (q·kᵀ, p·v and their four gradients) batched over all B·heads pairs,
    // their head transposes read by the packing loops rather than copied first.
    const batchOf = (src: string) => Number(/^parallel v\d+ in \[0:index, (\d+):index\)/m.exec(src)?.[1]);
    expect(contractions.filter((k) => batchOf(k.source) === B * HEADS).length).to.equal(6);
    expect(kernels.filter((k) => /^[a-z]+_(transpose|reshape|broadcast)_/.test(k.name)).map((k) => k.name), "movement ops materialized").to.deep.equal([]);
  });

  it("W8's contractions: a few pool calls each whatever the batch, each weight's panels packed once per step", () => {
    const { step, x } = w8Step();
    const contractions = step.lower(x, x).kernels.filter((k) => k.name.startsWith("matmul_")).length;
    step(x, x).item();
    const before = wasmContractionStats();
    step(x, x).item();
    const after = wasmContractionStats();
    // Before: one pool call and one B packing per batch element — 624 of each per step.
    expect(after.phaseCalls - before.phaseCalls, "phases per step").to.be.at.most(3 * contractions);
    // Weights (6 projections forward, 3 dX products by a transposed weight) once each; attention
    // products (6, over B·heads) and dW = xᵀ·dY (6, over B) have a B per batch element.
    expect(after.bPacks - before.bPacks, "B packings per step").to.equal(9 + 6 * B * HEADS + 6 * B);
  });
});
