// dotProductAttention and MultiHeadAttention: values against direct float64 softmax-attention
// loops written here (masks, causal, bias, grouped kv heads, fully masked rows), finite-difference
// gradients, dropout on the weights, and bad-input errors.
import { expect } from "chai";
import { DTypeError, ShapeError, type Tensor, ValueError, environ, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { dotProductAttention, MultiHeadAttention } from "./attention.js";
import { fdCheck } from "./fd-check.test-util.js";
import { at, indices, sample } from "./samples.test-util.js";

interface RefOpts { scale?: number; bias?: (b: number, n: number, t: number, s: number) => number; mask?: (b: number, n: number, t: number, s: number) => boolean; causal?: boolean }
/**
 * out[b, t, n, h] = Σ_s p[s] v[b, s, n / G, h], p = softmax over the unmasked s of
 * scale · Σ_h q[b, t, n, h] k[b, s, n / G, h] + bias; a row with no unmasked s is uniform (JAX).
 */
function refAttention(q: number[], qs: number[], k: number[], ks: number[], v: number[], r: RefOpts = {}): number[] {
  const [, , N, H] = qs as [number, number, number, number];
  const [, S, K] = ks as [number, number, number, number];
  const G = N / K, scale = r.scale ?? 1 / Math.sqrt(H);
  const rows = new Map<string, number[]>();
  const weights = (b: number, t: number, n: number): number[] => {
    const key = `${b},${t},${n}`;
    if (!rows.has(key)) {
      const kv = Math.floor(n / G);
      const ok = Array.from({ length: S }, (_, s) => (r.mask ? r.mask(b, n, t, s) : true) && (!r.causal || s <= t));
      const logits = Array.from({ length: S }, (_, s) => {
        let d = 0;
        for (let h = 0; h < H; h++) d += at(q, qs, [b, t, n, h]) * at(k, ks, [b, s, kv, h]);
        return d * scale + (r.bias ? r.bias(b, n, t, s) : 0);
      });
      const any = ok.some((o) => o);
      const m = Math.max(...logits.filter((_, s) => ok[s]));
      const e = logits.map((l, s) => (!any ? 1 : ok[s] ? Math.exp(l - m) : 0));
      const z = e.reduce((a, c) => a + c, 0);
      rows.set(key, e.map((x) => x / z));
    }
    return rows.get(key)!;
  };
  return indices(qs).map(([b, t, n, h]) => {
    const p = weights(b!, t!, n!);
    return p.reduce((acc, w, s) => acc + w * at(v, ks, [b!, s, Math.floor(n! / G), h!]), 0);
  });
}

describe("nn.dotProductAttention (jax.nn.dot_product_attention)", () => {
  const qs = [2, 3, 4, 5], ks = [2, 6, 4, 5];
  const [qv, q] = sample(qs, 1), [kv, k] = sample(ks, 2), [vv, v] = sample(ks, 3);

  it("plain, custom scale, bias, mask, causal: values against the direct loops", () => {
    expectClose(dotProductAttention(q, k, v).reshape([-1]), refAttention(qv, qs, kv, ks, vv), { rtol: 1e-12, atol: 1e-14 });
    expectClose(dotProductAttention(q, k, v, { scale: 0.3 }).reshape([-1]), refAttention(qv, qs, kv, ks, vv, { scale: 0.3 }), { rtol: 1e-12, atol: 1e-14 });
    // A per-head [N, T, S] bias and a per-example key-padding mask [B, 1, 1, S].
    const [bv, bias] = sample([4, 3, 6], 4);
    const lens = [4, 6];
    const mask = np.array(lens.map((l) => [[Array.from({ length: 6 }, (_, s) => s < l)]]));
    const ref = refAttention(qv, qs, kv, ks, vv, { bias: (_b, n, t, s) => at(bv, [4, 3, 6], [n, t, s]), mask: (b, _n, _t, s) => s < lens[b]! });
    expectClose(dotProductAttention(q, k, v, { bias, mask }).reshape([-1]), ref, { rtol: 1e-12, atol: 1e-14 });
    // Causal with T = S: query t sees keys 0..t.
    const [sv, self] = sample([2, 6, 4, 5], 5);
    expectClose(dotProductAttention(self, self, self, { isCausal: true }).reshape([-1]), refAttention(sv, [2, 6, 4, 5], sv, [2, 6, 4, 5], sv, { causal: true }), { rtol: 1e-12, atol: 1e-14 });
  });

  it("grouped kv heads, unbatched inputs, dtypes", () => {
    const gks = [2, 6, 2, 5];
    const [gkv, gk] = sample(gks, 6), [gvv, gv] = sample(gks, 7);
    expectClose(dotProductAttention(q, gk, gv).reshape([-1]), refAttention(qv, qs, gkv, gks, gvv), { rtol: 1e-12, atol: 1e-14 });
    const first = (t: Tensor) => np.take(t, np.array([0], { dtype: "int32" }), { axis: 0 }).reshape(t.shape.slice(1));
    const y0 = dotProductAttention(first(q), first(k), first(v));
    expect(y0.shape).to.deep.equal([3, 4, 5]);
    expectClose(y0.reshape([-1]), refAttention(qv, qs, kv, ks, vv).slice(0, 60), { rtol: 1e-12, atol: 1e-14 });
    const f32 = dotProductAttention(np.astype(q, "float32"), np.astype(k, "float32"), np.astype(v, "float32"));
    expect(f32.dtype).to.equal("float32");
    expectClose(f32.reshape([-1]), refAttention(qv, qs, kv, ks, vv), { rtol: 1e-4, atol: 1e-5 });
    expect(dotProductAttention(np.ones([1, 2, 1, 2], { dtype: "int32" }), np.ones([1, 2, 1, 2]), np.ones([1, 2, 1, 2])).dtype).to.equal("float32");
  });

  it("a fully masked row attends uniformly (the mean of the values, as JAX) and its gradient is finite", () => {
    const mask = np.array([[[[false, false, false, false, false, false], [true, true, false, false, false, false], [true, true, true, true, true, true]]]]);
    const y = dotProductAttention(q, k, v, { mask });
    expectClose(y.reshape([-1]), refAttention(qv, qs, kv, ks, vv, { mask: (_b, _n, t, s) => t === 2 || (t === 1 && s < 2) }), { rtol: 1e-12, atol: 1e-14 });
    // Row 0 is the mean of the values over all keys.
    const mean = indices([2, 4, 5]).map(([b, n, h]) => Array.from({ length: 6 }, (_, s) => at(vv, ks, [b!, s, n!, h!])).reduce((a, c) => a + c, 0) / 6);
    const row0 = np.take(y, np.array([0], { dtype: "int32" }), { axis: 1 }).reshape([-1]);
    expectClose(row0, mean, { rtol: 1e-12 });
    // float32 too: the masked fill minus the row max does not overflow to -inf (no 0/0).
    const y32 = dotProductAttention(np.astype(q, "float32"), np.astype(k, "float32"), np.astype(v, "float32"), { mask, bias: np.full([1], 1e30) });
    expect(Array.from(y32.dataSync()).every(Number.isFinite)).to.equal(true);
  });

  it("gradients in q, k and v match finite differences (with bias and mask)", () => {
    const sq = [1, 3, 2, 2], sk = [1, 4, 1, 2];
    const [, q0] = sample(sq, 8), [, k0] = sample(sk, 9), [, v0] = sample(sk, 10);
    const [, bias] = sample([3, 4], 11);
    const mask = np.array([[true, false, true, true], [false, false, false, false], [true, true, true, false]]);
    const [wv] = sample(sq, 12);
    const w = np.array(wv, { dtype: "float64" }).reshape(sq);
    const opts = { bias, mask, scale: 0.7 };
    fdCheck((t) => np.sum(dotProductAttention(t, k0, v0, opts).mul(w)), q0);
    fdCheck((t) => np.sum(dotProductAttention(q0, t, v0, opts).mul(w)), k0);
    fdCheck((t) => np.sum(dotProductAttention(q0, k0, t, { ...opts, isCausal: true }).mul(w)), v0);
  });

  it("errors: ranks, sizes, heads, mask dtype and shape, scale", () => {
    expect(() => dotProductAttention(np.ones([2, 3, 4]), np.ones([2, 3, 4, 1]), np.ones([2, 3, 4, 1]))).to.throw(ShapeError, /query, key and value must all be \[batch, T, heads, headDim\]/);
    expect(() => dotProductAttention(q, np.ones([2, 6, 4, 3]), v)).to.throw(ShapeError, /headDim/);
    expect(() => dotProductAttention(q, np.ones([2, 6, 3, 5]), np.ones([2, 6, 3, 5]))).to.throw(ShapeError, /multiple of kvHeads/);
    expect(() => dotProductAttention(q, k, np.ones([2, 5, 4, 5]))).to.throw(ShapeError, /value's S and kvHeads equal to key's/);
    expect(() => dotProductAttention(q, k, v, { mask: np.ones([3, 6]) })).to.throw(DTypeError, /mask must be a bool array/);
    expect(() => dotProductAttention(q, k, v, { mask: np.ones([3, 5], { dtype: "bool" }) })).to.throw(ShapeError, /cannot be broadcast/);
    expect(() => dotProductAttention(q, k, v, { bias: np.ones([1, 2, 4, 3, 6]) })).to.throw(ShapeError, /bias must broadcast to \[batch, heads, T, S\] = \[2, 4, 3, 6\]/);
    expect(() => dotProductAttention(q, k, v, { scale: NaN })).to.throw(ValueError, /scale must be a finite number/);
    expect(() => dotProductAttention(q, k, v, { isCausal: "yes" as unknown as boolean })).to.throw(ValueError, /isCausal must be a boolean/);
  });
});

/** x [rows, in] · w [in, out] + b on flat arrays. */
function refLinear(x: number[], rows: number, w: number[], inF: number, outF: number, b?: number[]): number[] {
  return indices([rows, outF]).map(([r, o]) => {
    let acc = b ? b[o!]! : 0;
    for (let i = 0; i < inF; i++) acc += x[r! * inF + i]! * w[i * outF + o!]!;
    return acc;
  });
}

describe("nn.MultiHeadAttention", () => {
  /** A layer whose projections are float64 samples, and its direct reference. */
  function fixture(features: number, heads: number, kvFeatures = features) {
    const mha = new MultiHeadAttention(features, heads, { kvFeatures });
    const params: Record<string, [number[], number[]]> = {};
    let seed = 20;
    for (const name of ["query", "key", "value", "out"] as const) {
      const lin = mha[name];
      const [wv, w] = sample(lin.weight.value.shape, seed++), [bv, b] = sample(lin.bias!.value.shape, seed++);
      lin.weight.value = w.mul(0.5);
      lin.bias!.value = b;
      params[name] = [wv.map((x) => x * 0.5), bv];
    }
    const ref = (x: number[], xs: number[], kvIn: number[], kvs: number[], r: RefOpts = {}) => {
      const [B, T] = xs as [number, number], S = kvs[1]!, D = features, dh = D / heads;
      const proj = (name: string, inp: number[], rows: number, inF: number) => refLinear(inp, rows, params[name]![0], inF, D, params[name]![1]);
      const qh = proj("query", x, B * T, features), kh = proj("key", kvIn, B * S, kvFeatures), vh = proj("value", kvIn, B * S, kvFeatures);
      const att = refAttention(qh, [B, T, heads, dh], kh, [B, S, heads, dh], vh, r);
      return refLinear(att, B * T, params.out![0], D, D, params.out![1]);
    };
    return { mha, ref };
  }

  it("self- and cross-attention against the direct projections and loops; key/value defaults", () => {
    const { mha, ref } = fixture(6, 3, 4);
    const [xv, x] = sample([2, 3, 6], 1), [cv, ctx] = sample([2, 5, 4], 2);
    const y = mha.call(x, ctx);
    expect(y.shape).to.deep.equal([2, 3, 6]);
    expectClose(y.reshape([-1]), ref(xv, [2, 3, 6], cv, [2, 5, 4]), { rtol: 1e-11, atol: 1e-13 });
    const mask = np.array([[[[true, true, false, true, false]]], [[[false, false, false, false, false]]]]);
    expectClose(mha.call(x, ctx, ctx, { mask }).reshape([-1]), ref(xv, [2, 3, 6], cv, [2, 5, 4], { mask: (b, _n, _t, s) => b === 0 && s !== 2 && s !== 4 }), { rtol: 1e-11, atol: 1e-13 });
    const self = fixture(6, 2);
    expectClose(self.mha.call(x, undefined, undefined, { isCausal: true }).reshape([-1]), self.ref(xv, [2, 3, 6], xv, [2, 3, 6], { causal: true }), { rtol: 1e-11, atol: 1e-13 });
    expectClose(self.mha.call(x), self.mha.call(x, x, x).toArraySync() as number[][][], { rtol: 0, atol: 0 });
    expect(self.mha.call(np.ones([3, 6], { dtype: "float64" })).shape).to.deep.equal([3, 6]);
    expect(Object.keys(self.mha.states())).to.deep.equal(["key.bias", "key.weight", "out.bias", "out.weight", "query.bias", "query.weight", "value.bias", "value.weight"]);
  });

  it("dropout on the attention weights only while training (environ fit)", () => {
    const mha = new MultiHeadAttention(4, 2, { dropoutRate: 1 });
    mha.out.bias!.value = np.array([1, 2, 3, 4]);
    const x = np.ones([1, 3, 4]);
    // Every weight dropped: the attention output is zero and only the out-projection bias remains.
    expect(mha.call(x).toArraySync()).to.deep.equal([[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]]);
    const evalOut = environ.context({ fit: false }, () => mha.call(x));
    const noDrop = new MultiHeadAttention(4, 2);
    for (const n of ["query", "key", "value", "out"] as const) {
      noDrop[n].weight.value = mha[n].weight.value;
      noDrop[n].bias!.value = mha[n].bias!.value;
    }
    expectClose(evalOut, noDrop.call(x).toArraySync() as number[][][], { rtol: 1e-6 });
  });

  it("gradient in the input matches finite differences", () => {
    const { mha } = fixture(4, 2);
    const [, x0] = sample([1, 3, 4], 3);
    const [wv] = sample([1, 3, 4], 4);
    fdCheck((t) => np.sum(mha.call(t, undefined, undefined, { isCausal: true }).mul(np.array(wv, { dtype: "float64" }).reshape([1, 3, 4]))), x0);
  });

  it("errors", () => {
    expect(() => new MultiHeadAttention(6, 4)).to.throw(ValueError, /qkvFeatures \(6\) must be divisible by numHeads \(4\)/);
    expect(() => new MultiHeadAttention(6, 0)).to.throw(ValueError, /numHeads must be a positive integer/);
    const mha = new MultiHeadAttention(4, 2);
    expect(() => mha.call(np.ones([2, 3, 5]))).to.throw(ShapeError, /Linear\(4, 4\)/);
    expect(() => mha.call(np.ones([4]))).to.throw(ShapeError, /MultiHeadAttention\(4, 2\): expected query, key and value \[batch, length, features\]/);
    expect(() => mha.call(np.ones([2, 3, 4]), np.ones([5, 4]))).to.throw(ShapeError);
  });
});
