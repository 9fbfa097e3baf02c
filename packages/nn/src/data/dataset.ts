/**
 * `Dataset`: examples held as aligned arrays, shuffled with a PRNG key and cut into batches of
 * Tensors. Nothing here knows about models or training loops (no framework lock-in): a batch is a
 * plain `{ name: Tensor }` record that any step function takes.
 */
import { type ArrayLike, type DType, ShapeError, Tensor, ValueError, describeValue, jsonOf, np, npUtil, prng } from "@kiln/core";
import { Batches } from "./batches.js";
import { DatasetSource, epochOrderSync } from "./columns.js";

/** One field of a dataset: a Tensor, anything `np.array` takes, or flat data with its shape. */
export type ArraySource = ArrayLike | { readonly data: ArrayLike; readonly shape: readonly number[]; readonly dtype?: DType };

/** Options of `Dataset.batch`. */
export interface BatchOptions {
  /** Drop a last batch smaller than the batch size (every batch then has one shape: one jit trace). Default false. */
  dropRemainder?: boolean;
}

const isFlatWithShape = (v: unknown): v is { data: ArrayLike; shape: readonly number[]; dtype?: DType } =>
  v !== null && typeof v === "object" && !(v instanceof Tensor) && !Array.isArray(v) && !ArrayBuffer.isView(v) && "data" in v && "shape" in v;

/** A field as a Tensor, through `np.array` (its conversions and checks), with the field named in errors. */
function fieldTensor(name: string, src: unknown): Tensor {
  const op = "Dataset.fromArrays";
  let t: Tensor;
  try {
    t = isFlatWithShape(src) ? np.array(src.data, { shape: src.shape, ...(src.dtype ? { dtype: src.dtype } : {}) }) : np.array(src as ArrayLike);
  } catch (e) {
    if (e instanceof Error) e.message = `${op}: field ${jsonOf(name)}: ${e.message}`;
    throw e;
  }
  if (t.ndim === 0) throw new ShapeError(`${op}: field ${jsonOf(name)} is a scalar; every field needs a leading example axis`);
  return t;
}

/**
 * Examples as aligned arrays (every field has the same length along its leading axis), optionally
 * shuffled with a PRNG key, cut into batches by `batch`. Immutable: `shuffle` and `batch` return
 * new objects sharing the data, which is copied to host arrays once, on the first iteration.
 * @example
 * const ds = data.Dataset.fromArrays({ x: { data: pixels, shape: [n, 28, 28, 1] }, y: labels });
 * for (const { x, y } of ds.shuffle(0).batch(64, { dropRemainder: true })) step(x, y); // one epoch
 */
export class Dataset<K extends string = string> {
  readonly #source: DatasetSource<K>;
  readonly #key: Tensor | undefined;

  private constructor(source: DatasetSource<K>, key: Tensor | undefined) {
    this.#source = source;
    this.#key = key;
  }

  /**
   * A dataset from aligned arrays: each field is a Tensor, anything `np.array` takes (typed arrays,
   * nested arrays) or `{ data, shape, dtype? }` for flat data. The leading axis is the example axis.
   * Throws `ShapeError` when the fields disagree on the number of examples.
   * @example data.Dataset.fromArrays({ x: np.zeros([100, 3]), y: new Int32Array(100) }).length // 100
   */
  static fromArrays<R extends Readonly<Record<string, ArraySource>>>(arrays: R): Dataset<keyof R & string> {
    const op = "Dataset.fromArrays";
    if (arrays === null || typeof arrays !== "object" || Array.isArray(arrays) || ArrayBuffer.isView(arrays)) {
      throw new ValueError(`${op}: expected a record of arrays { name: array }, got ${describeValue(arrays)}`);
    }
    const fields = Object.keys(arrays).map((name) => [name as keyof R & string, fieldTensor(name, arrays[name])] as const);
    if (!fields.length) throw new ValueError(`${op}: the record has no arrays`);
    const [first, t0] = fields[0]!;
    const n = t0.shape[0]!;
    for (const [name, t] of fields) {
      if (t.shape[0] !== n) throw new ShapeError(`${op}: field ${jsonOf(name)} has ${t.shape[0]} examples but ${jsonOf(first)} has ${n}`);
    }
    return new Dataset(new DatasetSource(fields, n), undefined);
  }

  /** The number of examples. */
  get length(): number {
    return this.#source.length;
  }

  /**
   * The same examples in a new random order every epoch: epoch `e` visits them in the order
   * `prng.permutation(key ^ [0, e], length)` (epoch 0: `prng.permutation(key, length)`), so one key reproduces every epoch.
   * `keyOrSeed`: a PRNG key (`prng.key(seed)`) or an integer seed.
   * @example ds.shuffle(prng.key(42)).batch(32)
   */
  shuffle(keyOrSeed: Tensor | number): Dataset<K> {
    const key = typeof keyOrSeed === "number" ? prng.key(keyOrSeed) : keyOrSeed;
    prng.split(key, 1); // validates the key now (a typed error), not at the first epoch
    return new Dataset(this.#source, key);
  }

  /**
   * Batches of `size` examples, iterated once per epoch: `for...of`, or `for await...of`, which
   * prepares each next batch while the consumer awaits. The last batch is smaller when `size` does
   * not divide the length, unless `dropRemainder`.
   * @example for (const { x, y } of ds.batch(64, { dropRemainder: true })) step(x, y);
   */
  batch(size: number, opts: BatchOptions = {}, ...extra: undefined[]): Batches<K> {
    const op = "Dataset.batch";
    if (!Number.isSafeInteger(size) || size < 1) throw new ValueError(`${op}: the batch size must be a positive integer, got ${describeValue(size)}`);
    opts = npUtil.optionsOf(op, opts, op, extra);
    const drop = opts.dropRemainder ?? false;
    if (typeof drop !== "boolean") throw new ValueError(`${op}: dropRemainder must be a boolean, got ${describeValue(drop)}`);
    return new Batches(this.#source, this.#key, size, drop);
  }

  /**
   * The example indices in the order epoch `e` visits them (`0..length-1` without `shuffle`);
   * synchronous, so cpu only for a shuffled dataset (read `await` style through `for await`).
   * @example ds.shuffle(0).order(0) // Int32Array [3, 0, 4, 1, 2] for 5 examples
   */
  order(epoch: number): Int32Array {
    return epochOrderSync(this.#key, this.length, epoch);
  }
}
