/**
 * `Batches`: a dataset cut into batches, iterated once per epoch. `for...of` builds each batch when
 * it is asked for; `for await...of` also builds the next batch in a macrotask right after yielding
 * the current one, so the gather runs while the consumer awaits (a webgpu readback, a progress
 * bar's write, file I/O) instead of after. A consumer that never yields to the event loop (a
 * synchronous cpu step) gets the batch built on demand: prefetch never waits and never adds latency.
 */
import { type Tensor } from "@kiln/core";
import { type Batch, type DatasetSource, checkEpoch, epochOrderAsync, epochOrderSync, gatherBatch } from "./columns.js";

/** Node's `setImmediate`, typed here: @kiln/nn is built without Node's types (it runs in browsers). */
const node = globalThis as { setImmediate?: (f: () => void) => unknown; clearImmediate?: (handle: unknown) => void };

/** Runs `f` after the current task (`setImmediate` in Node: no 1 ms timer clamp), cancellable. */
const schedule: (f: () => void) => () => void = node.setImmediate && node.clearImmediate
  ? (f) => { const h = node.setImmediate!(f); return () => node.clearImmediate!(h); }
  : (f) => { const h = setTimeout(f, 0); return () => clearTimeout(h); };

/** One epoch's batches, iterable synchronously or asynchronously (with prefetch). */
export interface EpochBatches<K extends string> extends Iterable<Batch<K>>, AsyncIterable<Batch<K>> {}

/**
 * A dataset's batches (made by `Dataset.batch`). Each iteration is one epoch: the first `for...of`
 * (or `for await...of`) is epoch 0, the next epoch 1, and so on; `epoch(e)` iterates a given epoch.
 * With `shuffle`, an epoch's order depends only on the key and the epoch number.
 * @example
 * const batches = ds.shuffle(0).batch(64);
 * for (let e = 0; e < 3; e++) for await (const { x, y } of batches) await trainStep(x, y);
 */
export class Batches<K extends string = string> implements EpochBatches<K> {
  readonly #source: DatasetSource<K>;
  readonly #key: Tensor | undefined;
  #nextEpoch = 0;
  #prefetched = 0;
  /** Examples per batch. */
  readonly size: number;
  /** Whether a last, smaller batch is dropped. */
  readonly dropRemainder: boolean;

  /** @internal Made by `Dataset.batch`. */
  constructor(source: DatasetSource<K>, key: Tensor | undefined, size: number, dropRemainder: boolean) {
    this.#source = source;
    this.#key = key;
    this.size = size;
    this.dropRemainder = dropRemainder;
  }

  /** The number of batches in an epoch. */
  get length(): number {
    const n = this.#source.length;
    return this.dropRemainder ? Math.floor(n / this.size) : Math.ceil(n / this.size);
  }

  /**
   * How many batches `for await` built ahead, while the consumer awaited (the overlap prefetch
   * achieved; on demand builds are not counted).
   */
  get prefetched(): number {
    return this.#prefetched;
  }

  /**
   * The batches of epoch `e` (does not advance the epoch counter of plain iteration).
   * @example [...batches.epoch(2)].length === batches.length
   */
  epoch(e: number): EpochBatches<K> {
    checkEpoch(e, "Batches.epoch");
    return { [Symbol.iterator]: () => this.#run(e), [Symbol.asyncIterator]: () => this.#runAsync(e) };
  }

  /** The next epoch's batches, built on demand. */
  [Symbol.iterator](): Iterator<Batch<K>> {
    return this.#run(this.#nextEpoch++);
  }

  /** The next epoch's batches, each next one built while the consumer awaits. */
  [Symbol.asyncIterator](): AsyncIterator<Batch<K>> {
    return this.#runAsync(this.#nextEpoch++);
  }

  #bounds(i: number): [number, number] {
    return [i * this.size, Math.min((i + 1) * this.size, this.#source.length)];
  }

  *#run(epoch: number): Generator<Batch<K>> {
    const rows = epochOrderSync(this.#key, this.#source.length, epoch);
    const columns = this.#source.columns();
    for (let i = 0; i < this.length; i++) yield gatherBatch(columns, rows, ...this.#bounds(i));
  }

  async *#runAsync(epoch: number): AsyncGenerator<Batch<K>> {
    const rows = await epochOrderAsync(this.#key, this.#source.length, epoch);
    const columns = await this.#source.columnsAsync();
    let prepared: Batch<K> | undefined;
    let cancel: (() => void) | undefined;
    try {
      for (let i = 0; i < this.length; i++) {
        const current = prepared ?? gatherBatch(columns, rows, ...this.#bounds(i));
        prepared = undefined;
        cancel = i + 1 < this.length
          ? schedule(() => {
            prepared = gatherBatch(columns, rows, ...this.#bounds(i + 1));
            this.#prefetched++;
          })
          : undefined;
        yield current;
        cancel?.();
      }
    } finally {
      cancel?.(); // a consumer that breaks out early leaves no scheduled gather behind
    }
  }
}
