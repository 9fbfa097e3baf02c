/**
 * Control flow as graph ops (JAX's lax.cond / lax.while_loop / lax.scan, BrainState's for_loop):
 * `cond`, `whileLoop`, `scan`, `forLoop`. Each traces the user's functions once, on placeholders,
 * into closed sub-graphs (control-build.ts) and returns lazy Tensors over one op: a loop is never
 * unrolled, so the graph's size does not depend on the number of iterations, and executors run
 * the sub-graphs per iteration (the interpreter recursively, the CPU backend as compiled plans).
 *
 * States read inside become operands (loop-invariant, or carried when also written); States
 * written inside become extra outputs (carries), written back after the op is built, so an
 * enclosing jit/grad threads them and eager code commits them.
 */
import { DTypeError, type Node, ShapeError, StateError, Tensor, ValueError, npUtil, tree } from "@kiln/core";
import { type Operand, buildCond, buildScan, buildWhile } from "./control-build.js";
import {
  type Leaves, StateInputs, checkAvals, checkStructure, operandLeaves, placeholdersFor, promoteWeakInit, resultLeaves, traceFn,
  writeBack, writtenLeaves,
} from "./control-trace.js";
import type { StateEffects } from "./state-effects.js";
import { type AnyFunction, checkNotAsync } from "./trace.js";

const bind = (phs: readonly Tensor[], vals: readonly Tensor[]): Operand[] => phs.map((p, i) => ({ ph: p.node, value: vals[i]!.node }));
const nodesOf = (ts: readonly Tensor[]): Node[] => ts.map((t) => t.node);
const CARRY_HINT = "; a loop carry must keep its shape and dtype (cast init with astype if needed)";

function predicate(pred: unknown): Tensor {
  if (!(pred instanceof Tensor) && typeof pred !== "number" && typeof pred !== "boolean") {
    throw new ValueError(`cond: the predicate must be a scalar bool or int32 Tensor (or a JS boolean/number), got ${pred === null ? "null" : typeof pred}`);
  }
  const p = npUtil.asTensor(pred, "cond");
  if (p.ndim !== 0) throw new ShapeError(`cond: the predicate must be a scalar, got shape [${p.shape}]; reduce it first (np.all, np.any)`);
  if (p.dtype !== "bool" && p.dtype !== "int32") {
    throw new DTypeError(`cond: the predicate must be a bool or int32 scalar, got ${p.dtype}; compare it first (e.g. x.gt(0))`);
  }
  return p;
}

/**
 * Runs `trueFn(...operands)` if `pred` is true (nonzero), else `falseFn(...operands)`, as one
 * graph op (JAX's `lax.cond`): both branches are traced and must return the same structure,
 * shapes and dtypes. States written in either branch are outputs; a branch that does not write
 * one passes its current value through.
 * @example
 * const y = cond(x.sum().gt(0), (v) => v.mul(2), (v) => v.neg(), x);
 */
export function cond(pred: unknown, trueFn: AnyFunction, falseFn: AnyFunction, ...operands: unknown[]): any {
  const p = predicate(pred);
  const ops = operandLeaves("cond", operands, "operands");
  const phs = placeholdersFor(ops.leaves, "operand");
  const args = tree.unflatten<unknown[]>(ops.def, phs);
  const states = new StateInputs();
  const traced = ([["trueFn", trueFn], ["falseFn", falseFn]] as const).map(([name, fn]) => {
    const t = traceFn("cond", name, fn, args, states);
    return { name, effects: t.effects, ...resultLeaves("cond", t.out, `${name}'s output`) };
  });
  const [tb, fb] = traced as [(typeof traced)[0], (typeof traced)[0]];
  checkStructure("cond", { name: "trueFn's output", def: tb.def }, { name: "falseFn's", def: fb.def }, "both branches' outputs");
  // A weakly typed output (a JS number) takes the other branch's dtype, as in JAX.
  const t = [...tb.leaves], f = [...fb.leaves];
  t.forEach((a, i) => {
    const b = f[i]!;
    if (a.dtype === b.dtype || a.weak === b.weak) return;
    if (a.weak) t[i] = npUtil.astypeRaw(a, b.dtype);
    else f[i] = npUtil.astypeRaw(b, a.dtype);
  });
  checkAvals("cond", "the output", tb.def, { name: "trueFn", leaves: t }, { name: "falseFn", leaves: f });

  const written = [...new Set([...tb.effects.writes.keys(), ...fb.effects.writes.keys()])];
  for (const s of written) states.read(s);
  const stateOuts = [tb, fb].map((b) => written.flatMap((s) => {
    const r = states.reads.get(s)!;
    const v = b.effects.writes.get(s);
    return v === undefined ? [...r.inner] : writtenLeaves("cond", b.name, s, v, r);
  }));
  const operandList = [...bind(phs, ops.leaves), ...states.operands(states.reads.keys())];
  const nodes = buildCond(p.node, operandList, [nodesOf([...f, ...stateOuts[1]!]), nodesOf([...t, ...stateOuts[0]!])]);
  writeBack(states, written, nodes.slice(t.length));
  return tree.unflatten(tb.def, t.map((x, i) => new Tensor(nodes[i]!, x.weak && f[i]!.weak)));
}

interface LoopTrace<R> {
  readonly init: readonly Tensor[];
  readonly phs: readonly Tensor[];
  readonly states: StateInputs;
  readonly result: R;
}

/**
 * Traces a loop's functions on carry placeholders. A weakly typed init leaf whose carry comes back
 * with another dtype is promoted and the functions traced again (once); then the carry must keep
 * its structure, shapes and dtypes.
 */
function traceLoop<R extends { carry: Leaves }>(op: string, who: string, init: Leaves, run: (carry: unknown, states: StateInputs) => R): LoopTrace<R> {
  let leaves = init.leaves;
  for (let attempt = 0; ; attempt++) {
    const states = new StateInputs();
    const phs = placeholdersFor(leaves, "carry");
    const result = run(tree.unflatten(init.def, phs), states);
    checkStructure(op, { name: "init", def: init.def }, { name: `${who}'s carry`, def: result.carry.def }, "the carry");
    const promoted = attempt === 0 ? promoteWeakInit(leaves, result.carry.leaves) : null;
    if (promoted) {
      leaves = promoted;
      continue;
    }
    checkAvals(op, "the carry", init.def, { name: "init", leaves }, { name: `${who}'s output`, leaves: result.carry.leaves }, CARRY_HINT);
    return { init: leaves, phs, states, result };
  }
}

/** A loop's States: the written ones are carried, the others are loop-invariant operands. */
function loopStates(op: string, who: string, states: StateInputs, body: StateEffects) {
  const carried = [...body.writes.keys()];
  for (const s of carried) states.read(s);
  const outs = carried.flatMap((s) => writtenLeaves(op, who, s, body.writes.get(s)!, states.reads.get(s)!));
  const invariant = [...states.reads.keys()].filter((s) => !carried.includes(s));
  return { carried, carry: states.operands(carried), outs: nodesOf(outs), consts: states.operands(invariant) };
}

/**
 * `while condFn(carry): carry = bodyFn(carry)`, as one graph op (JAX's `lax.while_loop`). The
 * carry must keep its structure, shapes and dtypes. Differentiable in forward mode (jvp, jacfwd);
 * reverse mode throws (use `scan` with a fixed length).
 * @example
 * const [i, x] = whileLoop(([i]) => i.lt(10), ([i, x]) => [i.add(1), x.mul(2)], [0, np.array(1)]);
 */
export function whileLoop(condFn: (carry: any) => any, bodyFn: (carry: any) => any, init: unknown): any {
  const initLeaves = operandLeaves("whileLoop", init, "init");
  const { init: leaves, phs, states, result } = traceLoop("whileLoop", "bodyFn", initLeaves, (carry, st) => {
    const c = traceFn("whileLoop", "condFn", condFn, [carry], st);
    if (c.effects.writes.size) {
      const names = [...c.effects.writes.keys()].map((s) => s.describe()).join(", ");
      throw new StateError(`whileLoop: condFn must not write States (it wrote ${names}); write them in bodyFn`);
    }
    const test = c.out instanceof Tensor || typeof c.out === "boolean" ? npUtil.asTensor(c.out as Tensor | boolean, "whileLoop") : null;
    if (!test || test.ndim !== 0 || test.dtype !== "bool") {
      const got = test ? `${test.dtype}[${test.shape}]` : typeof c.out;
      const E = test && test.ndim !== 0 ? ShapeError : DTypeError;
      throw new E(`whileLoop: condFn must return a bool scalar, got ${got}`);
    }
    const b = traceFn("whileLoop", "bodyFn", bodyFn, [carry], st);
    return { test, body: b.effects, carry: resultLeaves("whileLoop", b.out, "bodyFn's output") };
  });
  const st = loopStates("whileLoop", "bodyFn", states, result.body);
  const nodes = buildWhile(
    [...bind(phs, leaves), ...st.carry], st.consts, result.test.node, [...nodesOf(result.carry.leaves), ...st.outs],
  );
  writeBack(states, st.carried, nodes.slice(leaves.length));
  return tree.unflatten(initLeaves.def, leaves.map((t, i) => new Tensor(nodes[i]!, t.weak)));
}

export interface ScanOptions {
  /** Number of iterations: required when `xs` is null, else it must equal xs's leading size. */
  length?: number;
  /** Visit positions from last to first; each y is still stored at its x's position. */
  reverse?: boolean;
}

/** The iteration count: xs's common leading size, or `length`. */
function scanLength(op: string, xs: readonly Tensor[], length: number | undefined): number {
  if (length !== undefined && !(Number.isInteger(length) && length >= 0)) {
    throw new ValueError(`${op}: length must be a non-negative integer, got ${String(length)}`);
  }
  xs.forEach((x, i) => {
    if (x.ndim === 0) throw new ShapeError(`${op}: every xs leaf needs a leading axis to loop over; leaf ${i} is a scalar`);
  });
  const first = xs[0];
  if (!first) {
    if (length === undefined) throw new ValueError(`${op}: xs is empty (null); pass { length } to say how many iterations to run`);
    return length;
  }
  xs.forEach((x, i) => {
    if (x.shape[0] !== first.shape[0]) {
      throw new ShapeError(`${op}: xs leaves must share their leading size; leaf 0 has shape [${first.shape}] but leaf ${i} has shape [${x.shape}]`);
    }
  });
  if (length !== undefined && length !== first.shape[0]) {
    throw new ShapeError(`${op}: length ${length} does not match the leading size ${first.shape[0]} of xs`);
  }
  return first.shape[0]!;
}

function scanOp(op: string, fn: unknown, init: unknown, xs: unknown, opts: ScanOptions): [any, any] {
  const initLeaves = operandLeaves(op, init, "init");
  const xsLeaves = operandLeaves(op, xs, "xs");
  const length = scanLength(op, xsLeaves.leaves, opts.length);
  const xPhs = placeholdersFor(xsLeaves.leaves, "x", true);
  const x = tree.unflatten(xsLeaves.def, xPhs);
  const { init: leaves, phs, states, result } = traceLoop(op, "fn", initLeaves, (carry, st) => {
    const r = traceFn(op, "fn", fn, [carry, x], st);
    if (!Array.isArray(r.out) || r.out.length !== 2) {
      throw new ValueError(`${op}: fn must return a pair [carry, y]; it returned ${Array.isArray(r.out) ? `an array of length ${r.out.length}` : typeof r.out}`);
    }
    return { body: r.effects, carry: resultLeaves(op, r.out[0], "carry"), y: resultLeaves(op, r.out[1], "y") };
  });
  const st = loopStates(op, "fn", states, result.body);
  const numCarry = leaves.length + st.carry.length;
  const nodes = buildScan(
    [...bind(phs, leaves), ...st.carry], st.consts, bind(xPhs, xsLeaves.leaves),
    [...nodesOf(result.carry.leaves), ...st.outs, ...nodesOf(result.y.leaves)], length, opts.reverse ?? false,
  );
  writeBack(states, st.carried, nodes.slice(leaves.length, numCarry));
  const carry = tree.unflatten(initLeaves.def, leaves.map((t, i) => new Tensor(nodes[i]!, t.weak)));
  const ys = tree.unflatten(result.y.def, result.y.leaves.map((y, i) => new Tensor(nodes[numCarry + i]!, y.weak)));
  return [carry, ys];
}

/**
 * Loops `fn(carry, x) -> [carry, y]` over the leading axis of `xs` (a pytree, or null with
 * `length`), as one graph op (JAX's `lax.scan`). Returns `[finalCarry, ys]`, the ys stacked along
 * a new leading axis. Differentiable in both modes; reverse mode saves per-iteration residuals.
 * @example
 * const [h, hs] = scan((h, x) => { const n = np.tanh(h.mul(w).add(x)); return [n, n]; }, np.zeros([3]), xs);
 */
export function scan(fn: (carry: any, x: any) => [any, any], init: unknown, xs: unknown, opts: ScanOptions = {}, ...extra: undefined[]): [any, any] {
  opts = npUtil.optionsOf("scan", opts, "scan", extra);
  return scanOp("scan", fn, init, xs, opts);
}

/**
 * Maps `fn` over the leading axis of its operands (BrainState's `for_loop`): `fn(...slices)` per
 * position, outputs stacked along a new leading axis. No carry; States written inside are carried.
 * @example forLoop((x, y) => x.mul(y), np.array([1, 2, 3]), np.array([4, 5, 6])) // [4, 10, 18]
 */
export function forLoop(fn: AnyFunction, ...xs: unknown[]): any {
  if (typeof fn !== "function") throw new ValueError(`forLoop: fn must be a function, got ${fn === null ? "null" : typeof fn}`);
  checkNotAsync("forLoop", fn);
  if (!xs.length) throw new ValueError(`forLoop: pass at least one operand to loop over`);
  return scanOp("forLoop", (c: unknown, x: unknown[]) => [c, fn(...x)], null, xs, {})[1];
}
