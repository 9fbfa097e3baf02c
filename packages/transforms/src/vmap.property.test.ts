/**
 * vmap property test: random programs (chains of ops from every batching-rule family) over random
 * shapes, batch sizes and mapped axes; `vmap(f)` must equal `f` applied per example and stacked.
 * Values are float64 so the comparison is tight.
 */
import { expect } from "chai";
import fc from "fast-check";
import { type Tensor, np, slice } from "@kiln/core";
import { grad, vmap } from "./index.js";

/** One step of a program: from the current value x (rank ≥ 1) and a second operand w of x's shape. */
type Step = (x: Tensor, w: Tensor) => Tensor;

const STEPS: Record<string, Step> = {
  tanh: (x) => np.tanh(x),
  mulAdd: (x, w) => x.mul(w).add(0.5),
  broadcastRow: (x, w) => x.sub(w.get(0)),
  sumKeep: (x) => x.sum({ axis: -1, keepdims: true }).add(x),
  maxAxis0: (x) => np.max(x, { axis: 0, keepdims: true }).mul(x),
  cumsum: (x) => np.cumsum(x, { axis: -1 }),
  flip: (x) => np.flip(x, 0),
  transpose: (x) => np.swapaxes(x, 0, -1),
  reshape: (x) => x.reshape([-1]),
  slice: (x) => x.get(slice(0, Math.max(1, x.shape[0]! - 1))),
  pad: (x) => np.pad(x, [[1, 0], ...x.shape.slice(1).map(() => [0, 0] as [number, number])]),
  concat: (x, w) => np.concatenate([x, w.mul(2)], { axis: 0 }),
  where: (x, w) => np.where(x.gt(w), x, w.mul(-1)),
  matmul: (x) => np.matmul(x.reshape([x.shape[0]!, -1]), np.ones([x.size / x.shape[0]!, 3]).mul(0.25)),
  take: (x) => np.take(x, np.array([x.shape[0]! - 1, 0, 0], { dtype: "int32" }), { axis: 0 }),
  argmaxAsFloat: (x) => np.argmax(x, { axis: 0, keepdims: true }).astype("float64").add(x),
  scatterAdd: (x, w) => x.at(np.array([0, 0], { dtype: "int32" })).add(w.get(slice(0, 1)).reshape([1, ...w.shape.slice(1)]).mul(np.ones([2, ...w.shape.slice(1)]))),
};
const NAMES = Object.keys(STEPS);

function values(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.array(Array.from({ length: n }, (_, i) => Math.sin(seed * 7.31 + i * 1.93) * 2), { dtype: "float64" }).reshape(shape);
}

/** The program: each step sees the running value; w is rebuilt to x's shape (a second mapped input feeds it). */
function program(names: readonly string[]) {
  return (x: Tensor, w: Tensor): Tensor => {
    let v = x;
    for (const name of names) {
      const wv = np.broadcastTo(w.reshape([-1]).get(slice(0, 1)), v.shape).add(w.mean());
      v = STEPS[name]!(v, wv);
    }
    return v;
  };
}

describe("vmap: random programs equal the per-example loop", () => {
  it("over every rule family, shapes, batch sizes and in/out axes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (shape, batch, names, axisSeed, wAxisSeed, wMapped) => {
          const rank = shape.length + 1;
          const axis = (axisSeed % rank) - (axisSeed % 2 ? rank : 0); // negative axes too
          const wAxis = wAxisSeed % rank;
          const xShape = [...shape];
          xShape.splice(axis < 0 ? axis + rank : axis, 0, batch);
          const wShape = [...shape];
          if (wMapped) wShape.splice(wAxis, 0, batch);
          const X = values(xShape, 1), W = values(wShape, 2);
          const f = program(names);
          const got = vmap(f, { inAxes: [axis, wMapped ? wAxis : null] })(X, W) as Tensor;
          const per = Array.from({ length: batch }, (_, b) =>
            f(np.take(X, b, { axis }), wMapped ? np.take(W, b, { axis: wAxis }) : W));
          const want = np.stack(per, { axis: 0 });
          expect(got.shape, names.join(",")).to.deep.equal(want.shape);
          const g = got.dataSync(), e = want.dataSync();
          for (let i = 0; i < e.length; i++) expect(g[i], `${names.join(",")} element ${i}`).to.be.closeTo(e[i]!, 1e-9 * (1 + Math.abs(e[i]!)));
        },
      ),
      { numRuns: 150, seed: 20261122 },
    );
  });

  it("vmap(grad(f)) equals the per-example gradients (derivative graphs batch too)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }),
        (shape, batch, names) => {
          const X = values([batch, ...shape], 3), W = values(shape, 4);
          const f = program(names);
          const g = grad((x: Tensor, w: Tensor) => np.sum(np.sin(f(x, w))), { argnums: [0, 1] });
          const [gx, gw] = vmap(g, { inAxes: [0, null] })(X, W) as Tensor[];
          const per = Array.from({ length: batch }, (_, b) => g(np.take(X, b, { axis: 0 }), W) as Tensor[]);
          for (const [got, want] of [[gx!, np.stack(per.map((p) => p[0]!))], [gw!, np.stack(per.map((p) => p[1]!))]] as const) {
            expect(got.shape, names.join(",")).to.deep.equal(want.shape);
            const a = got.dataSync(), e = want.dataSync();
            for (let i = 0; i < e.length; i++) expect(a[i], `${names.join(",")} element ${i}`).to.be.closeTo(e[i]!, 1e-9 * (1 + Math.abs(e[i]!)));
          }
        },
      ),
      { numRuns: 80, seed: 20261123 },
    );
  });
});
