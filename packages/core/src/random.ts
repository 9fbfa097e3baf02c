/**
 * Randomness. Counter-based Threefry-2x32 (20 rounds), as JAX: the same seed gives the same bits on
 * every backend, because the generator is made of graph ops (int32 add, xor, shifts) like any other
 * computation.
 * - Functional, JAX-style: `prng.key(seed)`, `prng.split(key, n)`, `prng.uniform(key, shape)`,
 *   `prng.normal(key, shape)`. A key is an int32[2] tensor holding the two uint32 words.
 * - Stateful, BrainState-style: `random.seed(42)`, `random.randn(2, 3)`, `random.normal({ size })`...
 *   The generator's key is a State, so inside `jit` it is threaded like any other State and
 *   successive calls give fresh numbers.
 *
 * Key derivation follows JAX's original (non-"partitionable") Threefry scheme: `split(key, n)` hashes
 * the counters 0..2n-1, `randomBits(key, shape)` hashes 0..size-1.
 */
import { type DType, isFloat } from "./dtype.js";
import { DTypeError, ValueError, describeValue } from "./errors.js";
import { makeNode } from "./ir/node.js";
import { isTracingStates, LongTermState } from "./state.js";
import { Tensor } from "./tensor.js";
import { apply, astypeRaw, broadcastRaw, fullRaw, reshapeRaw, optionsOf } from "./np/util.js";
import * as np from "./np/index.js";
import { checkShape, sizeOf } from "./shape.js";

// ---------------------------------------------------------------------------------------------
// Threefry-2x32 over an abstract carrier: JS numbers (eager key splitting) or int32 Tensors.

interface U32Ops<T> {
  add(a: T, b: T): T;
  xor(a: T, b: T): T;
  rotl(a: T, r: number): T;
  lit(v: number, like: T): T;
}

const ROTATIONS = [[13, 15, 26, 6], [17, 29, 16, 24]] as const;

/** Threefry-2x32 with 20 rounds (Salmon et al. 2011), the hash behind `jax.random`. */
function threefry2x32<T>(ops: U32Ops<T>, k0: T, k1: T, x0: T, x1: T): [T, T] {
  const ks = [k0, k1, ops.xor(ops.xor(k0, k1), ops.lit(0x1bd11bda, k0))];
  x0 = ops.add(x0, ks[0]!);
  x1 = ops.add(x1, ks[1]!);
  for (let i = 0; i < 5; i++) {
    for (const r of ROTATIONS[i % 2]!) {
      x0 = ops.add(x0, x1);
      x1 = ops.xor(ops.rotl(x1, r), x0);
    }
    x0 = ops.add(x0, ks[(i + 1) % 3]!);
    x1 = ops.add(ops.add(x1, ks[(i + 2) % 3]!), ops.lit(i + 1, x1));
  }
  return [x0, x1];
}

const numberOps: U32Ops<number> = {
  add: (a, b) => (a + b) | 0,
  xor: (a, b) => a ^ b,
  rotl: (a, r) => (a << r) | (a >>> (32 - r)),
  lit: (v) => v | 0,
};

const tensorOps: U32Ops<Tensor> = {
  add: (a, b) => apply("add", [a, b], {}),
  xor: (a, b) => apply("xor", [a, b], {}),
  rotl: (a, r) => apply("or", [apply("shl", [a, fullRaw(a.shape, r, "int32")], {}), apply("shrl", [a, fullRaw(a.shape, 32 - r, "int32")], {})], {}),
  lit: (v, like) => fullRaw(like.shape, v | 0, "int32"),
};

/** Threefry of uint32 counters 0..n-1 under `key` (JAX's `threefry_2x32(key, iota(n))`), as int32[n]. */
function hashCounters(key: Tensor, n: number): Tensor {
  if (n === 0) return np.zeros([0], { dtype: "int32" });
  const half = Math.ceil(n / 2);
  const iota = (start: number) => apply("add", [new Tensor(makeNode("iota", [], { axis: 0 }, { shape: [half], dtype: "int32" })), fullRaw([half], start, "int32")], {});
  const k = (i: number) => broadcastRaw(reshapeRaw(apply("slice", [key], { start: [i], stop: [i + 1], step: [1] }), []), [half]);
  // Counters 0..n-1, padded with a zero to an even count, split into halves as JAX does.
  const x0 = iota(0);
  const x1 = n % 2 === 0 ? iota(half) : np.concatenate([apply("slice", [iota(half)], { start: [0], stop: [half - 1], step: [1] }), np.zeros([1], { dtype: "int32" })]);
  const [y0, y1] = threefry2x32(tensorOps, k(0), k(1), x0, x1);
  const out = np.concatenate([y0, y1]);
  return n % 2 === 0 ? out : apply("slice", [out], { start: [0], stop: [n], step: [1] });
}

function checkKey(key: unknown, op: string): Tensor {
  if (!(key instanceof Tensor) || key.dtype !== "int32" || key.shape.length !== 1 || key.shape[0] !== 2) {
    throw new ValueError(`${op}: expected a PRNG key (int32[2] from prng.key or prng.split), got ${key instanceof Tensor ? `${key.dtype}[${key.shape}]` : typeof key}`);
  }
  return key;
}

function normShape(size: number | readonly number[] | undefined, op: string): number[] {
  if (size === undefined) return [];
  return checkShape(op, typeof size === "number" ? [size] : size);
}

function floatDType(dtype: DType | undefined, op: string): DType {
  const d = dtype ?? "float32";
  if (!isFloat(d)) throw new DTypeError(`${op}: dtype must be a float type, got ${d}`);
  return d;
}

/** Uniform floats in [0, 1): the top 23 bits as a mantissa, exactly JAX's bits → float mapping. */
function unitFloats(key: Tensor, shape: number[], dtype: DType): Tensor {
  const bits = reshapeRaw(hashCounters(key, sizeOf(shape)), shape);
  const mant = apply("shrl", [bits, fullRaw(shape, 9, "int32")], {});
  return np.multiply(astypeRaw(mant, dtype), 2 ** -23);
}

/** Giles' single-precision inverse error function (the polynomial XLA uses for f32). */
function erfinv(x: Tensor): Tensor {
  const w = np.negative(np.log(np.multiply(np.subtract(1, x), np.add(1, x))));
  const horner = (coeffs: readonly number[], t: Tensor): Tensor => coeffs.slice(1).reduce<Tensor>((p, c) => np.add(np.multiply(p, t), c), fullRaw(t.shape, coeffs[0]!, t.dtype));
  const small = horner([2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 0.246640727, 1.50140941], np.subtract(w, 2.5));
  const big = horner([-2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3, 1.00167406, 2.83297682], np.subtract(np.sqrt(w), 3));
  return np.multiply(np.where(np.less(w, 5), small, big), x);
}

/** The functional key API (JAX's `jax.random`). */
export const prng = {
  /**
   * A key from an integer seed: `[seed >> 32, seed & 0xffffffff]` as JAX's threefry_seed.
   * @example const key = prng.key(0);
   */
  key(seed: number): Tensor {
    if (!Number.isSafeInteger(seed)) throw new ValueError(`prng.key: seed must be an integer, got ${describeValue(seed)}`);
    const hi = Math.floor(seed / 2 ** 32) | 0;
    return np.array([hi, seed | 0], { dtype: "int32" });
  },
  /**
   * `n` new keys, shape [n, 2].
   * @example const [k1, k2] = prng.split(key) as unknown as Tensor[] // use .get(0), .get(1)
   */
  split(key: Tensor, n = 2): Tensor {
    checkKey(key, "prng.split");
    if (!Number.isInteger(n) || n < 1) throw new ValueError(`prng.split: n must be a positive integer, got ${n}`);
    return reshapeRaw(hashCounters(key, 2 * n), [n, 2]);
  },
  /** Raw 32-bit words (int32 holding uint32 bits). */
  bits(key: Tensor, shape: readonly number[] = []): Tensor {
    checkKey(key, "prng.bits");
    const s = normShape(shape, "prng.bits");
    return reshapeRaw(hashCounters(key, sizeOf(s)), s);
  },
  /**
   * Uniform samples in [minval, maxval).
   * @example prng.uniform(prng.key(0), [3])
   */
  uniform(key: Tensor, shape: readonly number[] = [], opts: { dtype?: DType; minval?: number; maxval?: number } = {}): Tensor {
    opts = optionsOf("prng.uniform", opts);
    checkKey(key, "prng.uniform");
    const s = normShape(shape, "prng.uniform");
    const dtype = floatDType(opts.dtype, "prng.uniform");
    const lo = opts.minval ?? 0, hi = opts.maxval ?? 1;
    const u = unitFloats(key, s, dtype);
    return np.maximum(np.add(np.multiply(u, hi - lo), lo), lo);
  },
  /**
   * Standard normal samples: sqrt(2) * erfinv(u), u uniform in (-1, 1), as JAX.
   * @example prng.normal(prng.key(0), [2, 2])
   */
  normal(key: Tensor, shape: readonly number[] = [], opts: { dtype?: DType } = {}): Tensor {
    opts = optionsOf("prng.normal", opts);
    checkKey(key, "prng.normal");
    const lo = -1 + 2 ** -24; // nextafter(-1, 0) in float32
    const u = prng.uniform(key, shape, { dtype: opts.dtype, minval: lo, maxval: 1 });
    return np.multiply(erfinv(u), Math.SQRT2);
  },
};

// ---------------------------------------------------------------------------------------------
// The stateful generator.

/** A generator whose key is a State: each draw splits the key and stores one half back. */
export class RandomState extends LongTermState<Tensor> {
  constructor(seed: number = defaultSeed()) {
    super(prng.key(seed), { name: "random.key" });
  }
  /** Resets the key from a seed. */
  seed(seed: number): void {
    this.value = prng.key(seed);
  }
  /** Splits the key: stores a fresh key and returns a subkey for one draw. */
  nextKey(): Tensor {
    const key = this.value;
    // (Only when the key's values are on the host: a key a jitted step left in device memory
    // (webgpu) is split by graph ops instead, which need no synchronous read.)
    if (!isTracingStates() && key.node.prim === "data" && (key.node.params as unknown as { ref: { host: unknown } }).ref.host !== null) {
      // Eager: split on the host, so the key never becomes a growing chain of pending graph nodes.
      const [k0, k1] = Array.from(key.dataSync());
      const word = (i: number): number => {
        const half = 2; // split(key, 2) hashes counters 0..3: x0 = [0, 1], x1 = [2, 3]
        return threefry2x32(numberOps, k0!, k1!, i % half, (i % half) + half)[i < half ? 0 : 1];
      };
      const words = [0, 1, 2, 3].map(word);
      this.value = np.array([words[0]!, words[1]!], { dtype: "int32" });
      return np.array([words[2]!, words[3]!], { dtype: "int32" });
    }
    const keys = prng.split(key, 2);
    this.value = reshapeRaw(apply("slice", [keys], { start: [0, 0], stop: [1, 2], step: [1, 1] }), [2]);
    return reshapeRaw(apply("slice", [keys], { start: [1, 0], stop: [2, 2], step: [1, 1] }), [2]);
  }
}

function defaultSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** The process-wide generator behind `random.*`. */
export const DEFAULT_RANDOM = new RandomState();

export interface SizeOption {
  size?: number | readonly number[];
  dtype?: DType;
}

/**
 * The one options object of a `random.*` sampler, checked: `random.normal(0, 1, [3])` (NumPy's
 * positional form) must not silently draw one scalar from N(0, 1).
 */
function samplerOptions<O extends object>(op: string, opts: O | undefined, rest: readonly unknown[], keys: readonly string[], example: string): O {
  const form = `${op} takes one options object, e.g. ${example}`;
  if (rest.length) throw new ValueError(`${form}; got ${rest.length + 1} arguments`);
  if (opts === undefined) return {} as O;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) throw new ValueError(`${form}; got ${describeValue(opts)}`);
  const unknown = Object.keys(opts).filter((k) => !keys.includes(k));
  if (unknown.length) throw new ValueError(`${op}: unknown option(s) ${unknown.join(", ")}; expected ${keys.join(", ")}`);
  return opts;
}

/** The stateful generator API (BrainState's `brainstate.random`). */
export const random = {
  /** Seeds the default generator. @example random.seed(42) */
  seed(seed: number): void {
    DEFAULT_RANDOM.seed(seed);
  },
  /** Standard normal samples of the given shape. @example random.randn(2, 3) */
  randn(...shape: number[]): Tensor {
    return prng.normal(DEFAULT_RANDOM.nextKey(), normShape(shape, "random.randn"));
  },
  /** Uniform [0, 1) samples of the given shape. @example random.rand(2, 3) */
  rand(...shape: number[]): Tensor {
    return prng.uniform(DEFAULT_RANDOM.nextKey(), normShape(shape, "random.rand"));
  },
  /** Normal samples with mean `loc` and standard deviation `scale`. @example random.normal({ loc: 1, scale: 2, size: [3] }) */
  normal(opts?: SizeOption & { loc?: number; scale?: number }, ...rest: never[]): Tensor {
    opts = samplerOptions("random.normal", opts, rest, ["loc", "scale", "size", "dtype"], "random.normal({ loc: 0, scale: 1, size: [3] })");
    const z = prng.normal(DEFAULT_RANDOM.nextKey(), normShape(opts.size, "random.normal"), { dtype: opts.dtype });
    return np.add(np.multiply(z, opts.scale ?? 1), opts.loc ?? 0);
  },
  /** Uniform samples in [low, high). @example random.uniform({ low: -1, high: 1, size: 4 }) */
  uniform(opts?: SizeOption & { low?: number; high?: number }, ...rest: never[]): Tensor {
    opts = samplerOptions("random.uniform", opts, rest, ["low", "high", "size", "dtype"], "random.uniform({ low: 0, high: 1, size: [3] })");
    return prng.uniform(DEFAULT_RANDOM.nextKey(), normShape(opts.size, "random.uniform"), { dtype: opts.dtype, minval: opts.low ?? 0, maxval: opts.high ?? 1 });
  },
  /** Integers in [low, high) (int32). @example random.randint(0, 10, { size: [5] }) */
  randint(low: number, high: number, opts?: SizeOption, ...rest: never[]): Tensor {
    opts = samplerOptions("random.randint", opts, rest, ["size", "dtype"], "random.randint(0, 10, { size: [5] })");
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new ValueError(`random.randint: need integers low < high, got ${describeValue(low)}, ${describeValue(high)}`);
    }
    const u = prng.uniform(DEFAULT_RANDOM.nextKey(), normShape(opts.size, "random.randint"), { dtype: "float64" });
    return np.minimum(astypeRaw(np.floor(np.add(np.multiply(u, high - low), low)), opts.dtype ?? "int32"), high - 1);
  },
  /**
   * A random permutation of `arange(n)`, or of a tensor along its first axis (ranks of uniform
   * keys: O(n^2) work, meant for modest n).
   * @example random.permutation(5)
   */
  permutation(n: number | Tensor): Tensor {
    const len = typeof n === "number" ? n : n.shape[0];
    if (len === undefined || !Number.isInteger(len) || len < 0) throw new ValueError(`random.permutation: need a non-negative integer or a tensor with a first axis`);
    const u = prng.uniform(DEFAULT_RANDOM.nextKey(), [len], { dtype: "float64" });
    // rank[i] = #{j : u[j] < u[i]} (ties broken by index), then perm[rank[i]] = i.
    const ui = np.reshape(u, [len, 1]), uj = np.reshape(u, [1, len]);
    const idx = np.arange(len, undefined, undefined, { dtype: "int32" });
    const before = np.logicalOr(np.less(uj, ui), np.logicalAnd(np.equal(uj, ui), np.less(np.reshape(idx, [1, len]), np.reshape(idx, [len, 1]))));
    const rank = np.sum(astypeRaw(before, "int32"), { axis: 1 });
    const perm = apply("scatter", [np.zeros([len], { dtype: "int32" }), rank, idx], { axis: 0 });
    return typeof n === "number" ? perm : np.take(n, perm, { axis: 0 });
  },
  /** Booleans, true with probability `p`. @example random.bernoulli({ p: 0.3, size: [10] }) */
  bernoulli(opts?: SizeOption & { p?: number }, ...rest: never[]): Tensor {
    opts = samplerOptions("random.bernoulli", opts, rest, ["p", "size", "dtype"], "random.bernoulli({ p: 0.3, size: [10] })");
    const p = opts.p ?? 0.5;
    if (!(p >= 0 && p <= 1)) throw new ValueError(`random.bernoulli: p must be in [0, 1], got ${p}`);
    return np.less(prng.uniform(DEFAULT_RANDOM.nextKey(), normShape(opts.size, "random.bernoulli")), p);
  },
};

