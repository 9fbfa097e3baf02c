/**
 * NumPy basic indexing (`x.get(...)`), `take`, `takeAlongAxis` and JAX's functional scatter
 * (`x.at(...).set(v)` / `.add(v)`).
 *
 * Basic components (integers, slices, `newaxis`, `"..."`) become one `slice` (positive steps),
 * one `flip` (for negative steps) and one `reshape`, all checked and clamped at build time. One
 * integer-array component becomes a `gather`; several (broadcast together, as NumPy) become one
 * `gather` of their flattened position on those axes, moved to the front and merged. Index values inside a Tensor are unknown until the
 * graph runs, so, as in JAX, negative ones are wrapped (`where(i < 0, i + n, i)`) and out-of-range
 * ones are clamped to the axis when reading and dropped when updating.
 */
import { DTypeError, IndexError, ShapeError, ValueError } from "../errors.js";
import { makeNode } from "../ir/node.js";
import { type Shape, broadcastShapes, fmtShape, normAxis, sizeOf, stridesOf } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { add, clip, less, minimum, multiply, where } from "./elementwise.js";
import { transpose } from "./shape.js";
import { apply, asTensor, astypeRaw, broadcastRaw, checkNesting, reshapeRaw, optionsOf } from "./util.js";
import { type Positional, positionalOptions } from "./positional.js";

/** A slice object: `slice(start?, stop?, step?)`; null means "default", as Python's None. */
export interface Slice {
  readonly kind: "slice";
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
}
/** Inserts a new axis of size 1, as `np.newaxis`. @example x.get(newaxis).shape // [1, ...x.shape] */
export const newaxis: unique symbol = Symbol("newaxis");
/** One index component: an integer, a slice, `newaxis`, `"..."` (ellipsis), or an integer array/Tensor (advanced; several broadcast together). */
export type Index = number | Slice | typeof newaxis | "..." | Tensor | readonly number[];

/**
 * Python's `slice(start, stop, step)`; `slice()` is `:`. Bounds clamp like Python's; a negative
 * step walks backwards (`slice(null, null, -1)` reverses).
 * @example x.get(slice(1, null, 2)) // x[1::2]
 */
export function slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return { kind: "slice", start, stop, step };
}

export interface AtUpdater {
  set(v: ArrayLike): Tensor;
  add(v: ArrayLike): Tensor;
  get(): Tensor;
}

/** Per input axis: where the `slice` primitive starts, its step and length, and whether to flip. */
interface AxisRange {
  start: number;
  step: number;
  length: number;
  flip: boolean;
}

/** Python's `slice.indices(n)` plus the length; a negative step becomes a positive one and a flip. */
function sliceRange(op: string, s: Slice, n: number): AxisRange {
  for (const v of [s.start, s.stop, s.step]) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) throw new IndexError(`${op}: slice bounds and step must be integers or null, got ${v}`);
  }
  const step = s.step ?? 1;
  if (step === 0) throw new ValueError(`${op}: slice step cannot be zero`);
  const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number) =>
    v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  if (step > 0) {
    const start = norm(s.start, 0, 0, n);
    const length = Math.max(0, Math.ceil((norm(s.stop, n, 0, n) - start) / step));
    return { start: length ? start : 0, step, length, flip: false };
  }
  // Negative step: -1 here means "before element 0", which no explicit index can say.
  const start = norm(s.start, n - 1, -1, n - 1);
  const length = Math.max(0, Math.ceil((start - norm(s.stop, -1, -1, n - 1)) / -step));
  if (!length) return { start: 0, step: 1, length: 0, flip: false };
  // The same elements, read forward from the last one reached, then flipped.
  return { start: start + (length - 1) * step, step: -step, length, flip: length > 1 };
}

function checkIntIndex(op: string, i: number, axis: number, n: number): number {
  if (!Number.isInteger(i)) throw new IndexError(`${op}: index ${i} is not an integer`);
  if (i < -n || i >= n) throw new IndexError(`${op}: index ${i} is out of bounds for axis ${axis} with size ${n}`);
  return i < 0 ? i + n : i;
}

/** An int32 index Tensor along an axis of size `n`: JS values are checked now, Tensor values wrapped. */
function indexTensor(op: string, v: ArrayLike, axis: number, n: number): Tensor {
  if (typeof v === "boolean") throw new DTypeError(`${op}: a boolean is not a valid index`);
  if (typeof v === "number") return asTensor(checkIntIndex(op, v, axis, n), op, "int32");
  checkNesting(op, v);
  if (Array.isArray(v) && !holdsTensor(v)) {
    const check = (e: unknown): unknown => {
      if (Array.isArray(e)) return e.map(check);
      if (typeof e !== "number") throw new DTypeError(`${op}: index arrays must hold integers, got ${typeof e}`);
      return checkIntIndex(op, e, axis, n);
    };
    return asTensor(check(v) as ArrayLike, op, "int32");
  }
  const t = asTensor(v, op);
  if (t.dtype === "bool") throw new DTypeError(`${op}: boolean mask indices give data-dependent shapes and are not supported; use where(mask, x, y)`);
  // Unsigned indices are never negative; uint32 ones past int32 are out of bounds anyway (clamped
  // like any out-of-bounds index), so saturating them keeps the int32 gather index.
  if (t.dtype === "uint8") return astypeRaw(t, "int32");
  if (t.dtype === "uint32") return astypeRaw(minimum(t, 2 ** 31 - 1), "int32");
  if (t.dtype !== "int32") throw new DTypeError(`${op}: index Tensors must be integers, got ${t.dtype}; cast with astype("int32")`);
  return where(less(t, 0), add(t, n), t);
}

/** Whether index values are only known when the graph runs (a Tensor, or arrays holding Tensors). */
function holdsTensor(v: unknown): boolean {
  return v instanceof Tensor || (Array.isArray(v) && v.flat(Infinity).some((e) => e instanceof Tensor));
}

/** `out[..., i, ...] = i` along `axis` (int32). */
function iota(shape: Shape, axis: number): Tensor {
  return new Tensor(makeNode("iota", [], { axis }, { shape: [...shape], dtype: "int32" }));
}

const isAdvanced = (c: unknown): boolean => c instanceof Tensor || Array.isArray(c);

/** What an index does to each axis, found before any node is built. */
interface IndexPlan {
  /** Per input axis: the positive-step slice (and flip) it reads. */
  ranges: AxisRange[];
  /** The shape after the basic components (the array's axis still whole). */
  shape: number[];
  /** The integer-array components, each with its input axis and its position in `shape`. */
  arrays: { value: ArrayLike; axis: number; pos: number }[];
  /** Whether the arrays' dims go first (NumPy, when a non-advanced component separates advanced ones). */
  arrayFirst: boolean;
}

function planIndex(op: string, shape: Shape, index: readonly Index[]): IndexPlan {
  if (index.filter((c) => c === "...").length > 1) throw new IndexError(`${op}: an index can only have a single ellipsis ("...")`);
  const arrays = index.filter(isAdvanced).length;
  const consumed = index.filter((c) => c !== newaxis && c !== "...").length;
  if (consumed > shape.length) throw new IndexError(`${op}: too many indices for an array of shape ${fmtShape(shape)}: ${consumed} were given`);
  const fill = Array<Index>(shape.length - consumed).fill(slice());
  const dots = index.indexOf("...");
  const comps = dots < 0 ? [...index, ...fill] : [...index.slice(0, dots), ...fill, ...index.slice(dots + 1)];

  const plan: IndexPlan = { ranges: [], shape: [], arrays: [], arrayFirst: false };
  for (const c of comps) {
    const axis = plan.ranges.length;
    const n = shape[axis]!;
    if (c === newaxis) plan.shape.push(1);
    else if (typeof c === "number") plan.ranges.push({ start: checkIntIndex(op, c, axis, n), step: 1, length: 1, flip: false });
    else if (isAdvanced(c)) {
      plan.arrays.push({ value: c as ArrayLike, axis, pos: plan.shape.length });
      plan.ranges.push({ start: 0, step: 1, length: n, flip: false });
      plan.shape.push(n);
    } else if (typeof c === "object" && c !== null && (c as Slice).kind === "slice") {
      const r = sliceRange(op, c as Slice, n);
      plan.ranges.push(r);
      plan.shape.push(r.length);
    } else {
      throw new IndexError(`${op}: only integers, slice(), newaxis, "..." and integer arrays/Tensors are valid indices, got ${String(c)}`);
    }
  }
  // With an array present, integers are advanced indices too; positions are those of the index
  // as written, so even an ellipsis standing for no axes separates them (as NumPy).
  const adv = index.flatMap((c, i) => (typeof c === "number" || isAdvanced(c) ? [i] : []));
  plan.arrayFirst = arrays > 0 && adv[adv.length - 1]! - adv[0]! !== adv.length - 1;
  return plan;
}

/**
 * Indexes `t`. `outOfRange` says what a Tensor index outside its axis reads: "clamp" (JAX's
 * `x[i]`) or a fill value (used by `at` to mark updates that must be dropped).
 */
function indexRaw(op: string, t: Tensor, index: readonly Index[], outOfRange: "clamp" | number): Tensor {
  const { ranges, shape, arrays, arrayFirst } = planIndex(op, t.shape, index);
  let out = t;
  if (ranges.some((r, i) => r.start !== 0 || r.step !== 1 || r.length !== t.shape[i])) {
    const params = {
      start: ranges.map((r) => r.start),
      stop: ranges.map((r) => r.start + Math.max(0, r.length - 1) * r.step + Math.min(r.length, 1)),
      step: ranges.map((r) => r.step),
    };
    out = apply("slice", [out], params, t.weak);
  }
  const flips = ranges.flatMap((r, i) => (r.flip ? [i] : []));
  if (flips.length) out = apply("flip", [out], { axes: flips }, t.weak);
  out = reshapeRaw(out, shape);
  if (arrays.length === 0) return out;

  let idxs = arrays.map(({ value, axis }) => {
    const n = t.shape[axis]!;
    const idx = indexTensor(op, value, axis, n);
    if (n === 0 && idx.size > 0) throw new IndexError(`${op}: cannot take a non-empty selection from axis ${axis}, which has size 0`);
    return idx;
  });
  const positions = arrays.map((a) => a.pos);
  if (outOfRange !== "clamp") {
    // One fill element on each side of each indexed axis; shifted indices that clamp onto it read the fill.
    const lo = shape.map((_, i) => (positions.includes(i) ? 1 : 0));
    out = apply("pad", [out], { lo, hi: lo, value: outOfRange }, t.weak);
    idxs = idxs.map((i) => add(i, 1));
  }
  if (idxs.length > 1) {
    // Several arrays: the indexed axes go first and merge into one, indexed by the row-major
    // position sum(i_k * stride_k). Each index is clamped to its own axis first (JAX's clamp, or
    // onto the fill), so a merged position never reaches into a neighbouring row.
    const bshape = broadcastShapes(op, ...idxs.map((i) => i.shape));
    const dims = positions.map((p) => out.shape[p]!);
    const strides = stridesOf(dims);
    const idx = idxs
      .map((i, k) => multiply(clip(broadcastRaw(i, bshape), 0, Math.max(dims[k]! - 1, 0)), strides[k]!))
      .reduce((a, b) => add(a, b));
    const rest = out.shape.map((_, i) => i).filter((i) => !positions.includes(i));
    const moved = transpose(out, [...positions, ...rest]);
    const merged = reshapeRaw(moved, [sizeOf(dims), ...moved.shape.slice(positions.length)]);
    const gathered = apply("gather", [merged, idx], { axis: 0 }, t.weak);
    // Adjacent arrays keep their place (that of the first); separated ones go first (arrayFirst).
    if (arrayFirst) return gathered;
    const before = rest.filter((i) => i < positions[0]!).length;
    const k = idx.ndim;
    const axes = gathered.shape.map((_, i) => i);
    return before === 0 ? gathered : transpose(gathered, [...axes.slice(k, k + before), ...axes.slice(0, k), ...axes.slice(k + before)]);
  }
  const [idx, pos] = [idxs[0]!, positions[0]!];
  out = apply("gather", [out, idx], { axis: pos }, t.weak);
  if (!arrayFirst || pos === 0) return out;
  const axes = out.shape.map((_, i) => i);
  const k = idx.ndim;
  return transpose(out, [...axes.slice(pos, pos + k), ...axes.slice(0, pos), ...axes.slice(pos + k)]);
}

/**
 * NumPy indexing: integers (negative count from the end), `slice(start, stop, step)`, `newaxis`,
 * `"..."`, and integer arrays or int32 Tensors (advanced indexing; nested JS arrays work too). One
 * array puts its shape in place of its axis; several are broadcast together and pick elements
 * pointwise (`x.get(rows, cols)` is NumPy's `x[rows, cols]`), their broadcast shape in place of
 * their axes when adjacent, first otherwise (NumPy's rule).
 * Integers and JS-array values are bounds-checked now (IndexError); Tensor values are wrapped
 * when negative and clamped to the axis when out of range, as JAX does.
 * @example np.get(np.array([[1, 2, 3], [4, 5, 6]]), -1, slice(null, null, -1)) // [6, 5, 4]
 */
export function get(x: ArrayLike, ...index: Index[]): Tensor {
  return indexRaw("get", asTensor(x, "get"), index, "clamp");
}

/**
 * JAX's functional `.at[]`: a copy of `x` with the indexed elements set (`set`) or incremented
 * (`add`; repeated indices accumulate). Any index `get` accepts works; `v` broadcasts to the
 * indexed shape and is cast to `x`'s dtype. Out-of-range Tensor indices are dropped by updates
 * and clamped by `get()`.
 * @example np.at(np.zeros([3]), slice(1)).set(7) // [0, 7, 7]
 */
export function at(x: ArrayLike, ...index: Index[]): AtUpdater {
  const t = asTensor(x, "at");
  // The flat position of every selected element, found by indexing the positions themselves;
  // -1 (dropped by scatter) where a Tensor index is out of range.
  const positions = indexRaw("at", reshapeRaw(iota([t.size], 0), t.shape), index, -1);
  const update = (prim: "scatter" | "scatterAdd", op: string, v: ArrayLike): Tensor => {
    if (prim === "scatterAdd" && t.dtype === "bool") throw new DTypeError(`${op}: not defined for bool arrays; cast with astype first`);
    const u = fitUpdate(op, astypeRaw(asTensor(v, op), t.dtype), positions.shape);
    return reshapeRaw(apply(prim, [reshapeRaw(t, [t.size]), positions, u], { axis: 0 }, t.weak), t.shape);
  };
  return {
    set: (v) => update("scatter", "at.set", v),
    add: (v) => update("scatterAdd", "at.add", v),
    get: () => indexRaw("at", t, index, "clamp"),
  };
}

/** Broadcasts updates to the indexed shape; extra leading size-1 axes are allowed, as NumPy. */
function fitUpdate(op: string, u: Tensor, shape: Shape): Tensor {
  const extra = u.ndim - shape.length;
  const s = u.shape;
  const fits = s.every((d, i) => (i < extra ? d === 1 : d === 1 || d === shape[i - extra]));
  if (!fits) throw new ShapeError(`${op}: cannot broadcast updates of shape ${fmtShape(s)} to the indexed shape ${fmtShape(shape)}`);
  return broadcastRaw(reshapeRaw(u, s.slice(Math.max(extra, 0))), shape);
}

/** Options of {@link take}. */
export interface TakeOptions {
  /** The axis to take along; absent or null: the flattened array. */
  axis?: number | null;
}

/**
 * `np.take`: elements at `indices` along `axis` (absent: of the flattened array). The result
 * has `indices`' shape in place of that axis. Tensor indices are wrapped/clamped as in `get`.
 * @example np.take(np.array([[1, 2], [3, 4]]), [1, 0, 1], { axis: 1 }) // [[2, 1, 2], [4, 3, 4]]
 * @example np.take(np.array([[1, 2], [3, 4]]), [1, 0, 1], 1) // NumPy's positional axis: the same
 */
export function take(x: ArrayLike, indices: ArrayLike, ...args: Positional<"take", TakeOptions>): Tensor {
  const opts = positionalOptions<TakeOptions>("take", args);
  let t = asTensor(x, "take");
  if (opts.axis === undefined || opts.axis === null) t = reshapeRaw(t, [t.size]);
  const axis = normAxis("take", opts.axis ?? 0, t.ndim);
  if (typeof indices === "boolean") throw new DTypeError(`take: a boolean is not a valid index`);
  return indexRaw("take", t, [...Array<Index>(axis).fill(slice()), indices as Index], "clamp");
}

/**
 * `np.take_along_axis`: `out[..., j, ...] = x[..., indices[..., j, ...], ...]` along `axis`
 * (the last by default, as NumPy ≥ 2.3; `null` takes from the flattened array with 1-D indices);
 * `indices` has `x`'s rank and broadcasts with it on the other axes. Tensor indices are
 * wrapped when negative and clamped to the axis.
 * @example np.takeAlongAxis(np.array([[10, 30, 20]]), [[0, 2, 1]], 1) // [[10, 20, 30]]
 */
export function takeAlongAxis(x: ArrayLike, indices: ArrayLike, axis: number | null = -1): Tensor {
  const op = "takeAlongAxis";
  let t = asTensor(x, op);
  if (axis === null) {
    t = reshapeRaw(t, [t.size]);
    axis = 0;
  }
  const ax = normAxis(op, axis, t.ndim);
  const n = t.shape[ax]!;
  let idx = indexTensor(op, indices, ax, n);
  if (idx.ndim !== t.ndim) throw new ShapeError(`${op}: indices of shape ${fmtShape(idx.shape)} must have the rank of the array, shape ${fmtShape(t.shape)}`);
  const offAxis = (s: Shape) => s.filter((_, i) => i !== ax);
  const shape = broadcastShapes(op, offAxis(t.shape), offAxis(idx.shape));
  shape.splice(ax, 0, idx.shape[ax]!);
  if (n === 0 && sizeOf(shape) > 0) throw new IndexError(`${op}: cannot take a non-empty selection from axis ${ax}, which has size 0`);
  // Clamp per axis here (JS values were checked already): clamping the flat position below
  // would wrap into a neighbouring row instead.
  if (holdsTensor(indices)) idx = clip(idx, 0, Math.max(n - 1, 0));
  // One gather from the flattened array at sum_d coord_d * stride_d (no term where x broadcasts).
  const strides = stridesOf(t.shape);
  const term = (c: Tensor, stride: number) => (stride === 1 ? c : multiply(c, stride));
  let flat = term(broadcastRaw(idx, shape), strides[ax]!);
  t.shape.forEach((d, i) => {
    if (i !== ax && d !== 1) flat = add(flat, term(iota(shape, i), strides[i]!));
  });
  return apply("gather", [reshapeRaw(t, [t.size]), flat], { axis: 0 }, t.weak);
}
