/** checkpoint / remat: unchanged values and derivatives, recomputation in the graph, policies, memory. */
import { expect } from "chai";
import { type Node, type Tensor, ValueError, np, topoSort } from "@kiln/core";
import { checkpoint, grad, hessian, jacfwd, jvp, peakLiveBytes, remat, valueAndGrad } from "./index.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;
const count = (outs: readonly Tensor[], prim: string) => topoSort(outs.map((t) => t.node)).filter((n) => n.prim === prim).length;

describe("checkpoint", () => {
  const W = np.array([[0.5, -1], [2, 0.25]]);
  const x = np.array([[1, 2], [-1, 0.5]]);
  const layer = (h: Tensor, w: Tensor) => np.tanh(h.matmul(w));

  it("leaves values and gradients unchanged, for arguments and closed-over values alike", () => {
    const plain = (w: Tensor, h: Tensor) => layer(layer(h, w), w).pow(2).sum();
    const ck = (w: Tensor, h: Tensor) => T(checkpoint((v: Tensor) => layer(layer(v, w), w))(h)).pow(2).sum();
    const [[pw, ph], [cw, ch]] = [plain, ck].map((f) => grad(f, { argnums: [0, 1] })(W, x) as Tensor[]);
    expectClose(cw!, pw!.toArraySync() as number[][], { rtol: 1e-6 });
    expectClose(ch!, ph!.toArraySync() as number[][], { rtol: 1e-6 });
    expect(T(ck(W, x)).itemSync()).to.be.closeTo(T(plain(W, x)).itemSync(), 1e-6);
  });

  it("derives the backward pass from a separate copy of the interior (nothingSaveable)", () => {
    const f = (cp: typeof checkpoint | null) => (w: Tensor) => {
      const g = (h: Tensor) => layer(h, w);
      return T(cp ? cp(g)(x) : g(x)).sum();
    };
    const plain = valueAndGrad(f(null))(W) as Tensor[];
    const ck = valueAndGrad(f(checkpoint))(W) as Tensor[];
    // plain: the forward matmul and tanh serve the value and the backward pass;
    // checkpointed: the backward pass has its own matmul and tanh (the recomputation).
    expect([count(plain, "matmul"), count(plain, "tanh")]).to.deep.equal([2, 1]);
    expect([count(ck, "matmul"), count(ck, "tanh")]).to.deep.equal([3, 2]);
    // dotsSaveable keeps the forward matmul — and so the tanh of it: recomputing a value from
    // saved values alone is the forward computation itself (one hash-consed node).
    const dots = valueAndGrad(f((g) => checkpoint(g, { policy: "dotsSaveable" })))(W) as Tensor[];
    expect([count(dots, "matmul"), count(dots, "tanh")]).to.deep.equal([2, 1]);
    // A predicate can save the tanh instead: the backward pass then needs nothing recomputed.
    const tanhs = valueAndGrad(f((g) => checkpoint(g, { policy: (prim) => prim === "tanh" })))(W) as Tensor[];
    expect([count(tanhs, "matmul"), count(tanhs, "tanh")]).to.deep.equal([2, 1]);
    // Saving the sum's input only (never used by the backward pass) recomputes everything.
    const sums = valueAndGrad(f((g) => checkpoint(g, { policy: (prim) => prim === "reduceSum" })))(W) as Tensor[];
    expect([count(sums, "matmul"), count(sums, "tanh")]).to.deep.equal([3, 2]);
    // (Counted before reading: a read replaces a tensor's graph by its data.)
    const want = plain[1]!.toArraySync() as number[][];
    for (const r of [ck, dots, tanhs, sums]) expectClose(r[1]!, want, { rtol: 1e-6 });
  });

  it("is a plain call outside transforms and in forward mode", () => {
    const f = checkpoint((h: Tensor) => h.sin().mul(h));
    const y = T(f(np.array([0.5, 1])));
    expectClose(y, [0.5 * Math.sin(0.5), Math.sin(1)], { rtol: 1e-6 });
    expect(topoSort([y.node]).some((n) => n.prim === "stopGradient")).to.equal(false);
    const [, t] = jvp((h: Tensor) => T(f(h)), [np.array(0.5)], [np.array(1)]);
    expect(T(t).itemSync()).to.be.closeTo(Math.cos(0.5) * 0.5 + Math.sin(0.5), 1e-6);
  });

  it("composes: second derivatives, nested checkpoints, the alias remat", () => {
    const inner = (h: Tensor) => h.sin().mul(h.pow(2));
    const want = (v: number) => 2 * Math.sin(v) + 4 * v * Math.cos(v) - v * v * Math.sin(v);
    expect(T(grad(grad((h: Tensor) => T(checkpoint(inner)(h))))(0.7)).itemSync()).to.be.closeTo(want(0.7), 1e-5);
    expectClose(T(hessian((h: Tensor) => T(remat(remat(inner))(h)).sum())(np.array([0.7, -0.2]))), [[want(0.7), 0], [0, want(-0.2)]], { rtol: 1e-5 });
    expectClose(T(jacfwd((h: Tensor) => T(checkpoint(inner)(h)))(np.array([0.3]))), [[2 * 0.3 * Math.sin(0.3) + 0.09 * Math.cos(0.3)]], { rtol: 1e-5 });
  });

  it("takes pytrees, int and static arguments, and passes non-float outputs through", () => {
    const f = checkpoint((p: { a: Tensor; b: Tensor }, idx: Tensor, k: number) => [p.a.mul(p.b).mul(k), idx.add(1), "tag"]);
    const g = grad((p: { a: Tensor; b: Tensor }) => {
      const [y, i, tag] = f(p, np.array([1, 2], { dtype: "int32" }), 3) as [Tensor, Tensor, string];
      expect(i.dtype).to.equal("int32");
      expect(tag).to.equal("tag");
      return y.sum();
    })({ a: np.array([1, 2]), b: np.array([3, 4]) }) as { a: Tensor; b: Tensor };
    expectClose(g.a, [9, 12]);
    expectClose(g.b, [3, 6]);
  });

  it("rejects unknown policies and non-functions", () => {
    expect(() => checkpoint((h: Tensor) => h, { policy: "everythingSaveable" as never })).to.throw(ValueError, /unknown policy "everythingSaveable"/);
    expect(() => checkpoint(3 as never)).to.throw(ValueError, /expected a function/);
  });
});

describe("checkpoint: memory (20-layer tanh MLP, width 256, batch 64, a checkpoint every 5 layers)", () => {
  const L = 20;
  const mlp = (width: number, batch: number) => {
    // Parameters and data are realized buffers (leaves), as they are in training.
    const ws = Array.from({ length: L }, (_, i) => np.full([width, width], 0.02 / (1 + i)).add(np.eye(width).mul(0.5)));
    const x = np.ones([batch, width]).mul(0.3);
    for (const t of [...ws, x]) t.dataSync();
    const layer = (h: Tensor, w: Tensor) => np.tanh(h.matmul(w));
    const plain = (params: Tensor[], h: Tensor) => params.reduce(layer, h).sum();
    const block = checkpoint((h: Tensor, params: Tensor[]) => params.reduce(layer, h));
    const ck = (params: Tensor[], h: Tensor) => {
      for (let i = 0; i < L; i += 5) h = T(block(h, params.slice(i, i + 5)));
      return h.sum();
    };
    return { ws, x, plain, ck };
  };
  const nodes = (g: unknown): Node[] => (Array.isArray(g) ? (g.flat(2) as Tensor[]) : [g as Tensor]).map((t) => t.node);

  it("keeps under half the bytes alive for the input gradient", () => {
    const { ws, x, plain, ck } = mlp(256, 64);
    const p = peakLiveBytes(nodes(grad(plain, { argnums: 1 })(ws, x)));
    const c = peakLiveBytes(nodes(grad(ck, { argnums: 1 })(ws, x)));
    const act = 64 * 256 * 4;
    // plain: all 20 activations wait for the backward pass (one is the output's cotangent chain)
    expect(p).to.be.at.least(20 * act);
    expect(c / p).to.be.below(0.5);
  });

  it("keeps under half the intermediate bytes alive for all weight and input gradients", () => {
    const { ws, x, plain, ck } = mlp(256, 64);
    const gp = nodes(grad(plain, { argnums: [0, 1] })(ws, x));
    const gc = nodes(grad(ck, { argnums: [0, 1] })(ws, x));
    const p = peakLiveBytes(gp, { countOutputs: false });
    const c = peakLiveBytes(gc, { countOutputs: false });
    expect(c / p).to.be.below(0.5);
    // Counting the 20 weight gradients (256 KiB each, kept to the end) they dominate both peaks.
    expect(peakLiveBytes(gc)).to.be.at.least(20 * 256 * 256 * 4);
  });

  it("computes equal gradients (checked numerically on a small instance)", () => {
    const { ws, x, plain, ck } = mlp(6, 3);
    const [pw, px] = grad(plain, { argnums: [0, 1] })(ws, x) as [Tensor[], Tensor];
    const [cw, cx] = grad(ck, { argnums: [0, 1] })(ws, x) as [Tensor[], Tensor];
    expectClose(cx, px.toArraySync() as number[][], { rtol: 1e-5, atol: 1e-7 });
    for (const k of [0, 7, 19]) expectClose(cw[k]!, pw[k]!.toArraySync() as number[][], { rtol: 1e-5, atol: 1e-7 });
  });
});
