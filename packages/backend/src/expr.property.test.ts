/**
 * Soundness of the index simplifier (expr.ts), end to end: random chains of movement ops —
 * reshapes that merge and split 3+ axes, transposes, flips, slices with negative steps,
 * broadcasts and pads, optionally closed by a reduction — are lowered to one fused CPU kernel
 * and must read exactly the elements the float64 interpreter reads. Element values are distinct
 * small integers, so any wrong index shows up as a wrong value (a negative one reads NaN).
 */
import { expect } from "chai";
import fc from "fast-check";
import { type Tensor, activeExecutor, hostDataNode, interpret, np, setExecutor, slice, Tensor as TensorClass } from "@kiln/core";
import { lowerGraph, useCpuBackend } from "./index.js";

/** One movement op; `r` supplies its random choices (each use reduced modulo what it picks from). */
type Move = (x: Tensor, r: readonly number[]) => Tensor;

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Splits n into up to `parts` factors, chosen by r (factors of 1 included). */
function factor(n: number, parts: number, r: readonly number[]): number[] {
  const out: number[] = [];
  let rest = n;
  for (let k = 0; k < parts - 1; k++) {
    const divisors = Array.from({ length: rest }, (_, i) => i + 1).filter((d) => rest % d === 0);
    const d = divisors[r[k]! % divisors.length]!;
    out.push(d);
    rest /= d;
  }
  return [...out, rest];
}

const MOVES: Record<string, Move> = {
  /** Merges axes [a, b] (often three or more) into one. */
  merge: (x, r) => {
    const n = x.shape.length;
    const a = r[0]! % n, b = a + (r[1]! % (n - a));
    return x.reshape([...x.shape.slice(0, a), sizeOf(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)]);
  },
  /** Any reshape of the same size into rank 1..4. */
  reshape: (x, r) => x.reshape(factor(x.size, 1 + (r[0]! % 4), r.slice(1))),
  flatten: (x) => x.reshape([x.size]),
  transpose: (x, r) => {
    const perm = x.shape.map((_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = r[i % r.length]! % (i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return np.transpose(x, perm);
  },
  flip: (x, r) => {
    const axes = x.shape.map((_, i) => i).filter((i) => (r[i % r.length]! >> 1) % 2 === 0);
    return np.flip(x, axes.length ? axes : [0]);
  },
  /** Per axis: a non-empty slice with step in ±1..3. */
  slice: (x, r) =>
    x.get(
      ...x.shape.map((len, d) => {
        const k = r[d % r.length]! + d * 7;
        const step = [1, 2, 3, -1, -2, -3][k % 6]!;
        const start = (k >> 3) % len;
        if (step > 0) return slice(start, start + 1 + ((k >> 5) % (len - start)), step);
        const stop = start - 1 - ((k >> 5) % (start + 1)); // -1 means "through element 0"
        return slice(start, stop < 0 ? null : stop, step);
      }),
    ),
  /** A new axis of extent 2 (or 1) at a random position, broadcast. */
  broadcast: (x, r) => {
    const at = r[0]! % (x.shape.length + 1);
    const shape = [...x.shape.slice(0, at), 1 + (r[1]! % 2), ...x.shape.slice(at)];
    return np.broadcastTo(np.expandDims(x, at), shape);
  },
  pad: (x, r) => np.pad(x, x.shape.map((_, d) => [r[d % r.length]! % 3, (r[(d + 1) % r.length]! >> 2) % 3] as [number, number])),
};
const NAMES = Object.keys(MOVES);

/** Values 1..n (0 is pad's fill), exact in float32. */
function iotaTensor(shape: readonly number[]): Tensor {
  const n = sizeOf(shape);
  return new TensorClass(hostDataNode(Float32Array.from({ length: n }, (_, i) => i + 1), { shape: [...shape], dtype: "float32" }));
}

function run(shape: readonly number[], steps: readonly { op: string; r: readonly number[] }[], reduce: number): void {
  let x = iotaTensor(shape);
  for (const { op, r } of steps) {
    const y = MOVES[op]!(x, r);
    if (y.size > 6000 || y.size === 0) continue; // keep kernels small and non-empty
    x = y;
  }
  // A reduction over some axes exercises the reduction-loop merging as well.
  if (reduce > 0 && x.shape.length > 1) x = np.sum(x, { axis: x.shape.map((_, i) => i).filter((i) => (reduce >> i) % 2 === 1) });
  const want = interpret([x.node])[0]!;
  const got = Float64Array.from(x.dataSync() as Float32Array);
  const src = () => lowerGraph(x).kernels.map((k) => k.ir).join("\n");
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]} (shape ${x.shape})\n${src()}`);
  }
}

describe("backend: index simplification is sound (random movement chains vs the interpreter)", () => {
  let saved = "";
  before(() => {
    saved = activeExecutor().name;
    useCpuBackend();
  });
  after(() => setExecutor(saved));

  it("the reported case: flip after a reshape merging three axes", () => {
    const x = np.array([[[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]]]).reshape([12]).flip(0);
    expect(Array.from(x.dataSync())).to.deep.equal([6, 5, 4, 3, 2, 1, 6, 5, 4, 3, 2, 1]);
    const y = np.array([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]).reshape([12]).get(slice(null, null, -2));
    expect(Array.from(y.dataSync())).to.deep.equal([12, 10, 8, 6, 4, 2]);
  });

  it("random chains over small shapes (one variable per axis)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ op: fc.constantFrom(...NAMES), r: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }) }), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 15 }),
        (shape, steps, reduce) => run(shape, steps, reduce),
      ),
      { numRuns: 300, seed: 20261203 },
    );
  });

  it("random chains over larger shapes (merged loops and reductions)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 9 }), { minLength: 3, maxLength: 4 }),
        fc.array(fc.record({ op: fc.constantFrom(...NAMES), r: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }) }), { minLength: 1, maxLength: 5 }),
        fc.nat({ max: 15 }),
        (shape, steps, reduce) => run(shape, steps, reduce),
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});
