/**
 * Randomness. Counter-based Threefry-2x32, as JAX: the same seed gives the same numbers on every
 * backend.
 * - Stateful, BrainState-style: `random.seed(42)`, `random.randn(2, 3)`, `random.normal({ size })`...
 *   The generator's key is itself a State, so inside `jit` it is threaded like any other State and
 *   successive calls give fresh numbers.
 * - Functional, JAX-style: `prng.key(seed)`, `prng.split(key, n)`, `prng.normal(key, shape)`.
 *
 * (Work in progress: the signatures below are the contract; bodies land with the Threefry graph ops.)
 */
import { type DType } from "./dtype.js";
import { type Tensor } from "./tensor.js";

function pending(name: string): never {
  throw new Error(`random.${name} is not implemented yet`);
}

export interface SizeOption {
  size?: number | readonly number[];
  dtype?: DType;
}

/** The stateful generator API (BrainState's `brainstate.random`). */
export const random = {
  seed: (seed: number): void => pending(`seed(${seed})`),
  /** Standard normal samples of the given shape: `random.randn(2, 3)`. */
  randn: (...shape: number[]): Tensor => pending(`randn(${shape})`),
  /** Uniform [0, 1) samples of the given shape: `random.rand(2, 3)`. */
  rand: (...shape: number[]): Tensor => pending(`rand(${shape})`),
  normal: (opts: SizeOption & { loc?: number; scale?: number } = {}): Tensor => pending(`normal(${JSON.stringify(opts)})`),
  uniform: (opts: SizeOption & { low?: number; high?: number } = {}): Tensor => pending(`uniform(${JSON.stringify(opts)})`),
  /** Integers in [low, high). */
  randint: (low: number, high: number, opts: SizeOption = {}): Tensor => pending(`randint(${low},${high},${JSON.stringify(opts)})`),
  /** A random permutation of `arange(n)` (or of a tensor's first axis). */
  permutation: (n: number | Tensor): Tensor => pending(`permutation(${String(n)})`),
  /** Booleans that are true with probability p. */
  bernoulli: (opts: SizeOption & { p?: number } = {}): Tensor => pending(`bernoulli(${JSON.stringify(opts)})`),
};

/** The functional key API (JAX's `jax.random`). A key is a uint32[2] stored as int32[2]. */
export const prng = {
  key: (seed: number): Tensor => pending(`key(${seed})`),
  split: (key: Tensor, n = 2): Tensor => pending(`split(${String(key)},${n})`),
  normal: (key: Tensor, shape: readonly number[] = [], opts: { dtype?: DType } = {}): Tensor => pending(`normal(${String(key)},${shape},${JSON.stringify(opts)})`),
  uniform: (key: Tensor, shape: readonly number[] = [], opts: { dtype?: DType; minval?: number; maxval?: number } = {}): Tensor =>
    pending(`uniform(${String(key)},${shape},${JSON.stringify(opts)})`),
};
