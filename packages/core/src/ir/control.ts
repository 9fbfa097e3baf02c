/**
 * Control-flow calls: what the sibling output nodes of one `cond`, `while` or `scan` op share.
 *
 * Nodes are single-output, so an op with k outputs is k sibling nodes with the same inputs and
 * params `{ call, index }`. The call holds the op's sub-graphs (closed: each takes every value it
 * uses as an explicit input placeholder) and metadata. Calls are interned by structure, so
 * tracing the same loop twice gives the same call — and, through node hash-consing, the same
 * nodes, which keeps the derivation caches of the transforms warm. A call serializes to a short
 * unique string (`scan#12`), so hashing a node never walks its sub-graphs.
 *
 * `evalControl` is the reference semantics over flat arrays; the interpreter and the backends run
 * it with their own way of executing a sub-graph.
 */
import { DTypeError, ShapeError } from "../errors.js";
import { type Shape, fmtShape, shapeEq, sizeOf } from "../shape.js";
import type { Graph } from "./graph.js";
import { LruCache } from "../lru.js";
import type { Node } from "./node.js";
import type { Aval } from "./primitives.js";

/**
 * `branches[i]` runs when the predicate's index is i: `[false branch, true branch]`. Operands:
 * `[pred, ...branch inputs]`; outputs: the branch outputs.
 */
export interface CondSpec {
  readonly kind: "cond";
  readonly branches: readonly Graph[];
  readonly predDType: "bool" | "int32";
}

/**
 * Operands `[...carry, ...consts]`; `cond` and `body` both take them all, `cond` returns a bool
 * scalar and `body` the next carry. Outputs: the final carry.
 */
export interface WhileSpec {
  readonly kind: "while";
  readonly cond: Graph;
  readonly body: Graph;
  readonly numCarry: number;
}

/**
 * Operands `[...carry, ...consts, ...xs]` (xs stacked along axis 0); `body` takes
 * `[...carry, ...consts, ...x slices]` and returns `[...carry, ...y slices]`. Outputs
 * `[...final carry, ...ys stacked along axis 0]`. `reverse` visits positions length-1..0 and
 * stores each y at the position of its x (JAX's `reverse`).
 */
export interface ScanSpec {
  readonly kind: "scan";
  readonly body: Graph;
  readonly numCarry: number;
  readonly numConsts: number;
  readonly length: number;
  readonly reverse: boolean;
}

export type ControlSpec = CondSpec | WhileSpec | ScanSpec;

interface CallCommon {
  readonly id: number;
  /** The avals of the op's operands, in order (what its nodes take). */
  readonly inAvals: readonly Aval[];
  /** One aval per output (per sibling node). */
  readonly outAvals: readonly Aval[];
  toJSON(): string;
  toString(): string;
}

export type CondCall = CondSpec & CallCommon;
export type WhileCall = WhileSpec & CallCommon;
export type ScanCall = ScanSpec & CallCommon;
export type ControlCall = CondCall | WhileCall | ScanCall;

const fmtAval = (a: Aval): string => `${a.dtype}${fmtShape(a.shape)}`;
const avalEq = (a: Aval, b: Aval): boolean => a.dtype === b.dtype && shapeEq(a.shape, b.shape);
const avalsOf = (nodes: readonly Node[]): Aval[] => nodes.map((n) => n.aval);

/** Internal consistency of a call (user errors are reported earlier, by the transforms' builders). */
function expectAvals(what: string, got: readonly Aval[], want: readonly Aval[]): void {
  if (got.length !== want.length || got.some((a, i) => !avalEq(a, want[i]!))) {
    throw new ShapeError(`${what}: got (${got.map(fmtAval).join(", ")}), expected (${want.map(fmtAval).join(", ")})`);
  }
}

function stacked(length: number, a: Aval): Aval {
  return { shape: [length, ...a.shape], dtype: a.dtype };
}

function signature(spec: ControlSpec): { inAvals: Aval[]; outAvals: Aval[] } {
  switch (spec.kind) {
    case "cond": {
      const [first, ...rest] = spec.branches;
      if (!first) throw new ShapeError(`cond: needs at least one branch`);
      for (const b of rest) {
        expectAvals("cond: branch inputs differ", avalsOf(b.inputs), avalsOf(first.inputs));
        expectAvals("cond: branch outputs differ", avalsOf(b.outputs), avalsOf(first.outputs));
      }
      return { inAvals: [{ shape: [], dtype: spec.predDType }, ...avalsOf(first.inputs)], outAvals: avalsOf(first.outputs) };
    }
    case "while": {
      const ins = avalsOf(spec.body.inputs);
      expectAvals("while: cond inputs differ from body inputs", avalsOf(spec.cond.inputs), ins);
      expectAvals("while: cond must return one bool scalar", avalsOf(spec.cond.outputs), [{ shape: [], dtype: "bool" }]);
      expectAvals("while: body must return the carry", avalsOf(spec.body.outputs), ins.slice(0, spec.numCarry));
      return { inAvals: ins, outAvals: ins.slice(0, spec.numCarry) };
    }
    case "scan": {
      const ins = avalsOf(spec.body.inputs);
      const outs = avalsOf(spec.body.outputs);
      const head = spec.numCarry + spec.numConsts;
      expectAvals("scan: body must return the carry first", outs.slice(0, spec.numCarry), ins.slice(0, spec.numCarry));
      return {
        inAvals: [...ins.slice(0, head), ...ins.slice(head).map((a) => stacked(spec.length, a))],
        outAvals: [...outs.slice(0, spec.numCarry), ...outs.slice(spec.numCarry).map((a) => stacked(spec.length, a))],
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Interning by structure.

/** JSON of params that keeps NaN, ±Infinity and -0 apart (as node.ts does). */
function paramsJson(params: unknown): string {
  return JSON.stringify(params, (_k, v) => (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `${Object.is(v, -0) ? "-0" : v}` : v));
}

/** A graph's structure with its inputs named by position (the placeholders themselves do not matter). */
function graphKey(g: Graph): string {
  const ref = new Map<Node, string>(g.inputs.map((n, i) => [n, `a${i}`]));
  const parts = [`(${g.inputs.map((n) => fmtAval(n.aval)).join(",")})`];
  for (const n of g.nodes) {
    if (ref.has(n)) continue;
    ref.set(n, `n${ref.size}`);
    // Unique leaves (realized data, stray placeholders) keep their identity: never merged.
    const body = n.prim === "data" || n.prim === "input" ? `${n.prim}#${n.id}` : `${n.prim}${paramsJson(n.params)}`;
    parts.push(`${body}(${n.inputs.map((i) => ref.get(i)).join(",")})${fmtAval(n.aval)}`);
  }
  return `${parts.join(";")}=>${g.outputs.map((o) => ref.get(o)).join(",")}`;
}

function specKey(spec: ControlSpec): string {
  switch (spec.kind) {
    case "cond":
      return `cond:${spec.predDType}:${spec.branches.map(graphKey).join("|")}`;
    case "while":
      return `while:${spec.numCarry}:${graphKey(spec.cond)}|${graphKey(spec.body)}`;
    case "scan":
      return `scan:${spec.numCarry}:${spec.numConsts}:${spec.length}:${spec.reverse}:${graphKey(spec.body)}`;
  }
}

let nextCallId = 1;
/**
 * Calls by structure, strong and bounded (no WeakRefs: ir/node.ts's file comment). Tracing the
 * same loop again gives the same call, so a transform reuses its derivation.
 */
const interned = new LruCache<string, ControlCall>(256);
// Every call makeControlCall built: a control node's `call` param must be one of them (ir/params.ts).
const built = new WeakSet<object>();

/**
 * Whether `v` is a call made by `makeControlCall` (not a look-alike object).
 * @example isControlCall(makeControlCall(spec)) // true; isControlCall({ kind: "scan" }) // false
 */
export function isControlCall(v: unknown): v is ControlCall {
  return typeof v === "object" && v !== null && built.has(v);
}

/**
 * The call for `spec` (the existing one when an identical call is alive). Checks that the
 * sub-graphs fit together; the returned call is frozen.
 * @example const call = makeControlCall({ kind: "while", cond, body, numCarry: 1 }); call.toJSON() // "while#3"
 */
export function makeControlCall<S extends ControlSpec>(spec: S): S & CallCommon {
  const { inAvals, outAvals } = signature(spec);
  const key = specKey(spec);
  const hit = interned.get(key);
  if (hit) return hit as unknown as S & CallCommon;
  const id = nextCallId++;
  const name = `${spec.kind}#${id}`;
  const call = Object.freeze({
    ...spec,
    id,
    inAvals: Object.freeze(inAvals.map((a) => Object.freeze({ shape: Object.freeze([...a.shape]), dtype: a.dtype }))),
    outAvals: Object.freeze(outAvals.map((a) => Object.freeze({ shape: Object.freeze([...a.shape]), dtype: a.dtype }))),
    toJSON: () => name,
    toString: () => name,
  }) as unknown as S & CallCommon;
  interned.set(key, call as unknown as ControlCall);
  built.add(call);
  return call;
}

/** The shape/dtype rule of every control primitive: the operands must be the call's. */
export function inferControl(prim: string, inputs: readonly Aval[], call: ControlCall, index: number): Aval {
  if (call.kind !== prim) throw new ShapeError(`${prim}: params hold a ${call.kind} call`);
  if (inputs.length !== call.inAvals.length) {
    throw new ShapeError(`${prim}: expected ${call.inAvals.length} operand(s), got ${inputs.length}`);
  }
  inputs.forEach((a, i) => {
    const want = call.inAvals[i]!;
    if (!shapeEq(a.shape, want.shape)) throw new ShapeError(`${prim}: operand ${i} has shape ${fmtShape(a.shape)}, expected ${fmtShape(want.shape)}`);
    if (a.dtype !== want.dtype) throw new DTypeError(`${prim}: operand ${i} has dtype ${a.dtype}, expected ${want.dtype}`);
  });
  const out = call.outAvals[index];
  if (!out) throw new ShapeError(`${prim}: output index ${index} out of range (${call.outAvals.length} outputs)`);
  return out;
}

/**
 * The call a node is an output of (undefined for other nodes).
 * @example controlCallOf(scanOutputNode)?.kind // "scan"
 */
export function controlCallOf(node: Node): ControlCall | undefined {
  const call = (node.params as { call?: unknown }).call;
  return node.prim === "cond" || node.prim === "while" || node.prim === "scan" ? (call as ControlCall) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reference semantics.

/** How an executor runs a sub-graph and handles its flat arrays (Float64Array, typed arrays...). */
export interface ControlRuntime<A> {
  /** Runs a sub-graph on one array per input; returns one array per output. */
  run(graph: Graph, inputs: readonly A[]): A[];
  /** Row `i` of the leading axis of `x`, whose rows hold `rowSize` elements each. */
  row(x: A, i: number, rowSize: number): A;
  /** `rows` (in order) stacked into one array of the stacked aval. */
  stack(rows: readonly A[], aval: Aval): A;
  /** The value of a one-element array. */
  scalar(x: A): number;
}

const rowSize = (shape: Shape): number => sizeOf(shape.slice(1));

/**
 * Evaluates a call on its operands: every output, in order.
 * @example evalControl(call, [pred, x], F64_RUNTIME) // the chosen branch's outputs
 */
export function evalControl<A>(call: ControlCall, inputs: readonly A[], rt: ControlRuntime<A>): A[] {
  switch (call.kind) {
    case "cond": {
      // lax.cond: any nonzero predicate (bool or int32) takes the true branch.
      return rt.run(call.branches[rt.scalar(inputs[0]!) ? 1 : 0]!, inputs.slice(1));
    }
    case "while": {
      let carry = inputs.slice(0, call.numCarry);
      const consts = inputs.slice(call.numCarry);
      while (rt.scalar(rt.run(call.cond, [...carry, ...consts])[0]!)) carry = rt.run(call.body, [...carry, ...consts]);
      return carry;
    }
    case "scan": {
      const head = call.numCarry + call.numConsts;
      let carry = inputs.slice(0, call.numCarry);
      const consts = inputs.slice(call.numCarry, head);
      const xs = inputs.slice(head);
      const xRows = call.inAvals.slice(head).map((a) => rowSize(a.shape));
      const yAvals = call.outAvals.slice(call.numCarry);
      const ys: A[][] = yAvals.map(() => new Array<A>(call.length));
      for (let k = 0; k < call.length; k++) {
        const i = call.reverse ? call.length - 1 - k : k;
        const out = rt.run(call.body, [...carry, ...consts, ...xs.map((x, j) => rt.row(x, i, xRows[j]!))]);
        carry = out.slice(0, call.numCarry);
        out.slice(call.numCarry).forEach((y, j) => (ys[j]![i] = y));
      }
      return [...carry, ...ys.map((rows, j) => rt.stack(rows, yAvals[j]!))];
    }
  }
}
