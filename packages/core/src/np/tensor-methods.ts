/**
 * Tensor's chaining methods (`x.add(y)`, `x.sum()`, `x.T`, …): the short names of the `np`
 * functions they call. They are declared on `Tensor` by interface merging and installed on
 * `Tensor.prototype` here, not written in tensor.ts, so that the import goes one way — np builds
 * Tensors, tensor.ts never loads np (a value-import cycle made module evaluation order fragile).
 * np/index.ts imports this file, and every entry point that can build a Tensor loads np's index.
 */
import { type DType } from "../dtype.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { iterateFirstAxis } from "./compose-helpers.js";
import * as ew from "./elementwise.js";
import * as cplx from "./numpy-aliases.js";
import { bitcastConvertType } from "../lax/bitcast.js";
import * as idx from "./indexing.js";
import * as lin from "./linalg.js";
import * as mat from "./matrix-extra.js";
import * as red from "./reduce.js";
import * as shp from "./shape.js";
import * as srt from "./sort.js";
import type { Positional } from "./positional.js";
import type { ArgReduceOptions, CumsumOptions, ReduceOptions, SumOptions, VarOptions } from "./reduce.js";

/** The methods np attaches to every Tensor; merged into the `Tensor` class's type below. */
interface TensorMethods {
  // ------------------------------------------------------------------ elementwise
  /** `np.add(this, y)`: elementwise sum, broadcasting. */
  add(y: ArrayLike): Tensor;
  /** `np.subtract(this, y)`. */
  sub(y: ArrayLike): Tensor;
  /** `np.multiply(this, y)`. */
  mul(y: ArrayLike): Tensor;
  /** `np.divide(this, y)`: true division (int operands give a float result). */
  div(y: ArrayLike): Tensor;
  /** `np.remainder(this, y)`: the remainder with the sign of the divisor, as NumPy. */
  mod(y: ArrayLike): Tensor;
  /** `np.power(this, y)`. */
  pow(y: ArrayLike): Tensor;
  /** `np.negative(this)`. */
  neg(): Tensor;
  /** `np.abs(this)`. */
  abs(): Tensor;
  /** `np.sign(this)`. */
  sign(): Tensor;
  /** `np.exp(this)`. */
  exp(): Tensor;
  /** `np.log(this)`. */
  log(): Tensor;
  /** `np.sqrt(this)`. */
  sqrt(): Tensor;
  /** `np.rsqrt(this)`: `1 / sqrt(this)`. */
  rsqrt(): Tensor;
  /** `np.square(this)`. */
  square(): Tensor;
  /** `np.reciprocal(this)`. */
  reciprocal(): Tensor;
  /** `np.sin(this)`. */
  sin(): Tensor;
  /** `np.cos(this)`. */
  cos(): Tensor;
  /** `np.tan(this)`. */
  tan(): Tensor;
  /** `np.tanh(this)`. */
  tanh(): Tensor;
  /** `np.sigmoid(this)`. */
  sigmoid(): Tensor;
  /** `np.relu(this)`. */
  relu(): Tensor;
  /** `np.floor(this)`. */
  floor(): Tensor;
  /** `np.ceil(this)`. */
  ceil(): Tensor;
  /** `np.round(this)`: half to even, as NumPy. */
  round(): Tensor;
  /** `np.clip(this, lo, hi)`; `null` leaves that side unbounded. */
  clip(lo: ArrayLike | null, hi: ArrayLike | null): Tensor;
  /** `np.maximum(this, y)`. */
  maximum(y: ArrayLike): Tensor;
  /** `np.minimum(this, y)`. */
  minimum(y: ArrayLike): Tensor;
  /** `np.equal(this, y)`: a bool tensor. */
  eq(y: ArrayLike): Tensor;
  /** `np.notEqual(this, y)`. */
  ne(y: ArrayLike): Tensor;
  /** `np.less(this, y)`. */
  lt(y: ArrayLike): Tensor;
  /** `np.lessEqual(this, y)`. */
  le(y: ArrayLike): Tensor;
  /** `np.greater(this, y)`. */
  gt(y: ArrayLike): Tensor;
  /** `np.greaterEqual(this, y)`. */
  ge(y: ArrayLike): Tensor;
  /**
   * `np.equal(this, y)` under its jax-js / TF.js method name (also `notEqual`, `less`, `lessEqual`,
   * `greater`, `greaterEqual`; the short forms `eq`, `ne`, `lt`, `le`, `gt`, `ge` are the same).
   * @example np.array([1, 2, 3]).equal(2) // [false, true, false]
   */
  equal(y: ArrayLike): Tensor;
  /** `np.notEqual(this, y)` (= `ne`). */
  notEqual(y: ArrayLike): Tensor;
  /** `np.less(this, y)` (= `lt`). */
  less(y: ArrayLike): Tensor;
  /** `np.lessEqual(this, y)` (= `le`). */
  lessEqual(y: ArrayLike): Tensor;
  /** `np.greater(this, y)` (= `gt`). @example np.array(3).greater(2) // true */
  greater(y: ArrayLike): Tensor;
  /** `np.greaterEqual(this, y)` (= `ge`). */
  greaterEqual(y: ArrayLike): Tensor;
  /** `np.astype(this, dtype)`. */
  astype(dtype: DType): Tensor;
  /**
   * NumPy's `ndarray.view(dtype)`: the same bits read as another dtype of the same item size
   * (float32 ↔ int32 ↔ uint32; `lax.bitcastConvertType`). Not differentiable.
   * @example np.array([1]).view("int32") // [1065353216]
   */
  view(dtype: DType): Tensor;

  // ------------------------------------------------------------------ reductions
  /** `np.sum(this, ...)`: `x.sum()`, `x.sum(0)`, `x.sum([0, 2], { keepdims: true })`, `x.sum({ axis: [0, 1], keepdims: true })`. */
  sum(...args: Positional<"sum", SumOptions>): Tensor;
  /** `np.mean(this, opts)`. */
  mean(...args: Positional<"mean", ReduceOptions>): Tensor;
  /** `np.prod(this, opts)`. */
  prod(...args: Positional<"prod", SumOptions>): Tensor;
  /** `np.max(this, opts)`. */
  max(...args: Positional<"max", ReduceOptions>): Tensor;
  /** `np.min(this, opts)`. */
  min(...args: Positional<"min", ReduceOptions>): Tensor;
  /** `np.argmax(this, opts)`: int32 indices. */
  argmax(...args: Positional<"argmax", ArgReduceOptions>): Tensor;
  /** `np.argmin(this, opts)`: int32 indices. */
  argmin(...args: Positional<"argmin", ArgReduceOptions>): Tensor;
  /** `np.var(this, opts)` (`ddof` in the options). */
  var(...args: Positional<"var", VarOptions>): Tensor;
  /** `np.std(this, opts)`. */
  std(...args: Positional<"std", VarOptions>): Tensor;
  /** `np.all(this, opts)`. */
  all(...args: Positional<"all", ReduceOptions>): Tensor;
  /** `np.any(this, opts)`. */
  any(...args: Positional<"any", ReduceOptions>): Tensor;
  /** `np.cumsum(this, opts)`: over the flattened tensor when no axis is given. */
  cumsum(...args: Positional<"cumsum", CumsumOptions>): Tensor;
  /** `np.logsumexp(this, opts)`. */
  logsumexp(...args: Positional<"logsumexp", ReduceOptions>): Tensor;
  /** `np.sort(this, opts)`: a sorted copy (JAX's `Array.sort`; default the last axis, null flattens). */
  sort(...args: Positional<"sort", srt.SortOptions>): Tensor;
  /** `np.argsort(this, opts)`: the stable int32 sorting positions. */
  argsort(...args: Positional<"argsort", srt.SortOptions>): Tensor;

  // ------------------------------------------------------------------ complex parts (JAX's Array.real/imag/conj on a real array)
  /** `np.real(this)`: the array itself (kiln has no complex dtype). */
  readonly real: Tensor;
  /** `np.imag(this)`: zeros of this shape and dtype. */
  readonly imag: Tensor;
  /** `np.conj(this)`: the array itself. */
  conj(): Tensor;
  /** `np.conjugate(this)`: the array itself. */
  conjugate(): Tensor;

  // ------------------------------------------------------------------ shape
  /** `np.reshape(this, shape)`; one `-1` is inferred. */
  reshape(shape: readonly number[]): Tensor;
  /** `np.transpose(this, axes)`: reverses the axes when none are given. */
  transpose(axes?: readonly number[]): Tensor;
  /** `np.transpose(this)`. */
  readonly T: Tensor;
  /** `np.reshape(this, [-1])`. */
  flatten(): Tensor;
  /** `np.reshape(this, [-1])`. */
  ravel(): Tensor;
  /** `np.squeeze(this, axis)`: every size-1 axis when none is given. */
  squeeze(axis?: number | readonly number[]): Tensor;
  /** `np.expandDims(this, axis)`. */
  expandDims(axis: number | readonly number[]): Tensor;
  /** `np.broadcastTo(this, shape)`. */
  broadcastTo(shape: readonly number[]): Tensor;
  /** `np.swapaxes(this, a, b)`. */
  swapaxes(a: number, b: number): Tensor;
  /** `np.flip(this, axis)`: every axis when none is given. */
  flip(axis?: number | readonly number[]): Tensor;
  /** `np.diagonal(this, opts)`. */
  diagonal(...args: Positional<"diagonal", mat.DiagonalOptions>): Tensor;
  /** The slices along the first axis, so `const [a, b] = x` works; a 0-d tensor throws a TypeError (KilnTypeError). */
  [Symbol.iterator](): IterableIterator<Tensor>;

  // ------------------------------------------------------------------ indexing
  /** NumPy basic indexing: integers, `slice(...)`, `newaxis`, `"..."`. `x.get(0)`, `x.get(slice(), slice(0, 1))`. */
  get(...index: idx.Index[]): Tensor;
  /** Functional scatter, as JAX's `.at[]`: `x.at(0).set(5)`, `x.at(slice(1)).add(1)`. */
  at(...index: idx.Index[]): idx.AtUpdater;
  /** `np.take(this, indices, opts)`. */
  take(indices: ArrayLike, ...args: Positional<"take", idx.TakeOptions>): Tensor;

  // ------------------------------------------------------------------ linear algebra
  /** `np.matmul(this, y)`. */
  matmul(y: ArrayLike): Tensor;
  /** `np.dot(this, y)`. */
  dot(y: ArrayLike): Tensor;
}

declare module "../tensor.js" {
  // Interface merging: the class gains TensorMethods' members, with their TSDoc.
  interface Tensor extends TensorMethods {}
}

// Typed as TensorMethods: a declared method without an implementation is a compile error.
const methods: TensorMethods & ThisType<Tensor> = {
  add(y) { return ew.add(this, y); },
  sub(y) { return ew.subtract(this, y); },
  mul(y) { return ew.multiply(this, y); },
  div(y) { return ew.divide(this, y); },
  mod(y) { return ew.remainder(this, y); },
  pow(y) { return ew.power(this, y); },
  neg() { return ew.negative(this); },
  abs() { return ew.abs(this); },
  sign() { return ew.sign(this); },
  exp() { return ew.exp(this); },
  log() { return ew.log(this); },
  sqrt() { return ew.sqrt(this); },
  rsqrt() { return ew.rsqrt(this); },
  square() { return ew.square(this); },
  reciprocal() { return ew.reciprocal(this); },
  sin() { return ew.sin(this); },
  cos() { return ew.cos(this); },
  tan() { return ew.tan(this); },
  tanh() { return ew.tanh(this); },
  sigmoid() { return ew.sigmoid(this); },
  relu() { return ew.relu(this); },
  floor() { return ew.floor(this); },
  ceil() { return ew.ceil(this); },
  round() { return ew.round(this); },
  clip(lo, hi) { return ew.clip(this, lo, hi); },
  maximum(y) { return ew.maximum(this, y); },
  minimum(y) { return ew.minimum(this, y); },
  eq(y) { return ew.equal(this, y); },
  ne(y) { return ew.notEqual(this, y); },
  lt(y) { return ew.less(this, y); },
  le(y) { return ew.lessEqual(this, y); },
  gt(y) { return ew.greater(this, y); },
  ge(y) { return ew.greaterEqual(this, y); },
  equal(y) { return ew.equal(this, y); },
  notEqual(y) { return ew.notEqual(this, y); },
  less(y) { return ew.less(this, y); },
  lessEqual(y) { return ew.lessEqual(this, y); },
  greater(y) { return ew.greater(this, y); },
  greaterEqual(y) { return ew.greaterEqual(this, y); },
  astype(dtype) { return ew.astype(this, dtype); },
  view(dtype) { return bitcastConvertType(this, dtype); },

  sum(...args) { return red.sum(this, ...args); },
  mean(...args) { return red.mean(this, ...args); },
  prod(...args) { return red.prod(this, ...args); },
  max(...args) { return red.max(this, ...args); },
  min(...args) { return red.min(this, ...args); },
  argmax(...args) { return red.argmax(this, ...args); },
  argmin(...args) { return red.argmin(this, ...args); },
  var(...args) { return red.var_(this, ...args); },
  std(...args) { return red.std(this, ...args); },
  all(...args) { return red.all(this, ...args); },
  any(...args) { return red.any(this, ...args); },
  cumsum(...args) { return red.cumsum(this, ...args); },
  logsumexp(...args) { return red.logsumexp(this, ...args); },
  sort(...args) { return srt.sort(this, ...args); },
  argsort(...args) { return srt.argsort(this, ...args); },

  get real() { return cplx.real(this); },
  get imag() { return cplx.imag(this); },
  conj() { return cplx.conj(this); },
  conjugate() { return cplx.conjugate(this); },

  reshape(shape) { return shp.reshape(this, shape); },
  transpose(axes) { return shp.transpose(this, axes); },
  get T() { return shp.transpose(this); },
  flatten() { return shp.reshape(this, [-1]); },
  ravel() { return shp.reshape(this, [-1]); },
  squeeze(axis) { return shp.squeeze(this, axis); },
  expandDims(axis) { return shp.expandDims(this, axis); },
  broadcastTo(shape) { return shp.broadcastTo(this, shape); },
  swapaxes(a, b) { return shp.swapaxes(this, a, b); },
  flip(axis) { return shp.flip(this, axis); },
  diagonal(...args) { return mat.diagonal(this, ...args); },
  [Symbol.iterator]() { return iterateFirstAxis(this); },

  get(...index) { return idx.get(this, ...index); },
  at(...index) { return idx.at(this, ...index); },
  take(indices, ...args) { return idx.take(this, indices, ...args); },

  matmul(y) { return lin.matmul(this, y); },
  dot(y) { return lin.dot(this, y); },
};

// Installed as class members are: non-enumerable, so `for…in` and spreads of a Tensor see none of them.
for (const key of Reflect.ownKeys(methods)) {
  const desc = Object.getOwnPropertyDescriptor(methods, key)!;
  Object.defineProperty(Tensor.prototype, key, { ...desc, enumerable: false });
}
