/**
 * Shared plumbing of the np layer: turning ArrayLikes into Tensors, NumPy broadcasting and type
 * promotion in front of the strict primitives, and one-line constructors for op families.
 */
import { type DType, checkDType, isFloat, isInt, promoteTypes } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { type Node, constNode, makeNode } from "../ir/node.js";
import { type BinaryPrim, type Prim, type PrimParams, type UnaryPrim } from "../ir/primitives.js";
import { hostDataNode } from "../realize.js";
import { type Shape, broadcastShapes, fmtShape, shapeEq, sizeOf } from "../shape.js";
import { allocTyped, castScalar, storedScalar } from "../dtype.js";
import { type ArrayLike, Tensor } from "../tensor.js";

/**
 * The deepest nesting of JS arrays accepted as array data: NumPy's limit on dimensions (64). It
 * also stops an array that contains itself, which would otherwise recurse until the JS stack
 * overflows (a RangeError instead of a typed error).
 */
export const MAX_NESTING = 64;

/**
 * Checks that nested JS arrays stay within MAX_NESTING levels (so they cannot contain
 * themselves) before a recursive walk over them; a ShapeError naming `op` otherwise.
 * @example checkNesting("take", [[0, 1], [2]]) // fine; a self-containing array throws ShapeError
 */
export function checkNesting(op: string, v: unknown, depth = 0): void {
  if (!Array.isArray(v)) return;
  if (depth >= MAX_NESTING) throw new ShapeError(`${op}: nested arrays deeper than ${MAX_NESTING} levels (NumPy's dimension limit), or an array that contains itself`);
  for (const e of v) checkNesting(op, e, depth + 1);
}

/** Infers the shape of nested JS arrays; throws a ShapeError for ragged, cyclic or too deep input. */
function nestedShape(v: unknown, op: string): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    if (shape.length === MAX_NESTING) {
      throw new ShapeError(`${op}: nested arrays deeper than ${MAX_NESTING} levels (NumPy's dimension limit), or an array that contains itself`);
    }
    shape.push(cur.length);
    cur = cur[0];
  }
  if (cur instanceof Tensor) shape.push(...cur.shape);
  const check = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(x)) throw new ShapeError(`${op}: ragged nested array (expected shape ${fmtShape(shape)})`);
      return;
    }
    if (x instanceof Tensor) {
      if (!shapeEq(x.shape, shape.slice(d))) throw new ShapeError(`${op}: ragged nested array (a Tensor of shape ${fmtShape(x.shape)} where ${fmtShape(shape.slice(d))} was expected)`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) throw new ShapeError(`${op}: ragged nested array (expected shape ${fmtShape(shape)})`);
    for (const e of x) check(e, d + 1);
  };
  check(v, 0);
  return shape;
}

function leafKind(v: unknown, op: string): "number" | "boolean" | "tensor" {
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof Tensor) return "tensor";
  throw new ValueError(`${op}: expected numbers, booleans, Tensors or nested arrays of them, got ${v === null ? "null" : typeof v}`);
}

/**
 * Converts an ArrayLike to a Tensor. JS numbers are weakly typed (float32, or int32 for
 * integers when `dtype` is absent in a mixed expression, as JAX's weak types).
 */
export function asTensor(x: ArrayLike, op = "asarray", dtype?: DType): Tensor {
  if (x instanceof Tensor) return dtype && dtype !== x.dtype ? astypeRaw(x, dtype) : x;
  if (ArrayBuffer.isView(x)) return hostArrayTensor(x, op, dtype);
  if (typeof x === "number" || typeof x === "boolean") {
    const dt = dtype ?? (typeof x === "boolean" ? "bool" : Number.isInteger(x) ? "int32" : "float32");
    // A weak number keeps its exact value until promotion; an explicit dtype converts it now.
    if (dtype !== undefined && isInt(dtype) && typeof x === "number") checkIntRange(op, x, dtype);
    return new Tensor(constNode(dtype === undefined ? +x : castScalar(+x, dt), dt), dtype === undefined);
  }
  if (!Array.isArray(x)) leafKind(x, op);
  const shape = nestedShape(x, op);
  const flat: unknown[] = (x as unknown[]).flat(Infinity);
  if (flat.some((v) => v instanceof Tensor)) {
    // Nested Tensors: stack them through the graph (stays lazy and differentiable).
    const parts = flat.map((v) => (v instanceof Tensor ? v : asTensor(v as number)));
    const dt = dtype ?? resultDType(parts, op);
    const pieces = parts.map((p) => reshapeRaw(astypeRaw(p, dt), [p.size]));
    return reshapeRaw(new Tensor(makeNode("concatenate", pieces.map((p) => p.node), { axis: 0 })), shape);
  }
  const kinds = new Set(flat.map((v) => leafKind(v, op)));
  const dt: DType = dtype ?? (kinds.size === 1 && kinds.has("boolean") ? "bool" : "float32");
  checkDType(dt, op);
  const data = allocTyped(dt, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i] as number | boolean;
    if (isInt(dt) && typeof v === "number") checkIntRange(op, v, dt);
    data[i] = typeof v === "boolean" ? storedScalar(+v, dt) : dt === "bool" ? +(v !== 0) : storedScalar(v, dt);
  }
  return new Tensor(hostDataNode(data, { shape, dtype: dt }));
}

/**
 * The dtype a typed array's values have: NumPy's where kiln has it, else the smallest kiln dtype
 * holding every value of the array type (Int8/Int16 → int32, Uint16 → uint32).
 */
function hostArrayDType(x: ArrayBufferView, op: string): DType {
  if (x instanceof Float32Array) return "float32";
  // Float16Array (ES2025) where the runtime has it; Node 20 does not.
  const f16 = (globalThis as { Float16Array?: abstract new (...a: never[]) => object }).Float16Array;
  if (f16 && x instanceof f16) return "float16";
  if (x instanceof Float64Array) return "float64";
  if (x instanceof Uint8Array || x instanceof Uint8ClampedArray) return "uint8";
  if (x instanceof Uint16Array || x instanceof Uint32Array) return "uint32";
  if (x instanceof Int32Array || x instanceof Int16Array || x instanceof Int8Array) return "int32";
  const name = (x as object).constructor?.name ?? "an ArrayBuffer view";
  throw new ValueError(`${op}: ${name} is not supported as array data; use a Float32Array, Float64Array, an integer typed array or nested arrays`);
}

/**
 * A 1-D Tensor of a typed array's values, copied (the Tensor is immutable and lazy: a later write
 * to the caller's array must not change it). Its dtype follows the array type unless `dtype` says
 * otherwise. An integer dtype given explicitly must hold every value (NumPy raises OverflowError):
 * Uint32Array values of 2^31 or more as int32, or -1 as uint8, are a ValueError naming the range.
 */
function hostArrayTensor(x: ArrayBufferView, op: string, dtype?: DType): Tensor {
  const natural = hostArrayDType(x, op);
  const src = x as unknown as { readonly length: number; readonly [i: number]: number };
  const dt = dtype ?? natural;
  checkDType(dt, op);
  const n = src.length;
  const data = allocTyped(dt, n);
  if (natural === dt && data.constructor === x.constructor) {
    data.set(src as never);
  } else if (isInt(dt)) {
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      checkIntRange(op, v, dt);
      data[i] = Math.trunc(v);
    }
  } else if (dt === "bool") {
    for (let i = 0; i < n; i++) data[i] = +(src[i] !== 0);
  } else {
    for (let i = 0; i < n; i++) data[i] = storedScalar(src[i]!, dt); // float16 rounds to half, stored as its bits
  }
  return new Tensor(hostDataNode(data, { shape: [n], dtype: dt }));
}

/** The values each integer dtype holds, as text for the error (and the bounds). */
const INT_RANGE: { readonly [D in "int32" | "uint8" | "uint32"]: readonly [lo: number, hiExclusive: number, text: string] } = {
  int32: [-(2 ** 31), 2 ** 31, "-2^31 to 2^31 - 1"],
  uint8: [0, 256, "0 to 255"],
  uint32: [0, 2 ** 32, "0 to 2^32 - 1"],
};

/**
 * A JS number given as integer data must fit: wrapping would silently turn 2^40 into 0 for int32
 * or -1 into 255 for uint8 (NumPy raises OverflowError). Fractions truncate toward zero, as
 * NumPy's conversion does. (`astype` wraps instead: it converts values already in the graph.)
 */
function checkIntRange(op: string, v: number, dt: "int32" | "uint8" | "uint32"): void {
  const t = Math.trunc(v);
  const [lo, hi, text] = INT_RANGE[dt];
  if (!(t >= lo && t < hi)) {
    throw new ValueError(`${op}: ${v} does not fit in ${dt} (range ${text}); use float32/float64 data or reduce the value`);
  }
}

import { elementwiseExtras } from "./positional.js";
export { checkKeysIn, checkOptionKeys, elementwiseExtras, nearestKey, noExtraArgs, optionsObject, optionsOf, positionalOptions, isPlainObject, type Positional, type SignatureName } from "./positional.js";

/**
 * The most arrays one call may return as a list (`split`, `arraySplit`, `unstack`…): each is a
 * JavaScript object, and V8 aborts the process — not a catchable error — when a list grows past
 * ~10^8 entries. NumPy has no limit but runs out of memory long before.
 */
export const MAX_LIST_RESULTS = 1 << 24;

/** Throws a ValueError when `op` would return `count` arrays, more than `MAX_LIST_RESULTS`. */
export function checkListLength(op: string, count: number): void {
  if (count > MAX_LIST_RESULTS) {
    throw new ValueError(`${op}: would return ${count} arrays; at most ${MAX_LIST_RESULTS} are supported`);
  }
}

/**
 * The most elements an op builds one by one in JavaScript (index lists made on the host, such as
 * `trilIndices`): past this the host loop alone takes seconds and the JS arrays exhaust memory.
 */
export const MAX_HOST_ELEMENTS = 1 << 26;

/** Throws a ShapeError when `op` would loop over `count` elements on the host, more than `MAX_HOST_ELEMENTS`. */
export function checkHostWork(op: string, count: number, what: string): void {
  if (!(count <= MAX_HOST_ELEMENTS)) {
    throw new ShapeError(`${op}: ${what} has ${count} elements, more than the ${MAX_HOST_ELEMENTS} (2^26) kiln builds on the host`);
  }
}

/** The promoted dtype of several operands (weak JS scalars do not widen). */
export function resultDType(ts: readonly Tensor[], op: string): DType {
  if (!ts.length) throw new ValueError(`${op}: needs at least one operand`);
  let dt = ts[0]!.dtype;
  let weak = ts[0]!.weak;
  for (const t of ts.slice(1)) {
    dt = promoteTypes(dt, weak, t.dtype, t.weak);
    weak = weak && t.weak;
  }
  return dt;
}

export function astypeRaw(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  // Literals are converted at build time, so graphs show `1.0:f32`, not a cast of `1:i32`.
  if (x.node.prim === "const") return new Tensor(constNode(castScalar((x.node as Node<"const">).params.value, dtype), dtype), x.weak);
  return new Tensor(makeNode("cast", [x.node], { dtype }), false);
}

export function reshapeRaw(x: Tensor, shape: Shape): Tensor {
  if (shapeEq(x.shape, shape)) return x;
  return new Tensor(makeNode("reshape", [x.node], { shape: [...shape] }), x.weak);
}

/** Broadcasts to `shape` (already known to be compatible). */
export function broadcastRaw(x: Tensor, shape: Shape): Tensor {
  if (shapeEq(x.shape, shape)) return x;
  const offset = shape.length - x.ndim;
  return new Tensor(makeNode("broadcast", [x.node], { shape: [...shape], dims: x.shape.map((_, i) => i + offset) }), x.weak);
}

/** Applies a primitive to tensors, producing a Tensor. */
export function apply<P extends Prim>(prim: P, inputs: readonly Tensor[], params: PrimParams[P], weak = false): Tensor {
  return new Tensor(makeNode(prim, inputs.map((t) => t.node), params), weak);
}

/** Converts operands, promotes dtypes and broadcasts shapes — NumPy semantics before a strict primitive. */
export function prepareOperands(op: string, xs: readonly ArrayLike[], opts: { dtype?: DType } = {}): { ts: Tensor[]; dtype: DType; shape: number[]; weak: boolean } {
  const ts0 = xs.map((x) => asTensor(x, op));
  const dtype = opts.dtype ?? resultDType(ts0, op);
  const shape = broadcastShapes(op, ...ts0.map((t) => t.shape));
  const weak = ts0.every((t) => t.weak);
  return { ts: ts0.map((t) => broadcastRaw(astypeRaw(t, dtype), shape)), dtype, shape, weak };
}

export interface ElementwiseOpts {
  /** Integer/bool inputs are promoted to float32 first (e.g. `divide`, `exp`). */
  toFloat?: boolean;
  /** Reject bool inputs with a DTypeError. */
  noBool?: boolean;
  /**
   * The primitive that computes the op on bool operands, where NumPy and JAX define one: `add` is
   * logical or and `multiply` logical and (`True + True` is `True`), results staying bool.
   */
  boolPrim?: BinaryPrim;
}

function floatOf(d: DType): DType {
  return isFloat(d) ? d : "float32";
}

/** A NumPy-style unary op over a unary primitive. */
export function unaryOp(op: string, prim: UnaryPrim, opts: ElementwiseOpts = {}): (x: ArrayLike) => Tensor {
  return (x, ...extra: unknown[]) => {
    elementwiseExtras(op, [x], extra);
    let t = asTensor(x, op);
    if (opts.noBool && t.dtype === "bool") throw new DTypeError(`${op}: not defined for bool input; cast with astype first`);
    if (opts.toFloat) t = astypeRaw(t, floatOf(t.dtype));
    return apply(prim, [t], {}, t.weak);
  };
}

/** A NumPy-style binary op over a binary primitive: promotion, broadcasting, then the primitive. */
export function binaryOp(op: string, prim: BinaryPrim, opts: ElementwiseOpts = {}): (a: ArrayLike, b: ArrayLike) => Tensor {
  return (a, b, ...extra: unknown[]) => {
    elementwiseExtras(op, [a, b], extra);
    const prep = prepareOperands(op, [a, b]);
    let { ts, dtype } = prep;
    if (opts.boolPrim && dtype === "bool") return apply(opts.boolPrim, ts, {}, prep.weak);
    if (opts.noBool && dtype === "bool") throw new DTypeError(`${op}: not defined for bool operands; cast with astype first`);
    if (opts.toFloat && !isFloat(dtype)) {
      dtype = "float32";
      ts = ts.map((t) => astypeRaw(t, dtype));
    }
    return apply(prim, ts, {}, prep.weak);
  };
}

/** A scalar constant broadcast to `shape` (used by creation ops and rules). */
export function fullRaw(shape: Shape, value: number, dtype: DType): Tensor {
  const c = new Tensor(constNode(value, dtype));
  return broadcastRaw(c, shape);
}

export function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && "prim" in x && "aval" in x;
}

export { sizeOf };

/**
 * vmap as @kiln/transforms registers it when it loads (core cannot import transforms, which
 * depends on core); np.applyAlongAxis and np.vectorize map with it.
 */
export type VmapHook = <F extends (...xs: Tensor[]) => unknown>(fn: F, opts: { inAxes: number; outAxes: number }) => F;
let vmapHook: VmapHook | null = null;
export function registerVmap(v: VmapHook): void {
  vmapHook = v;
}
export function registeredVmap(): VmapHook | null {
  return vmapHook;
}
