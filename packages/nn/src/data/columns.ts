/**
 * The host side of a dataset: its fields as contiguous host arrays (read once from their Tensors),
 * the example order of an epoch, and the row gather that turns `order[begin..end)` into a batch.
 *
 * Why gather on the host: a batch is a copy of `size` contiguous rows per field, a few microseconds
 * of `TypedArray.set`; a device gather (`np.take` on the dataset Tensor) costs a kernel dispatch
 * per batch, 3–15 ms on the cpu backend here (docs/data.md), which is what a fast step would wait on.
 */
import { BackendUnavailableError, type DType, type Tensor, type TypedArray, ValueError, activeExecutor, describeValue, np, prng } from "@kiln/core";

const INT32_MAX = 2 ** 31 - 1;

/** A batch: one Tensor per field, each with the batch as its leading axis. */
export type Batch<K extends string> = { readonly [P in K]: Tensor };

/** A field on the host: its rows, contiguous, in the dtype's storage array. */
interface Column {
  readonly dtype: DType;
  readonly rowShape: readonly number[];
  readonly rowSize: number;
  readonly data: TypedArray;
}

/**
 * A dataset's fields and their host copies, shared by every `shuffle`/`batch` view of it and read
 * on first use: synchronously (`dataSync`, cpu) or asynchronously (`await data()`, any backend).
 */
export class DatasetSource<K extends string> {
  #columns: Map<K, Column> | undefined;
  constructor(
    readonly fields: readonly (readonly [K, Tensor])[],
    readonly length: number,
  ) {}

  columns(): Map<K, Column> {
    return (this.#columns ??= new Map(this.fields.map(([k, t]) => [k, columnOf(t, t.dataSync())])));
  }

  async columnsAsync(): Promise<Map<K, Column>> {
    if (this.#columns) return this.#columns;
    const cols = await Promise.all(this.fields.map(async ([k, t]) => [k, columnOf(t, await t.data())] as const));
    return (this.#columns ??= new Map(cols));
  }
}

function columnOf(t: Tensor, data: TypedArray): Column {
  const rowShape = t.shape.slice(1);
  return { dtype: t.dtype, rowShape, rowSize: rowShape.reduce((a, d) => a * d, 1), data };
}

/**
 * The order in which an epoch visits the examples: `prng.permutation(key ^ [0, epoch], n)` (epoch 0
 * is `prng.permutation(key, n)`), or `0..n-1` without a key. Folding the epoch into the key's words
 * keeps one graph shape for every epoch, so the permutation's kernels compile once (deriving it with
 * `prng.split(key, epoch + 1)` changed the shape each epoch: a fresh compile, ~150 ms on cpu, per epoch).
 * The permutation is a Tensor, read synchronously (cpu) by `epochOrderSync` or on any backend by
 * `epochOrderAsync`.
 */
function epochOrder(key: Tensor | undefined, n: number, epoch: number): Tensor | Int32Array {
  checkEpoch(epoch, "Dataset");
  if (!key) return Int32Array.from({ length: n }, (_, i) => i);
  return prng.permutation(np.bitwiseXor(key, np.array([0, epoch], { dtype: "int32" })), n);
}

/** An epoch number is folded into an int32 key word: an integer in [0, 2^31). */
export function checkEpoch(epoch: number, op: string): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > INT32_MAX) {
    throw new ValueError(`${op}: the epoch must be an integer in [0, 2^31), got ${describeValue(epoch)}`);
  }
}

export function epochOrderSync(key: Tensor | undefined, n: number, epoch: number): Int32Array {
  const order = epochOrder(key, n, epoch);
  if (order instanceof Int32Array) return order;
  try {
    return order.dataSync() as Int32Array;
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    throw new BackendUnavailableError(
      `Dataset: a shuffled epoch's order is computed on the ${activeExecutor().name} backend, which cannot be read synchronously; ` +
        "iterate with for await (const batch of batches) instead of for...of",
    );
  }
}

export async function epochOrderAsync(key: Tensor | undefined, n: number, epoch: number): Promise<Int32Array> {
  const order = epochOrder(key, n, epoch);
  return order instanceof Int32Array ? order : ((await order.data()) as Int32Array);
}

/** The rows `order[begin..end)` of every column as a batch of new Tensors. */
export function gatherBatch<K extends string>(columns: Map<K, Column>, order: Int32Array, begin: number, end: number): Batch<K> {
  const out = {} as Record<K, Tensor>;
  for (const [name, c] of columns) {
    const rows = new (c.data.constructor as new (n: number) => TypedArray)((end - begin) * c.rowSize);
    for (let i = begin; i < end; i++) {
      const r = order[i]!;
      rows.set(c.data.subarray(r * c.rowSize, (r + 1) * c.rowSize), (i - begin) * c.rowSize);
    }
    out[name] = np.array(rows, { dtype: c.dtype, shape: [end - begin, ...c.rowShape] });
  }
  return out;
}
