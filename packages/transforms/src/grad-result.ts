/**
 * The return table of API.md §2 as a type: what a gradient call returns, inferred from the
 * function and the literal options, so `grad(f, { gradStates, returnValue: true })()` is typed
 * `[varGrads, loss]` without a cast. Options whose value is only known at run time (a `boolean`
 * variable, an options object typed `GradOptions`) give `any`, as before.
 */
import type { AnyFunction } from "./trace.js";
import type { State, Tensor } from "@kiln/core";

type IsAny<T> = 0 extends 1 & T ? true : false;

/** The gradient of an argument of type `T`: the same pytree with a Tensor at every leaf (numbers included). */
export type GradOf<T> =
  IsAny<T> extends true ? any
  : unknown extends T ? unknown
  : T extends Tensor | number ? Tensor
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: GradOf<T[K]> }
  : T extends object ? { -readonly [K in keyof T]: GradOf<T[K]> }
  : unknown;

/**
 * The gradients of the States selected by `gradStates`, in its container shape (State → the
 * gradient of its value: a Tensor, unless the State's type says it holds a pytree; arrays and
 * records, nested too, keep their shape).
 */
export type StateGradsOf<S> =
  IsAny<S> extends true ? any
  : S extends State<infer V> ? (IsAny<V> extends true ? Tensor : GradOf<V>)
  : S extends object ? { -readonly [K in keyof S]: StateGradsOf<S[K]> }
  : unknown;

/** The gradients of the arguments selected by `argnums` (a number: one; an array: one per entry). */
export type ArgGradsOf<Args extends readonly unknown[], A> =
  A extends number ? (number extends A ? GradOf<Args[number]> : GradOf<Args[A]>)
  : A extends readonly number[] ? { -readonly [K in keyof A]: ArgGradsOf<Args, A[K]> }
  : unknown;

type Get<O, K extends PropertyKey> = K extends keyof O ? O[K] : undefined;
/** Whether an option is given: statically "yes" or "no", or "unknown" until run time. */
type Given<V> = IsAny<V> extends true ? "unknown" : [V] extends [undefined] ? "no" : undefined extends V ? "unknown" : "yes";
/** A boolean option: statically true ("yes"), false or absent ("no"), or "unknown". */
type Flag<V> = IsAny<V> extends true ? "unknown" : [V] extends [true] ? "yes" : [V] extends [false | undefined] ? "no" : "unknown";

/** The grads column of the table: argGrads, varGrads, or both. */
type GradsOf<F extends AnyFunction, O> =
  Given<Get<O, "gradStates">> extends "no" ? ArgGradsOf<Parameters<F>, Given<Get<O, "argnums">> extends "no" ? 0 : Get<O, "argnums">>
  : Given<Get<O, "gradStates">> extends "unknown" ? any
  : Given<Get<O, "argnums">> extends "no" ? StateGradsOf<Get<O, "gradStates">>
  : Given<Get<O, "argnums">> extends "yes" ? [StateGradsOf<Get<O, "gradStates">>, ArgGradsOf<Parameters<F>, Get<O, "argnums">>]
  : any;

/** The `aux` a `hasAux` function returns second. */
type AuxOf<F extends AnyFunction> = ReturnType<F> extends readonly [unknown, infer A] ? A : unknown;
/** The function's value (its first result with `hasAux`): a scalar Tensor for grad, any pytree for vectorGrad. */
type ValueOf<F extends AnyFunction, O> =
  Flag<Get<O, "hasAux">> extends "yes" ? (ReturnType<F> extends readonly [infer V, unknown] ? V : unknown) : ReturnType<F>;

/**
 * The result of calling `grad(fn, opts)` (and vectorGrad): API.md §2's table.
 * @example
 * type R = GradResult<(x: Tensor) => Tensor, { returnValue: true }>; // [Tensor, Tensor]: [grads of x, value]
 */
export type GradResult<F extends AnyFunction, O> =
  Flag<Get<O, "hasAux">> extends "unknown" ? any
  : Flag<Get<O, "returnValue">> extends "unknown" ? any
  : Flag<Get<O, "hasAux">> extends "yes"
    ? Flag<Get<O, "returnValue">> extends "yes" ? [GradsOf<F, O>, ValueOf<F, O>, AuxOf<F>] : [GradsOf<F, O>, AuxOf<F>]
    : Flag<Get<O, "returnValue">> extends "yes" ? [GradsOf<F, O>, ValueOf<F, O>] : GradsOf<F, O>;

/** `valueAndGrad`'s result: `[value, grads]`, or `[[value, aux], grads]` with `hasAux`. */
export type ValueAndGradResult<F extends AnyFunction, O> =
  Flag<Get<O, "hasAux">> extends "unknown" ? any
  : Flag<Get<O, "hasAux">> extends "yes" ? [[ValueOf<F, O>, AuxOf<F>], GradsOf<F, O>] : [ValueOf<F, O>, GradsOf<F, O>];
