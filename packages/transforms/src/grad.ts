/**
 * `GradientTransform` — the base of grad, valueAndGrad, vectorGrad, jacrev, jacfwd and hessian —
 * and the return table of API.md §2. A transform is a function
 * `transform(f, { argnums, hasAux: true, ...transformParams })` from a pure `f` returning
 * `[value, aux]` to a function of the same arguments returning `[grads, aux]`.
 *
 * GradientTransform makes the user's function pure (BrainState's `_call_target`): `f` takes the
 * user's arguments followed by two extra ones — the values of the selected States (in the
 * `gradStates` container shape) and the values of the other States the function read on its last
 * call — and runs the user's function under a `StateEffects` trace that answers State reads from
 * them. Selected States are differentiated like arguments; the others are non-differentiated
 * arguments, so their avals are part of every trace-cache key and a new value of the same shape
 * replays the cached derivation. A State read for the first time is a constant (its current
 * value) for that call. Writes travel out through `f`'s aux and are committed once, after the
 * result is laid out (nothing is committed if anything throws).
 */
import { npUtil } from "@kiln/core";
import { type AnyState, DTypeError, KilnTypeError, type StateValue, Tensor, ValueError, isFloat, tree, withStateTrace } from "@kiln/core";
import { describe, hasAuxFlag, valueAuxPair } from "./aux.js";
import { vjpGraph } from "./derive.js";
import type { GradResult, ValueAndGradResult } from "./grad-result.js";
import { type Argnums, TraceCache, checkArgnumsForm, checkNotAsync, onesLike, outputTensors, perArgTrees, resolveArgnums, traceCall, type AnyFunction } from "./trace.js";
import {
  type GradStates, StateEffects, atLeaves, commitOrForward, gradStateValues, parseGradStates, subtreesAt,
} from "./state-effects.js";

/** The pure function a transform receives: it returns `[value, aux]`. */
export type ValueAuxFn = (...args: any[]) => [unknown, unknown];

/**
 * A gradient transform: `f` returning `[value, aux]` -> a function returning `[grads, aux]`.
 * `perOutputLeaf` marks transforms whose grads follow the output's structure first, with one
 * argnums entry per output leaf (Jacobians): GradientTransform then splits State and argument
 * gradients at each output leaf instead of at the top.
 */
export type TransformFn<P extends object = Record<string, unknown>> = ((
  f: ValueAuxFn,
  opts: { argnums: Argnums; hasAux: true } & P,
) => (...args: any[]) => [unknown, unknown]) & { readonly perOutputLeaf?: boolean };

/** The options shared by grad, vectorGrad, jacrev, jacfwd and hessian. */
export interface GradOptions {
  /**
   * Which positional arguments to differentiate: one gives one gradient, an array an array of
   * them. Default 0 without `gradStates`, none with it.
   */
  argnums?: Argnums;
  /** States to differentiate with respect to: a State, an array or a record of States (e.g. `model.states(ParamState)`). */
  gradStates?: unknown;
  /** `fn` returns `[loss, aux]`; `aux` is passed through. */
  hasAux?: boolean;
  /** Also return the function's value. */
  returnValue?: boolean;
}

export interface GradientTransformOptions<P extends object = Record<string, unknown>> extends GradOptions {
  transform: TransformFn<P>;
  /** Extra options handed to `transform` (e.g. `{ scale: 0.5 }`). */
  transformParams?: P;
}

/** The parts a gradient call produces, before the return table lays them out. */
export interface GradParts {
  varGrads?: unknown;
  argGrads?: unknown;
  value: unknown;
  aux: unknown;
}

/**
 * The return table of API.md §2 (`varGrads` = State gradients, `argGrads` = argument gradients).
 * @example gradResult({ argGrads: g, value: v, aux: a }, { states: false, args: true, hasAux: true, returnValue: true }) // [g, v, a]
 */
export function gradResult(parts: GradParts, flags: { states: boolean; args: boolean; hasAux: boolean; returnValue: boolean }): unknown {
  const grads = !flags.states ? parts.argGrads : !flags.args ? parts.varGrads : [parts.varGrads, parts.argGrads];
  return withValueAndAux(grads, parts.value, parts.aux, flags);
}

/** The last three columns of the table: `grads`, `[grads, aux]`, `[grads, value]` or `[grads, value, aux]`. */
function withValueAndAux(grads: unknown, value: unknown, aux: unknown, flags: { hasAux: boolean; returnValue: boolean }): unknown {
  if (flags.hasAux) return flags.returnValue ? [grads, value, aux] : [grads, aux];
  return flags.returnValue ? [grads, value] : grads;
}

type Transformed = (...args: any[]) => [unknown, unknown];

/** One call in progress: which States come in through the "other States" argument, and who read what. */
interface CallFrame {
  readonly otherIndex: ReadonlyMap<AnyState, number>;
  /** Non-selected States whose value the function read from outside (the next call's other States). */
  readonly readOutside: Set<AnyState>;
}

/** What `f` hands back as its aux: the value, the user's aux, and the writes to commit. */
type InnerAux = [unknown, unknown, [AnyState, StateValue][]];

export interface GradientTransform {
  /** Calls the transformed function; the result is laid out by the return table. */
  (...args: any[]): any;
}

/**
 * A gradient transform whose calls are typed by the return table (grad-result.ts) for `fn`'s
 * arguments and the literal options it was made with.
 */
export type GradFunction<F extends AnyFunction, O> = ((...args: Parameters<F>) => GradResult<F, O>) & GradientTransform;
// Calls that do not match `fn`'s declared parameters (numbers for Tensors, spread arrays) fall
// back to GradientTransform's untyped signature, as every call did before.

/**
 * The base every gradient transform is built on; callable like `grad(...)`. See the file comment
 * for how States are threaded.
 * @example
 * const scaled: TransformFn<{ scale: number }> = (f, { argnums, scale }) => {
 *   const base = grad(f, { argnums, hasAux: true });
 *   return (...args) => {
 *     const [g, aux] = base(...args);
 *     return [tree.map((x: Tensor) => x.mul(scale), g), aux];
 *   };
 * };
 * const g = new GradientTransform(loss, { transform: scaled, transformParams: { scale: 0.5 }, gradStates: model.states(ParamState) });
 * g(x, y); // half the gradients of loss w.r.t. the model's parameters
 */
export class GradientTransform {
  declare readonly fn: AnyFunction;
  /** The user's argnums (undefined: none, only with gradStates). */
  declare readonly argnums: Argnums | undefined;
  declare readonly gradStates: GradStates | null;
  declare readonly hasAux: boolean;
  declare readonly returnValue: boolean;
  declare readonly op: string;
  declare readonly transform: TransformFn<any>;
  declare readonly transformParams: object;
  /** @internal The transformed pure function, per call arity (argnums are resolved per arity). */
  declare readonly byArity: Map<number, Transformed>;
  /** @internal Calls in progress, innermost last. */
  declare readonly frames: CallFrame[];
  /** @internal Non-selected States read on the last call: passed as arguments on the next. */
  declare others: readonly AnyState[];

  constructor(fn: AnyFunction, opts: GradientTransformOptions<any>, ...extra: undefined[]) {
    opts = npUtil.optionsOf("GradientTransform", opts, "GradientTransform", extra);
    const op = opts.transform?.name || "GradientTransform";
    if (typeof fn !== "function") throw new ValueError(`${op}: expected a function to transform, got ${describe(fn)}`);
    checkNotAsync(op, fn);
    if (typeof opts.transform !== "function") throw new ValueError(`GradientTransform: options.transform must be a function`);
    const gradStates = opts.gradStates === undefined || opts.gradStates === null ? null : parseGradStates(op, opts.gradStates);
    const argnums = opts.argnums ?? (gradStates ? undefined : 0);
    if (argnums !== undefined) checkArgnumsForm(op, argnums);
    const callable = (...args: any[]) => (callable as unknown as GradientTransform).callTransformed(args);
    Object.setPrototypeOf(callable, new.target.prototype);
    Object.assign(callable, {
      fn, argnums, gradStates, hasAux: hasAuxFlag(op, opts.hasAux), returnValue: opts.returnValue ?? false, op,
      transform: opts.transform, transformParams: opts.transformParams ?? {}, byArity: new Map(), frames: [], others: [],
    });
    return callable as unknown as GradientTransform;
  }

  /** @internal Runs the transform and lays the result out by the return table. */
  callTransformed(args: readonly unknown[]): unknown {
    const { op, gradStates: gs } = this;
    const arity = args.length;
    if (this.argnums !== undefined) resolveArgnums(op, this.argnums, arity); // errors name the user's arity
    const gradValues = gs ? gradStateValues(op, gs) : null;
    const others = this.others.filter((s) => !gs?.index.has(s));
    const frame: CallFrame = { otherIndex: new Map(others.map((s, i) => [s, i])), readOutside: new Set() };
    const otherValues = others.map((s) => s.value);
    const transformed = this.transformedFor(arity);
    this.frames.push(frame);
    let out: [unknown, unknown];
    try {
      out = transformed(...args, gradValues, otherValues);
    } finally {
      this.frames.pop();
    }
    const [grads, inner] = valueAuxPair(op, out, "the transform's function");
    if (!Array.isArray(inner) || inner.length !== 3) {
      throw new ValueError(`${op}: the transform must return as its aux the aux of its function f unchanged; got ${describe(inner)}`);
    }
    const [value, aux, writes] = inner as InnerAux;
    const result = withValueAndAux(this.splitGrads(grads, value), value, aux, this);
    this.others = [...frame.readOutside];
    commitOrForward(writes);
    return result;
  }

  /** @internal The transform applied to the pure function for calls with `arity` arguments. */
  transformedFor(arity: number): Transformed {
    const hit = this.byArity.get(arity);
    if (hit) return hit;
    const user = this.argnums === undefined ? [] : resolveArgnums(this.op, this.argnums, arity);
    // The selected States' values are argument `arity`; the other States' values `arity + 1`.
    const argnums: Argnums = !this.gradStates
      ? (typeof this.argnums === "number" ? user[0]! : user)
      : this.argnums === undefined ? arity : [arity, ...user];
    const f: ValueAuxFn = (...all) => this.runPure(arity, all);
    const transformed = this.transform(f, { ...this.transformParams, argnums, hasAux: true });
    if (typeof transformed !== "function") throw new ValueError(`${this.op}: the transform must return a function, got ${describe(transformed)}`);
    this.byArity.set(arity, transformed);
    return transformed;
  }

  /** @internal The pure function: the user's function with State reads answered from its last two arguments. */
  runPure(arity: number, all: readonly unknown[]): [unknown, InnerAux] {
    const gs = this.gradStates;
    const frame = this.frames[this.frames.length - 1] ?? { otherIndex: new Map(), readOutside: new Set() };
    const selected = gs ? subtreesAt(gs.def, all[arity]) : [];
    const otherValues = (all[arity + 1] ?? []) as readonly StateValue[];
    const effects = new StateEffects((s, parentValue) => {
      const i = gs?.index.get(s);
      if (i !== undefined) return selected[i] as StateValue;
      const j = frame.otherIndex.get(s);
      return j !== undefined && j < otherValues.length ? otherValues[j]! : parentValue();
    });
    const out = withStateTrace(effects, () => this.fn(...all.slice(0, arity)));
    for (const s of effects.inputs.keys()) if (!gs?.index.has(s)) frame.readOutside.add(s);
    const [value, aux] = this.hasAux ? valueAuxPair(this.op, out) : [out, undefined];
    return [value, [value, aux, [...effects.writes]]];
  }

  /**
   * @internal The `grads` entry of the table from the transform's gradients: with States and
   * argnums, `[varGrads, argGrads]` (split at each output leaf for per-output-leaf transforms).
   */
  splitGrads(grads: unknown, value: unknown): unknown {
    const { argnums } = this;
    if (!this.gradStates || argnums === undefined) return grads;
    const count = typeof argnums === "number" ? 2 : argnums.length + 1;
    const split = (g: unknown): unknown => {
      if (!Array.isArray(g) || g.length !== count) {
        throw new ValueError(`${this.op}: the transform must return one gradient per argnum it was given (${count}); got ${describe(g)}`);
      }
      return typeof argnums === "number" ? [g[0], g[1]] : [g[0], g.slice(1)];
    };
    return this.transform.perOutputLeaf ? atLeaves(tree.structure(value), grads, split) : split(grads);
  }
}

// Instances are functions: let them keep call/apply/bind and `instanceof Function`.
Object.setPrototypeOf(GradientTransform.prototype, Function.prototype);

// ---------------------------------------------------------------------------------------------
// The reverse-mode transforms.

function scalarCheck(value: unknown): void {
  if (!(value instanceof Tensor) && typeof value !== "number") {
    const hint = Array.isArray(value) && value.length === 2 ? "; if the function returns [loss, aux], pass hasAux: true" : "";
    throw new KilnTypeError(`Gradient only defined for scalar-output functions. Output was ${describe(value)}${hint}.`);
  }
  const shape = value instanceof Tensor ? value.shape : [];
  if (shape.length) throw new KilnTypeError(`Gradient only defined for scalar-output functions. Output had shape [${shape.join(", ")}].`);
}

/** `grad` (scalar output) or `vectorGrad` (gradient of the sum of every output) as a TransformFn. */
function reverseTransform(op: "grad" | "valueAndGrad" | "vectorGrad"): TransformFn {
  const transforms: Record<string, TransformFn> = {
    [op]: (f, { argnums }) => {
      const cache = new TraceCache();
      return (...args) => {
        const idx = resolveArgnums(op, argnums, args.length);
        const t = traceCall(op, cache, f, args, { argnums: idx, ints: "error" });
        const [value, aux] = valueAuxPair(op, t.result, "the transform's function");
        const { leaves: outs } = outputTensors(op, value);
        if (op !== "vectorGrad") scalarCheck(value);
        for (const o of outs) {
          if (!isFloat(o.dtype)) throw new DTypeError(`${op} requires real-valued (float) outputs, but the function returned ${o.dtype}`);
        }
        const grads = t.derive(outs.map((o) => o.node), () => {
          const g = vjpGraph(outs, outs.map((o) => onesLike(o.node)), t.wrt);
          return new Map(t.wrt.map((w, i) => [w, g[i]!]));
        });
        const trees = perArgTrees(t.diffArgs, (p) => grads.get(p) ?? null);
        const result = t.restore([typeof argnums === "number" ? trees[0] : trees, aux]) as [unknown, unknown];
        t.commitWrites(); // none when f is a GradientTransform's pure function
        return result;
      };
    },
  };
  return transforms[op]!;
}

/** The built-in transforms (named, so error messages name them). */
export const gradTransform = reverseTransform("grad");
export const vectorGradTransform = reverseTransform("vectorGrad");
/** `grad`'s transform under valueAndGrad's name (its errors name the function the user called). */
const valueAndGradTransform = reverseTransform("valueAndGrad");

/**
 * The gradient of a scalar function with respect to the arguments selected by `argnums`
 * (default 0), with the structure of those arguments; results follow the return table.
 * @example
 * grad((x) => x.mul(x))(3);                                  // 6
 * grad((x, y) => x.mul(x).mul(y), { argnums: [0, 1] })(2, 3); // [12, 4]
 * grad((p) => p.w.mul(p.b))({ w: 2, b: 5 });                  // { b: 2, w: 5 }
 */
export function grad<F extends AnyFunction, const O extends GradOptions = {}>(fn: F, opts: O = {} as O, ...extra: undefined[]): GradFunction<F, O> {
  const checked = npUtil.optionsOf("grad", opts, "grad", extra);
  return new GradientTransform(fn, { ...checked, transform: gradTransform }) as GradFunction<F, O>;
}

/**
 * `[value, grads]` of a scalar function (`[[value, aux], grads]` with `hasAux`), as JAX's
 * `value_and_grad`.
 * @example const [v, g] = valueAndGrad((x) => x.mul(x))(3); // v = 9, g = 6
 */
export function valueAndGrad<F extends AnyFunction, const O extends Omit<GradOptions, "returnValue"> = {}>(
  fn: F,
  opts: O = {} as O,
  ...extra: undefined[]
): ((...args: Parameters<F>) => ValueAndGradResult<F, O>) & AnyFunction {
  opts = npUtil.optionsOf("valueAndGrad", opts, "valueAndGrad", extra);
  const g = new GradientTransform(fn, { ...opts, returnValue: true, transform: valueAndGradTransform });
  return (...args) => {
    const r = g(...args) as unknown[];
    return (opts.hasAux ? [[r[1], r[2]], r[0]] : [r[1], r[0]]) as ValueAndGradResult<F, O>;
  };
}

/**
 * The gradient of the sum of all of `fn`'s outputs (no scalar check): for an elementwise `fn`,
 * the elementwise derivative. Per-sample gradients are `vmap(grad(f))`.
 * @example vectorGrad((x) => x.mul(x))(np.array([1, 2, 3])); // [2, 4, 6]
 */
export function vectorGrad<F extends AnyFunction, const O extends GradOptions = {}>(fn: F, opts: O = {} as O, ...extra: undefined[]): GradFunction<F, O> {
  const checked = npUtil.optionsOf("vectorGrad", opts, "vectorGrad", extra);
  return new GradientTransform(fn, { ...checked, transform: vectorGradTransform }) as GradFunction<F, O>;
}
