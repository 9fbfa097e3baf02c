// TransformerEncoderLayer: post-LN and pre-LN values against a direct float64 composition written
// here, PyTorch's defaults, finite-difference gradients, a jitted training step (kernel count,
// one trace, falling loss) and bad-input errors.
import { expect } from "chai";
import { ParamState, ShapeError, ValueError, environ, np, random } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { TransformerEncoderLayer } from "./transformer.js";
import { gelu } from "../activations.js";
import { mseLoss } from "../losses.js";
import { fdCheck } from "./fd-check.test-util.js";
import { expectJittedTraining } from "./train.test-util.js";
import { sample } from "./samples.test-util.js";

type Mat = number[][];
const matmul = (a: Mat, w: Mat, b?: number[]): Mat => a.map((row) => w[0]!.map((_, o) => row.reduce((acc, x, i) => acc + x * w[i]![o]!, b ? b[o]! : 0)));
const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((x, j) => x + b[i]![j]!));
const layerNorm = (a: Mat, g: number[], b: number[], eps: number): Mat => a.map((r) => {
  const m = r.reduce((s, x) => s + x, 0) / r.length, v = r.reduce((s, x) => s + (x - m) ** 2, 0) / r.length;
  return r.map((x, j) => ((x - m) / Math.sqrt(v + eps)) * g[j]! + b[j]!);
});
const toMat = (flat: number[], cols: number): Mat => Array.from({ length: flat.length / cols }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
/** Multi-head self-attention of one sequence x [T, D] with projections (w, b) per name. */
function selfAttention(x: Mat, p: Record<string, [Mat, number[]]>, heads: number, causal: boolean): Mat {
  const [q, k, v] = (["query", "key", "value"] as const).map((n) => matmul(x, p[n]![0], p[n]![1]));
  const D = x[0]!.length, dh = D / heads, T = x.length;
  const out = x.map(() => new Array<number>(D).fill(0));
  for (let n = 0; n < heads; n++) {
    for (let t = 0; t < T; t++) {
      const logits = Array.from({ length: T }, (_, s) => Array.from({ length: dh }, (_, h) => q![t]![n * dh + h]! * k![s]![n * dh + h]!).reduce((a, c) => a + c, 0) / Math.sqrt(dh));
      const ok = logits.map((_, s) => !causal || s <= t);
      const m = Math.max(...logits.filter((_, s) => ok[s]));
      const e = logits.map((l, s) => (ok[s] ? Math.exp(l - m) : 0)), z = e.reduce((a, c) => a + c, 0);
      for (let h = 0; h < dh; h++) out[t]![n * dh + h] = e.reduce((acc, w, s) => acc + (w / z) * v![s]![n * dh + h]!, 0);
    }
  }
  return matmul(out, p.out![0], p.out![1]);
}

/** A float64 layer with sampled parameters and its direct reference (no dropout). */
function fixture(d: number, heads: number, dff: number, normFirst: boolean, activation: "relu" | "gelu" = "relu") {
  const layer = new TransformerEncoderLayer(d, heads, { dimFeedforward: dff, dropout: 0, normFirst, activation });
  const p: Record<string, [Mat, number[]]> = {};
  let seed = 30;
  const linears = { query: layer.selfAttn.query, key: layer.selfAttn.key, value: layer.selfAttn.value, out: layer.selfAttn.out, linear1: layer.linear1, linear2: layer.linear2 };
  for (const [name, lin] of Object.entries(linears)) {
    const [wv, w] = sample(lin.weight.value.shape, seed++), [bv, b] = sample(lin.bias!.value.shape, seed++);
    lin.weight.value = w.mul(0.4);
    lin.bias!.value = b;
    p[name] = [toMat(wv.map((x) => x * 0.4), lin.weight.value.shape[1]!), bv];
  }
  const norms: Record<string, [number[], number[]]> = {};
  for (const [name, ln] of Object.entries({ norm1: layer.norm1, norm2: layer.norm2 })) {
    const [gv, g] = sample([d], seed++), [bv, b] = sample([d], seed++);
    ln.scale!.value = g;
    ln.bias!.value = b;
    norms[name] = [gv, bv];
  }
  // The reference is ReLU's; the GELU layer is checked against a function activation instead.
  const actFn = (m: Mat): Mat => m.map((r) => r.map((x) => Math.max(x, 0)));
  const ref = (x: Mat, causal: boolean): Mat => {
    const n1 = (m: Mat) => layerNorm(m, norms.norm1![0], norms.norm1![1], 1e-5), n2 = (m: Mat) => layerNorm(m, norms.norm2![0], norms.norm2![1], 1e-5);
    const ff = (m: Mat) => matmul(actFn(matmul(m, p.linear1![0], p.linear1![1])), p.linear2![0], p.linear2![1]);
    const sa = (m: Mat) => selfAttention(m, p, heads, causal);
    if (normFirst) {
      const h = add(x, sa(n1(x)));
      return add(h, ff(n2(h)));
    }
    const h = n1(add(x, sa(x)));
    return n2(add(h, ff(h)));
  };
  return { layer, ref };
}

describe("nn.TransformerEncoderLayer", () => {
  const [xv, x] = sample([2, 4, 6], 1);
  const seqs = [toMat(xv.slice(0, 24), 6), toMat(xv.slice(24), 6)];

  for (const normFirst of [false, true]) {
    it(`${normFirst ? "pre-LN" : "post-LN (default)"}: values against the direct composition, with and without the causal mask`, () => {
      const { layer, ref } = fixture(6, 2, 5, normFirst);
      for (const causal of [false, true]) {
        const y = layer.call(x, { isCausal: causal });
        expect(y.shape).to.deep.equal([2, 4, 6]);
        expectClose(y.reshape([-1]), seqs.flatMap((s) => ref(s, causal).flat()), { rtol: 1e-10, atol: 1e-12 });
      }
    });
  }

  it("GELU is the exact erf form (PyTorch's); unbatched input", () => {
    const { layer } = fixture(6, 3, 5, false, "gelu");
    const same = new TransformerEncoderLayer(6, 3, { dimFeedforward: 5, dropout: 0, activation: (t) => gelu(t, { approximate: false }) });
    for (const [a, b] of [[layer.selfAttn.query, same.selfAttn.query], [layer.selfAttn.key, same.selfAttn.key], [layer.selfAttn.value, same.selfAttn.value], [layer.selfAttn.out, same.selfAttn.out], [layer.linear1, same.linear1], [layer.linear2, same.linear2]] as const) {
      b.weight.value = a.weight.value;
      b.bias!.value = a.bias!.value;
    }
    for (const [a, b] of [[layer.norm1, same.norm1], [layer.norm2, same.norm2]] as const) {
      b.scale!.value = a.scale!.value;
      b.bias!.value = a.bias!.value;
    }
    expectClose(layer.call(x), same.call(x).toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
    const first = np.take(x, np.array([0], { dtype: "int32" }), { axis: 0 }).reshape([4, 6]);
    expectClose(layer.call(first).reshape([-1]), Array.from(layer.call(x).dataSync()).slice(0, 24), { rtol: 1e-12, atol: 1e-14 });
  });

  it("PyTorch's defaults: dimFeedforward 2048, dropout 0.1, ReLU, post-LN, eps 1e-5; dropout only while training", () => {
    random.seed(3);
    const layer = new TransformerEncoderLayer(8, 2);
    expect(layer.linear1.weight.value.shape).to.deep.equal([8, 2048]);
    expect(layer.dropout.rate).to.equal(0.1);
    expect(layer.selfAttn.dropout.rate).to.equal(0.1);
    expect(layer.normFirst).to.equal(false);
    expect(layer.norm1.eps).to.equal(1e-5);
    expect(Object.keys(layer.states(ParamState))).to.have.length(16);
    const inp = random.normal({ size: [2, 3, 8] });
    const a = environ.context({ fit: false }, () => layer.call(inp).toArraySync());
    const b = environ.context({ fit: false }, () => layer.call(inp).toArraySync());
    expect(a).to.deep.equal(b);
    expect(layer.call(inp).toArraySync()).to.not.deep.equal(a);
    const noBias = new TransformerEncoderLayer(8, 2, { bias: false, dimFeedforward: 4 });
    expect(Object.keys(noBias.states(ParamState))).to.deep.equal(["linear1.weight", "linear2.weight", "norm1.scale", "norm2.scale", "selfAttn.key.weight", "selfAttn.out.weight", "selfAttn.query.weight", "selfAttn.value.weight"]);
  });

  it("gradient in the input matches finite differences (pre-LN, causal)", () => {
    const { layer } = fixture(4, 2, 3, true);
    const [, x0] = sample([1, 3, 4], 2);
    const [wv] = sample([1, 3, 4], 3);
    fdCheck((t) => np.sum(layer.call(t, { isCausal: true }).mul(np.array(wv, { dtype: "float64" }).reshape([1, 3, 4]))), x0);
  });

  it("a jitted training step traces once and the loss falls (kernel counts: test/sequence-models.test.ts)", () => {
    random.seed(5);
    const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, dropout: 0.1, normFirst: true });
    const inp = random.normal({ size: [4, 8, 16] });
    expectJittedTraining(layer.states(ParamState), (xb, yb) => mseLoss(layer.call(xb, { isCausal: true }), yb), inp, np.roll(inp, 1, 1), { lr: 3e-3, steps: 30, ratio: 0.8 });
  });

  it("errors", () => {
    expect(() => new TransformerEncoderLayer(6, 4)).to.throw(ValueError, /qkvFeatures \(6\) must be divisible by numHeads \(4\)/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: "tanh" as "relu" })).to.throw(ValueError, /activation must be "relu", "gelu" or a function/);
    expect(() => new TransformerEncoderLayer(8, 2, { dimFeedforward: 0 })).to.throw(ValueError, /dimFeedforward/);
    expect(() => new TransformerEncoderLayer(8, 2, { dropout: 2 })).to.throw(ValueError, /rate/);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 4 });
    expect(() => layer.call(np.ones([2, 3, 7]))).to.throw(ShapeError, /TransformerEncoderLayer\(8, 2\): expected an input \[batch, T, 8\]/);
  });
});
