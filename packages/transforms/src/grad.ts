/**
 * `GradientTransform` — the base of grad, valueAndGrad, vectorGrad, jacrev, jacfwd and hessian —
 * and the return table of API.md §2. A transform is a function
 * `transform(f, { argnums, hasAux: true, ...transformParams })` from a pure `f` returning
 * `[value, aux]` to a function of the same arguments returning `[grads, aux]`;
 * GradientTransform wraps the user's function into such an `f` (carrying the value inside aux,
 * for `returnValue`), calls the transform, and lays the result out by the table.
 */
import { DTypeError, Tensor, ValueError, isFloat } from "@kiln/core";
import { vjpGraph } from "./vjp.js";
import {
  type Argnums, TraceCache, checkArgnumsForm, onesLike, outputTensors, perArgTrees, resolveArgnums, traceCall,
} from "./trace.js";

/** The pure function a transform receives: it returns `[value, aux]`. */
export type ValueAuxFn = (...args: any[]) => [unknown, unknown];

/** A gradient transform: `f` returning `[value, aux]` -> a function returning `[grads, aux]`. */
export type TransformFn<P extends object = Record<string, unknown>> = (
  f: ValueAuxFn,
  opts: { argnums: Argnums; hasAux: true } & P,
) => (...args: any[]) => [unknown, unknown];

/** The options shared by grad, vectorGrad, jacrev, jacfwd and hessian. */
export interface GradOptions {
  /** Which positional arguments to differentiate: one gives one gradient, an array an array of them. Default 0. */
  argnums?: Argnums;
  /** States to differentiate with respect to (a State, an array or a record of States). */
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
  if (flags.hasAux) return flags.returnValue ? [grads, parts.value, parts.aux] : [grads, parts.aux];
  return flags.returnValue ? [grads, parts.value] : grads;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v === null || v === undefined) return String(v);
  return typeof v === "object" ? (v.constructor?.name ?? "an object") : `a ${typeof v}`;
}

/** Checks the `[value, aux]` protocol of a transform's function (and of a `hasAux` user function). */
export function valueAuxPair(op: string, out: unknown, who = "the function"): [unknown, unknown] {
  if (!Array.isArray(out) || out.length !== 2) {
    throw new ValueError(`${op}: with hasAux: true, ${who} must return a pair [value, aux]; it returned ${describe(out)}`);
  }
  return [out[0], out[1]];
}

export interface GradientTransform {
  /** Calls the transformed function; the result is laid out by the return table. */
  (...args: any[]): any;
}

/**
 * The base every gradient transform is built on; callable like `grad(...)`.
 * @example
 * const scaled: TransformFn<{ scale: number }> = (f, { argnums, scale }) => {
 *   const base = grad(f, { argnums, hasAux: true });
 *   return (...args) => {
 *     const [g, aux] = base(...args);
 *     return [tree.map((x: Tensor) => x.mul(scale), g), aux];
 *   };
 * };
 * const g = new GradientTransform(loss, { transform: scaled, transformParams: { scale: 0.5 } });
 * g(x); // half the gradient of loss at x
 */
export class GradientTransform {
  declare readonly fn: (...args: any[]) => any;
  declare readonly argnums: Argnums | undefined;
  declare readonly hasAux: boolean;
  declare readonly returnValue: boolean;
  declare readonly transformed: (...args: any[]) => [unknown, unknown];
  declare readonly op: string;

  constructor(fn: (...args: any[]) => any, opts: GradientTransformOptions<any>) {
    opts ??= {} as GradientTransformOptions<any>;
    const op = opts.transform?.name || "GradientTransform";
    if (typeof fn !== "function") throw new ValueError(`${op}: expected a function to transform, got ${describe(fn)}`);
    if (typeof opts.transform !== "function") throw new ValueError(`GradientTransform: options.transform must be a function`);
    if (opts.gradStates !== undefined) {
      throw new ValueError(`${op}: gradStates is not supported yet; pass the values as arguments and use argnums`);
    }
    const argnums = opts.argnums ?? 0;
    checkArgnumsForm(op, argnums);
    const hasAux = opts.hasAux ?? false;
    // The user function as the transform protocol wants it: [value, [value, aux]].
    const f: ValueAuxFn = (...args) => {
      const out = fn(...args);
      if (!hasAux) return [out, [out, undefined]];
      const [value, aux] = valueAuxPair(op, out);
      return [value, [value, aux]];
    };
    const transformed = opts.transform(f, { ...(opts.transformParams ?? {}), argnums, hasAux: true });
    const callable = (...args: any[]) => (callable as unknown as GradientTransform).callTransformed(args);
    Object.setPrototypeOf(callable, new.target.prototype);
    Object.assign(callable, { fn, argnums, hasAux, returnValue: opts.returnValue ?? false, transformed, op });
    return callable as unknown as GradientTransform;
  }

  /** @internal Runs the transform and lays the result out by the return table. */
  callTransformed(args: readonly unknown[]): unknown {
    const [grads, inner] = valueAuxPair(this.op, this.transformed(...args), "the transform's function");
    if (!Array.isArray(inner) || inner.length !== 2) {
      throw new ValueError(`${this.op}: the transform must return as its aux the aux of its function f unchanged; got ${describe(inner)}`);
    }
    const [value, aux] = inner as [unknown, unknown];
    return gradResult({ argGrads: grads, value, aux }, { states: false, args: true, hasAux: this.hasAux, returnValue: this.returnValue });
  }
}

// Instances are functions: let them keep call/apply/bind and `instanceof Function`.
Object.setPrototypeOf(GradientTransform.prototype, Function.prototype);

// ---------------------------------------------------------------------------------------------
// The reverse-mode transforms.

function scalarCheck(value: unknown): void {
  if (!(value instanceof Tensor) && typeof value !== "number") {
    const hint = Array.isArray(value) && value.length === 2 ? "; if the function returns [loss, aux], pass hasAux: true" : "";
    throw new TypeError(`Gradient only defined for scalar-output functions. Output was ${describe(value)}${hint}.`);
  }
  const shape = value instanceof Tensor ? value.shape : [];
  if (shape.length) throw new TypeError(`Gradient only defined for scalar-output functions. Output had shape [${shape.join(", ")}].`);
}

/** `grad` (scalar output) or `vectorGrad` (gradient of the sum of every output) as a TransformFn. */
function reverseTransform(op: "grad" | "vectorGrad"): TransformFn {
  const transforms: Record<string, TransformFn> = {
    [op]: (f, { argnums }) => {
      const cache = new TraceCache();
      return (...args) => {
        const idx = resolveArgnums(op, argnums, args.length);
        const t = traceCall(op, cache, f, args, { argnums: idx, ints: "error" });
        const [value, aux] = valueAuxPair(op, t.result, "the transform's function");
        const { leaves: outs } = outputTensors(op, value);
        if (op === "grad") scalarCheck(value);
        for (const o of outs) {
          if (!isFloat(o.dtype)) throw new DTypeError(`${op} requires real-valued (float) outputs, but the function returned ${o.dtype}`);
        }
        const grads = t.derive(outs.map((o) => o.node), () => {
          const g = vjpGraph(outs, outs.map((o) => onesLike(o.node)), t.wrt);
          return new Map(t.wrt.map((w, i) => [w, g[i]!]));
        });
        const trees = perArgTrees(t.diffArgs, (p) => grads.get(p) ?? null);
        return t.restore([typeof argnums === "number" ? trees[0] : trees, aux]) as [unknown, unknown];
      };
    },
  };
  return transforms[op]!;
}

/** The built-in transforms (named, so error messages name them). */
export const gradTransform = reverseTransform("grad");
export const vectorGradTransform = reverseTransform("vectorGrad");

/**
 * The gradient of a scalar function with respect to the arguments selected by `argnums`
 * (default 0), with the structure of those arguments; results follow the return table.
 * @example
 * grad((x) => x.mul(x))(3);                                  // 6
 * grad((x, y) => x.mul(x).mul(y), { argnums: [0, 1] })(2, 3); // [12, 4]
 * grad((p) => p.w.mul(p.b))({ w: 2, b: 5 });                  // { b: 2, w: 5 }
 */
export function grad(fn: (...args: any[]) => any, opts: GradOptions = {}): GradientTransform {
  return new GradientTransform(fn, { ...opts, transform: gradTransform });
}

/**
 * `[value, grads]` of a scalar function (`[[value, aux], grads]` with `hasAux`), as JAX's
 * `value_and_grad`.
 * @example const [v, g] = valueAndGrad((x) => x.mul(x))(3); // v = 9, g = 6
 */
export function valueAndGrad(fn: (...args: any[]) => any, opts: Omit<GradOptions, "returnValue"> = {}): (...args: any[]) => any {
  const g = new GradientTransform(fn, { ...opts, returnValue: true, transform: gradTransform });
  return (...args) => {
    const r = g(...args) as unknown[];
    return opts.hasAux ? [[r[1], r[2]], r[0]] : [r[1], r[0]];
  };
}

/**
 * The gradient of the sum of all of `fn`'s outputs (no scalar check): for an elementwise `fn`,
 * the elementwise derivative. Per-sample gradients are `vmap(grad(f))`.
 * @example vectorGrad((x) => x.mul(x))(np.array([1, 2, 3])); // [2, 4, 6]
 */
export function vectorGrad(fn: (...args: any[]) => any, opts: GradOptions = {}): GradientTransform {
  return new GradientTransform(fn, { ...opts, transform: vectorGradTransform });
}
