/**
 * vmap: every result is compared with the untransformed function called per example in a loop
 * (or with hand-computed values).
 */
import { expect } from "chai";
import {
  ConcretizationError, IndexError, ParamState, State, StateError, type Tensor, ValueError, np, npUtil, prng, slice,
} from "@kiln/core";
import { cond, customVjp, grad, jacrev, jit, scan, vmap, whileLoop } from "./index.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;
const f64 = (v: unknown) => np.array(v as number[], { dtype: "float64" });

/** A deterministic float64 array of `shape` with distinct, irregular values. */
function data(shape: number[], seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 3);
  return np.reshape(np.array(v, { dtype: "float64" }), shape);
}

/** fn applied to slice b of each argument (along its axis; null = whole argument), stacked along `outAxis`. */
function loop(fn: (...a: Tensor[]) => Tensor, args: Tensor[], axes: (number | null)[], size: number, outAxis = 0): Tensor {
  const outs = Array.from({ length: size }, (_, b) => fn(...args.map((a, i) => (axes[i] === null ? a : np.take(a, b, { axis: axes[i]! })))));
  return np.stack(outs, { axis: outAxis });
}

const arr = (t: Tensor) => t.toArraySync() as never;

describe("vmap", () => {
  describe("axes", () => {
    it("maps over inAxes 0, 1, -1 and null, and places the batch at outAxes 0, 1, -1", () => {
      const x = data([3, 4, 2]);
      const v = data([4, 2], 2);
      const f = (a: Tensor, b: Tensor) => np.tanh(a).mul(b).sum({ axis: -1 });
      for (const ax of [0, 1, -1]) {
        const size = x.shape.at(ax)!;
        const other = ax === 0 ? [4, 2] : ax === 1 ? [3, 2] : [3, 4];
        const w = data(other, 5);
        expectClose(T(vmap(f, { inAxes: [ax, null] })(x, w)), arr(loop(f, [x, w], [ax, null], size)));
      }
      const g = (a: Tensor) => a.mul(2).add(1);
      expectClose(T(vmap(g, { outAxes: 1 })(x)), arr(loop(g, [x], [0], 3, 1)));
      expectClose(T(vmap(g, { outAxes: -1 })(x)), arr(loop(g, [x], [0], 3, -1)));
      expectClose(T(vmap(g, { inAxes: 2, outAxes: -2 })(x)), arr(loop(g, [x], [2], 2, 1)));
      expectClose(T(vmap(f, { inAxes: [0, null] })(x, v)), arr(loop(f, [x, v], [0, null], 3)));
    });

    it("accepts pytree prefixes for inAxes and outAxes and returns pytree outputs", () => {
      const a = data([2, 3]), b = data([3], 2), c = data([3, 2], 3);
      const f = (p: { a: Tensor; b: Tensor }, q: Tensor) => ({ s: p.a.add(p.b).sum(), pair: [p.a.mul(q), q.neg()] });
      const out = vmap(f, { inAxes: [{ a: 0, b: null }, 1], outAxes: { s: 0, pair: [1, 0] } })({ a, b }, c) as {
        s: Tensor; pair: [Tensor, Tensor];
      };
      const want = [0, 1].map((i) => f({ a: a.get(i), b }, c.get(slice(), i)));
      expectClose(out.s, [arr(want[0]!.s), arr(want[1]!.s)]);
      expectClose(out.pair[0], arr(np.stack(want.map((w) => w.pair[0]), { axis: 1 })));
      expectClose(out.pair[1], arr(np.stack(want.map((w) => w.pair[1]))));
    });

    it("broadcasts outputs that do not depend on a mapped input, keeps outAxes null ones unbatched, and uses axisSize", () => {
      const [y, z] = vmap((x: Tensor) => [x.mul(2), np.ones([2])], { outAxes: [0, 0] })(np.array([1, 2, 3])) as Tensor[];
      expectClose(y!, [2, 4, 6]);
      expectClose(z!, [[1, 1], [1, 1], [1, 1]]);
      const [u, w] = vmap((x: Tensor) => [x.mul(2), np.ones([2])], { outAxes: [0, null] })(np.array([1, 2, 3])) as Tensor[];
      expectClose(u!, [2, 4, 6]);
      expectClose(w!, [1, 1]);
      expectClose(T(vmap(() => np.arange(2), { axisSize: 3 })()), [[0, 1], [0, 1], [0, 1]]);
      expectClose(T(vmap((s: Tensor) => s.add(1), { inAxes: null, axisSize: 2 })(np.array([5]))), [[6], [6]]);
      expect(T(vmap((x: Tensor) => x.sum(), { axisSize: 0 })(np.zeros([0, 4]))).shape).to.deep.equal([0]);
      // JS numbers: a returned number is broadcast; an unmapped number argument passes through.
      expectClose(T(vmap((x: Tensor, k: number) => x.mul(k), { inAxes: [0, null] })(np.array([1, 2]), 3)), [3, 6]);
    });

    it("nests: vmap(vmap(f)) is an outer product", () => {
      const a = np.array([1, 2, 3]), b = np.array([10, 20]);
      const outer = vmap((x: Tensor) => vmap((y: Tensor) => x.mul(y), { inAxes: 0 })(b))(a);
      expectClose(T(outer), [[10, 20], [20, 40], [30, 60]]);
      const inner = vmap(vmap((x: Tensor, y: Tensor) => x.sub(y), { inAxes: [null, 0] }), { inAxes: [0, null] })(a, b);
      expectClose(T(inner), [[-9, -19], [-8, -18], [-7, -17]]);
    });
  });

  describe("composition", () => {
    const loss = (w: Tensor, x: Tensor, y: Tensor) => np.tanh(x.matmul(w)).sub(y).square().sum();
    const w = data([3, 2]), xs = data([5, 3], 2), ys = data([5, 2], 3);

    it("vmap(grad(f)) gives per-example gradients; grad(sum∘vmap(f)) their sum", () => {
      const per = T(vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, ys));
      const want = np.stack([0, 1, 2, 3, 4].map((b) => T(grad(loss)(w, xs.get(b), ys.get(b)))));
      expectClose(per, arr(want), { rtol: 1e-10 });
      const total = T(grad((v: Tensor) => T(vmap(loss, { inAxes: [null, 0, 0] })(v, xs, ys)).sum())(w));
      expectClose(total, arr(want.sum({ axis: 0 })), { rtol: 1e-10 });
      const gx = T(grad((x: Tensor) => T(vmap(loss, { inAxes: [null, 0, 0] })(w, x, ys)).sum())(xs));
      expectClose(gx, arr(np.stack([0, 1, 2, 3, 4].map((b) => T(grad(loss, { argnums: 1 })(w, xs.get(b), ys.get(b)))))), { rtol: 1e-10 });
    });

    it("jit(vmap(f)) and jacrev(vmap(f)) match the unbatched computations", () => {
      const f = (x: Tensor) => np.sin(x).mul(x.sum());
      const x = data([4, 3]);
      const jitted = jit(vmap(f));
      expectClose(T(jitted(x)), arr(loop(f, [x], [0], 4)));
      expectClose(T(jitted(x.mul(2))), arr(loop(f, [x.mul(2)], [0], 4)));
      // The Jacobian of a batched map is block diagonal: J[b, i, c, j] = [b == c] * J_f(x_b)[i, j].
      const J = T(jacrev(vmap(f))(x)).toArraySync() as number[][][][];
      for (let b = 0; b < 4; b++) {
        const Jb = T(jacrev(f)(x.get(b))).toArraySync() as number[][];
        for (let c = 0; c < 4; c++) expectClose(J[b]!.map((row) => row[c]!) as never, b === c ? Jb : [[0, 0, 0], [0, 0, 0], [0, 0, 0]], { rtol: 1e-10 });
      }
    });

    it("a customVjp inside vmap keeps its rule under grad", () => {
      const clip = customVjp((x: Tensor) => x.mul(3));
      clip.defVjp((x: Tensor) => [x.mul(3), null], (_r: unknown, g: Tensor) => [g.mul(100)]);
      const g = T(grad((x: Tensor) => T(vmap((v: Tensor) => clip(v).sum())(x)).sum())(np.ones([2, 3])));
      expectClose(g, [[100, 100, 100], [100, 100, 100]]);
    });
  });

  describe("primitive families (per-example loop)", () => {
    const x = data([3, 4, 5]);
    const cases: [string, (a: Tensor) => Tensor][] = [
      ["unary", (a) => np.exp(np.tanh(a)).add(np.abs(a).sqrt())],
      ["binary with an unbatched operand", (a) => a.mul(data([5], 9)).sub(np.maximum(a, 0.5))],
      ["compare, where, cast", (a) => np.where(a.gt(0), a, np.floor(a)).add(a.lt(0).astype("float64"))],
      ["reductions", (a) => np.concatenate([a.sum({ axis: 0 }), a.max({ axis: -1, keepdims: true }).reshape([-1]), a.min({ axis: 0 }), a.prod({ axis: [0] })])],
      ["argmax, argmin, cumsum", (a) => np.concatenate([np.argmax(a, { axis: 1 }), np.argmin(a, { axis: 0 })]).astype("float64").sum().add(np.cumsum(a, { axis: -1 }))],
      ["reshape, transpose, flip", (a) => np.flip(a.reshape([5, 4]).T, 0).reshape([-1])],
      ["slice and pad", (a) => np.pad(a.get(slice(1, null, 2), slice(null, null, -1)), [[1, 0], [0, 2]], { constantValues: 7 })],
      ["broadcastTo, concatenate", (a) => np.concatenate([np.broadcastTo(a.get(0), [2, 5]), data([1, 5], 4)])],
      ["matmul (lhs batched)", (a) => a.matmul(data([5, 2], 3))],
      ["matmul (rhs batched)", (a) => data([6, 4], 3).matmul(a)],
      ["matmul (both)", (a) => a.matmul(a.T)],
      ["take with unbatched indices", (a) => np.take(a, np.array([3, 0, 0], { dtype: "int32" }), { axis: 1 })],
      ["linalg", (a) => {
        const m = a.matmul(a.T).add(np.eye(4).astype("float64"));
        return np.concatenate([np.linalg.solve(m, a).reshape([-1]), np.linalg.cholesky(m).reshape([-1]), np.linalg.det(m).reshape([1]), np.linalg.slogdet(m)[1].reshape([1])]);
      }],
    ];
    for (const [name, f] of cases) {
      it(name, () => {
        expectClose(T(vmap(f)(x)), arr(loop(f, [x], [0], 3)), { rtol: 1e-9, atol: 1e-9 });
        expectClose(T(vmap(f, { inAxes: 1 })(np.moveaxis(x, 0, 1))), arr(loop(f, [x], [0], 3)), { rtol: 1e-9, atol: 1e-9 });
      });
    }
  });

  describe("gather and scatter with batched indices", () => {
    const x = data([3, 4, 2]);
    const idx = np.array([[0, 3, 3], [2, -1, 1], [1, 1, 0]], { dtype: "int32" });
    it("take: indices batched, operand batched, both", () => {
      const t = (a: Tensor, i: Tensor) => np.take(a, i, { axis: 0 });
      expectClose(T(vmap(t, { inAxes: [null, 0] })(x.get(0), idx)), arr(loop(t, [x.get(0), idx], [null, 0], 3)));
      expectClose(T(vmap(t, { inAxes: [0, null] })(x, idx.get(0))), arr(loop(t, [x, idx.get(0)], [0, null], 3)));
      expectClose(T(vmap(t)(x, idx)), arr(loop(t, [x, idx], [0, 0], 3)));
      const t1 = (a: Tensor, i: Tensor) => np.takeAlongAxis(a, i.reshape([3, 1]), 0);
      const x3 = data([3, 4, 3], 4);
      expectClose(T(vmap(t1, { inAxes: [2, 0] })(x3, idx)), arr(loop(t1, [x3, idx], [2, 0], 3)));
    });
    it("gather and scatter along an inner axis with batched operand and indices", () => {
      const y = data([3, 2, 5, 2], 8);
      const i2 = np.array([[4, 0, 4], [1, -2, 2], [3, 3, 3]], { dtype: "int32" });
      const tk = (a: Tensor, i: Tensor) => np.take(a, i, { axis: 1 });
      expectClose(T(vmap(tk)(y, i2)), arr(loop(tk, [y, i2], [0, 0], 3)));
      const st = (a: Tensor, i: Tensor, u: Tensor) => a.at(slice(), i).add(u);
      const u2 = data([3, 2, 3, 2], 9);
      expectClose(T(vmap(st)(y, i2, u2)), arr(loop(st, [y, i2, u2], [0, 0, 0], 3)));
      // The primitives themselves along axis 1, indices of rank 2 (the np layer moves axes first).
      const i3 = np.reshape(np.array([4, 0, 4, 1, 7, 2, 3, 3, 3, 0, 0, 1], { dtype: "int32" }), [3, 2, 2]);
      const u3 = data([3, 2, 2, 2, 2], 10);
      for (const prim of ["scatter", "scatterAdd"] as const) {
        const sc = (a: Tensor, i: Tensor, u: Tensor) => npUtil.apply(prim, [a, i, u], { axis: 1 });
        for (const axes of [[0, 0, 0], [null, 0, null], [0, null, 0]] as (0 | null)[][]) {
          const args = [y, i3, u3].map((v, k) => (axes[k] === null ? v.get(0) : v));
          expectClose(T((vmap(sc, { inAxes: axes }) as (...a: Tensor[]) => unknown)(...args)), arr(loop(sc, args, axes, 3)));
        }
      }
      const ga = (a: Tensor, i: Tensor) => npUtil.apply("gather", [a, i], { axis: 1 });
      expectClose(T(vmap(ga)(y, i3)), arr(loop(ga, [y, i3], [0, 0], 3)));
      expectClose(T(vmap(ga, { inAxes: [null, 0] })(y.get(2), i3)), arr(loop(ga, [y.get(2), i3], [null, 0], 3)));
      const ss = (a: Tensor, i: Tensor, u: Tensor) => a.at(slice(), i).set(u);
      expectClose(T(vmap(ss, { inAxes: [null, 0, 0] })(y.get(1), i2, u2)), arr(loop(ss, [y.get(1), i2, u2], [null, 0, 0], 3)));
    });
    it("at().set / at().add: duplicates, negative indices, every batching combination", () => {
      const set = (a: Tensor, i: Tensor, u: Tensor) => a.at(i).set(u);
      const add = (a: Tensor, i: Tensor, u: Tensor) => a.at(i).add(u);
      const u = data([3, 3, 2], 7);
      for (const f of [set, add]) {
        for (const axes of [[0, 0, 0], [null, 0, null], [0, null, 0], [null, null, 0], [0, 0, null]] as (0 | null)[][]) {
          const args = [x, idx, u].map((a, i) => (axes[i] === null ? a.get(0) : a));
          expectClose(T((vmap(f, { inAxes: axes }) as (...a: Tensor[]) => unknown)(...args)), arr(loop(f, args, axes, 3)));
        }
      }
    });
  });

  describe("control flow", () => {
    const xs = f64([[1, 2, 3], [4, 5, 6], [-1, 0, 1]]);
    it("cond with a batched predicate selects per example; with an unbatched one stays one cond", () => {
      const f = (v: Tensor) => cond(v.sum().gt(5), (a: Tensor) => a.mul(2), (a: Tensor) => a.neg(), v);
      expectClose(T(vmap(f)(xs)), [[2, 4, 6], [8, 10, 12], [1, 0, -1]]);
      const g = (v: Tensor, p: Tensor) => cond(p, (a: Tensor) => a.exp(), (a: Tensor) => a.neg(), v);
      for (const p of [np.array(true), np.array(false)]) expectClose(T(vmap(g, { inAxes: [0, null] })(xs, p)), arr(loop(g, [xs, p], [0, null], 3)));
    });
    it("scan over batched xs, batched init, or only a batched const", () => {
      const f = (init: Tensor, row: Tensor, k: Tensor) => scan((c: Tensor, e: Tensor) => [c.add(e).mul(k), c.mul(e)], init, row);
      const inits = f64([1, 2, 3]), ks = f64([1, 0.5, 2]);
      for (const axes of [[null, 0, null], [0, null, null], [null, null, 0], [0, 0, 0]] as (0 | null)[][]) {
        const args = [inits, xs, ks].map((a, i) => (axes[i] === null ? a.get(1) : a));
        const got = (vmap(f, { inAxes: axes }) as (...a: Tensor[]) => unknown)(...args) as Tensor[];
        const want = [0, 1, 2].map((b) => f(...(args.map((a, i) => (axes[i] === null ? a : a.get(b))) as [Tensor, Tensor, Tensor])) as unknown as Tensor[]);
        expectClose(got[0]!, arr(np.stack(want.map((w) => w[0]!))));
        expectClose(got[1]!, arr(np.stack(want.map((w) => w[1]!))));
      }
    });
    it("whileLoop with a batched predicate runs each example to its own end", () => {
      const f = (n: Tensor) => whileLoop((c: Tensor[]) => c[0]!.lt(n), (c: Tensor[]) => [c[0]!.add(1), c[1]!.mul(2)], [np.array(0), np.array(1)]);
      const [i, p] = vmap(f)(np.array([3, 0, 5])) as Tensor[];
      expectClose(i!, [3, 0, 5]);
      expectClose(p!, [8, 1, 32]);
      // unbatched predicate, batched carry
      const g = (v: Tensor) => whileLoop((c: Tensor[]) => c[0]!.lt(3), (c: Tensor[]) => [c[0]!.add(1), c[1]!.mul(v)], [np.array(0), np.array(1)]);
      expectClose((vmap(g)(np.array([2, 3])) as Tensor[])[1]!, [8, 27]);
    });
  });

  it("random: a batch of keys gives each key's own numbers", () => {
    const keys = prng.split(prng.key(42), 4);
    const got = T(vmap((k: Tensor) => prng.normal(k, [3]))(keys));
    expectClose(got, arr(np.stack([0, 1, 2, 3].map((b) => prng.normal(keys.get(b), [3])))));
  });

  describe("States", () => {
    it("reads are shared by the batch; unbatched writes commit", () => {
      const scale = new State(np.array(10));
      const count = new State(np.array(0));
      const out = T(vmap((x: Tensor) => {
        count.value = count.value.add(1);
        return x.mul(scale.value);
      })(np.array([1, 2])));
      expectClose(out, [10, 20]);
      expectClose(count.value, 1);
    });
    it("stateAxes gives a State a batch axis: read per example, written back batched", () => {
      const h = new State(np.array([[1, 2], [3, 4], [5, 6]]), { name: "h" });
      const step = (x: Tensor) => {
        h.value = h.value.add(x);
        return h.value.sum();
      };
      const out = T(vmap(step, { stateAxes: [[h, 1]], inAxes: null, axisSize: 2 })(np.array([10, 20, 30])));
      expectClose(out, [69, 72]);
      expectClose(h.value, [[11, 12], [23, 24], [35, 36]]);
      const byClass = new ParamState(np.array([1, 2]), { name: "p" });
      expectClose(T(vmap(() => byClass.value.mul(2), { stateAxes: new Map([[ParamState, 0]]) })()), [2, 4]);
    });
    it("a batched value written to an unbatched State is a StateError and nothing is committed", () => {
      const s = new State(np.array([0, 0]), { name: "acc" });
      const other = new State(np.array(1), { name: "other" });
      const f = (x: Tensor) => {
        other.value = np.array(5);
        s.value = s.value.add(x);
        return x;
      };
      expect(() => vmap(f)(np.array([[1, 2], [3, 4]]))).to.throw(StateError, /vmap: State "acc".*stateAxes/);
      expectClose(s.value, [0, 0]);
      expectClose(other.value, 1);
    });
  });

  describe("errors", () => {
    const id = (a: Tensor) => a;
    it("inconsistent sizes, missing axisSize, axes out of range, structure mismatch", () => {
      expect(() => vmap((a: Tensor, b: Tensor) => a.add(b))(np.ones([3]), np.ones([4]))).to.throw(ValueError, /inconsistent sizes.*\n.*size 3\n.*size 4/);
      expect(() => vmap(id, { axisSize: 2 })(np.ones([3]))).to.throw(ValueError, /inconsistent sizes/);
      expect(() => vmap(id, { inAxes: null })(np.ones([3]))).to.throw(ValueError, /at least one non-null value in inAxes/);
      expect(() => vmap(id, { inAxes: 2 })(np.ones([3, 4]))).to.throw(IndexError, /axis 2 is out of range for argument 0 of rank 2/);
      expect(() => vmap(id, { inAxes: -3 })(np.ones([3, 4]))).to.throw(IndexError, /axis -3/);
      expect(() => vmap(id, { outAxes: 2 })(np.ones([3]))).to.throw(IndexError, /axis 2 is out of range for output leaf 0/);
      expect(() => vmap(id)(3 as never)).to.throw(ValueError, /number 3.*no axis 0/);
      expect(() => vmap((p: { a: Tensor }) => p.a, { inAxes: [{ b: 0 }] })({ a: np.ones([2]) })).to.throw(ValueError, /pytree prefix/);
      expect(() => vmap(id, { inAxes: [0, 0] })(np.ones([2]))).to.throw(ValueError, /one entry per positional argument.*2.*1/);
      expect(() => vmap(id, { outAxes: [0, 0] })(np.ones([2]))).to.throw(ValueError, /outAxes must be a pytree prefix/);
    });
    it("bad options are rejected when vmap is called", () => {
      expect(() => vmap(id, { inAxes: 0.5 })).to.throw(ValueError, /inAxes entries must be integers or null/);
      expect(() => vmap(id, { inAxes: { a: 0 } })).to.throw(ValueError, /wrap it/);
      expect(() => vmap(id, { axisSize: -1 })).to.throw(ValueError, /axisSize must be a non-negative integer/);
      expect(() => vmap(id, { stateAxes: [[new State(np.ones([1])), 0.5]] as never })).to.throw(ValueError, /stateAxes entry/);
      expect(() => vmap(3 as never)).to.throw(ValueError, /expected a function/);
    });
    it("outAxes null for a mapped output, and value-dependent JS control flow", () => {
      expect(() => vmap((a: Tensor) => a.mul(2), { outAxes: null })(np.ones([2]))).to.throw(ValueError, /mapped output but outAxes is null/);
      expect(() => vmap((a: Tensor) => (a.itemSync() > 0 ? a : a.neg()))(np.ones([2]))).to.throw(ConcretizationError, /cond, whileLoop or scan/);
    });
  });
});
