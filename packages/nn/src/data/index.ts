/**
 * The `data` namespace: datasets from typed arrays or Tensors, shuffled with a PRNG key and cut into
 * batches of Tensors, with the next batch prepared while a step runs (`for await`).
 * @example
 * import { data } from "kiln";
 * const ds = data.Dataset.fromArrays({ x: images, y: labels }).shuffle(0);
 * for await (const { x, y } of ds.batch(64, { dropRemainder: true })) step(x, y);
 */
export { Dataset, type ArraySource, type BatchOptions } from "./dataset.js";
export { Batches, type EpochBatches } from "./batches.js";
export { type Batch } from "./columns.js";
