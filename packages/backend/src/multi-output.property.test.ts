/**
 * Multi-output kernels change no value: random DAGs of elementwise ops over a few same-shape
 * inputs — with values read by several outputs, outputs read by other outputs, transposed reads
 * (another element: must not be merged) and row reductions broadcast back — are scheduled with
 * and without merging sibling kernels, run on the CPU host, and must agree bit for bit.
 */
import { expect } from "chai";
import fc from "fast-check";
import { type Node, type Tensor, Tensor as TensorClass, bufferOf, hostDataNode, np } from "@kiln/core";
import { runPlan, scheduleGraph } from "./index.js";

/** One op over earlier values; `a`, `b` pick operands (modulo how many exist). */
type Op = { readonly kind: number; readonly a: number; readonly b: number };

const UNARY: readonly ((x: Tensor) => Tensor)[] = [
  (x) => np.exp(x.mul(0.25)),
  (x) => np.tanh(x),
  (x) => np.sin(x).mul(3),
  (x) => np.sqrt(np.abs(x)),
  (x) => x.mul(x).sub(1),
];
const BINARY: readonly ((x: Tensor, y: Tensor) => Tensor)[] = [
  (x, y) => x.add(y),
  (x, y) => x.mul(y),
  (x, y) => x.sub(y.mul(0.5)),
  (x, y) => x.div(np.abs(y).add(1)),
  (x, y) => np.maximum(x, y),
];
/** Reads other elements: a transpose (square shapes) and a row sum broadcast back. */
const CROSS: readonly ((x: Tensor) => Tensor)[] = [
  (x) => (x.shape[0] === x.shape[1] ? x.T : x.flip(0)),
  (x) => x.sub(np.sum(x, { axis: 1, keepdims: true }).mul(0.1)),
];

function build(shape: readonly number[], ops: readonly Op[], picks: readonly number[]): { outs: Node[]; values: Tensor[] } {
  const n = shape[0]! * shape[1]!;
  const values: Tensor[] = [0, 1, 2].map((k) =>
    new TensorClass(hostDataNode(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + k) * 2), { shape: [...shape], dtype: "float32" })));
  for (const { kind, a, b } of ops) {
    const x = values[a % values.length]!, y = values[b % values.length]!;
    const k = kind % (UNARY.length + BINARY.length + CROSS.length);
    if (k < UNARY.length) values.push(UNARY[k]!(x));
    else if (k < UNARY.length + BINARY.length) values.push(BINARY[k - UNARY.length]!(x, y));
    else values.push(CROSS[k - UNARY.length - BINARY.length]!(x));
  }
  const computed = values.slice(3);
  const outs = [...new Set(picks.map((p) => computed[p % computed.length]!.node))];
  return { outs, values };
}

function run(outs: readonly Node[], multiOutput: boolean): { arrays: Float32Array[]; multi: number } {
  const isBuffer = (x: Node) => x.prim === "data";
  const { plan, inputs } = scheduleGraph(outs, isBuffer, { multiOutput });
  const all = runPlan(plan, inputs.map((i) => bufferOf(i)!.host!));
  return { arrays: plan.outputs.map((id) => all[id] as Float32Array), multi: plan.steps.filter((s) => s.outputs > 1).length };
}

describe("multi-output kernels: grouped and ungrouped schedules agree bit for bit", () => {
  let multiKernels = 0;

  const property = (shapes: fc.Arbitrary<number[]>) => fc.property(
    shapes,
    fc.array(fc.record({ kind: fc.nat(), a: fc.nat(), b: fc.nat() }), { minLength: 1, maxLength: 10 }),
    fc.array(fc.nat(), { minLength: 2, maxLength: 5 }),
    (shape, ops, picks) => {
      const { outs } = build(shape, ops, picks);
      const grouped = run(outs, true), plain = run(outs, false);
      multiKernels += grouped.multi;
      grouped.arrays.forEach((g, k) => {
        // Compared as bits: NaN payloads and signed zeros included.
        expect(Array.from(new Uint32Array(g.buffer, g.byteOffset, g.length))).to.deep.equal(Array.from(new Uint32Array(plain.arrays[k]!.buffer, plain.arrays[k]!.byteOffset, g.length)));
      });
    },
  );

  it("small shapes (one loop per axis)", () => {
    fc.assert(property(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))), { numRuns: 200, seed: 20261203 });
  });

  it("larger shapes (merged loops)", () => {
    fc.assert(property(fc.tuple(fc.integer({ min: 16, max: 24 }), fc.integer({ min: 16, max: 24 }))), { numRuns: 80, seed: 13 });
  });

  // The property means something only if merging happened in many of the cases.
  after(() => expect(multiKernels).to.be.above(50));
});
