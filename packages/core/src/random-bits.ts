/**
 * The bit source under `prng.*` and `random.*`: counter-based Threefry-2x32 (20 rounds), as JAX. The
 * same seed gives the same bits on every backend, because the generator is made of graph ops (int32
 * add, xor, shifts) like any other computation — which is also why keys work under `vmap` and `jit`.
 *
 * Key derivation follows JAX's current default, the "partitionable" Threefry scheme (JAX >= 0.5,
 * `jax_threefry_partitionable=True`): element i of a draw hashes the 64-bit counter i (high word 0,
 * low word i); `split(key, n)[i]` is the hash's two words, `bits(key, shape)` their xor, and
 * `foldIn(key, d)` the two words of counter d (so `foldIn(key, i)` equals `split(key, n)[i]`).
 */
import { type DType, isFloat, isInt } from "./dtype.js";
import { DTypeError, ValueError, describeValue } from "./errors.js";
import { makeNode } from "./ir/node.js";
import { Tensor } from "./tensor.js";
import { apply, astypeRaw, broadcastRaw, fullRaw, reshapeRaw } from "./np/util.js";
import { type Positional, positionalOptions } from "./np/positional.js";
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
export function threefry2x32<T>(ops: U32Ops<T>, k0: T, k1: T, x0: T, x1: T): [T, T] {
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

export const numberOps: U32Ops<number> = {
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

/**
 * The two Threefry words of the 64-bit counters 0..n-1 under `key` (high words 0, low words
 * iota(n)), each int32[n] holding uint32 bits: JAX's partitionable `threefry_2x32(k1, k2, *iota_2x32_shape)`.
 */
function hashIota(key: Tensor, n: number): [Tensor, Tensor] {
  if (n === 0) return [np.zeros([0], { dtype: "int32" }), np.zeros([0], { dtype: "int32" })];
  const [k0, k1] = keyScalars(key);
  const lo = new Tensor(makeNode("iota", [], { axis: 0 }, { shape: [n], dtype: "int32" }));
  return threefry2x32(tensorOps, broadcastRaw(k0, [n]), broadcastRaw(k1, [n]), fullRaw([n], 0, "int32"), lo);
}

/** `n` random 32-bit words under `key` (int32 holding uint32 bits): the xor of the counters' two words. */
function hashCounters(key: Tensor, n: number): Tensor {
  const [y0, y1] = hashIota(key, n);
  return n === 0 ? y0 : apply("xor", [y0, y1], {});
}

/** The subkey `foldIn(key, i)` = `split(key, n)[i]` of a key held on the host, as two int32 words. */
export function hostSubkey(k0: number, k1: number, i: number): [number, number] {
  return threefry2x32(numberOps, k0, k1, 0, i | 0);
}

/**
 * Keys are int32[2] holding the two uint32 words of JAX's raw keys (int32 kernels run everywhere:
 * WebAssembly, GPU.js hosts, WGSL); a uint32[2] key (JAX's dtype, e.g. words copied from JAX) is
 * accepted too and viewed as int32.
 */
export function checkKey(key: unknown, op: string): Tensor {
  if (!(key instanceof Tensor) || (key.dtype !== "uint32" && key.dtype !== "int32") || key.shape.length !== 1 || key.shape[0] !== 2) {
    throw new ValueError(`${op}: expected a PRNG key (int32[2] from prng.key or prng.split, or uint32[2]), got ${key instanceof Tensor ? `${key.dtype}[${key.shape}]` : typeof key}`);
  }
  return key;
}

/** A key's two words as int32 scalars (a uint32 key bitcast). */
function keyScalars(key: Tensor): [Tensor, Tensor] {
  const w = key.dtype === "int32" ? key : apply("bitcast", [key], { dtype: "int32" });
  const word = (i: number) => reshapeRaw(apply("slice", [w], { start: [i], stop: [i + 1], step: [1] }), []);
  return [word(0), word(1)];
}

export function normShape(size: number | readonly number[] | undefined, op: string): number[] {
  if (size === undefined) return [];
  return checkShape(op, typeof size === "number" ? [size] : size);
}

export function floatDType(dtype: DType | undefined, op: string): DType {
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

/** Horner evaluation of `coeffs` (highest degree first) at `t`. */
export function horner(coeffs: readonly number[], t: Tensor): Tensor {
  return coeffs.slice(1).reduce<Tensor>((p, c) => np.add(np.multiply(p, t), c), fullRaw(t.shape, coeffs[0]!, t.dtype));
}

/** Giles' single-precision inverse error function (the polynomial XLA uses for f32). */
export function erfinv(x: Tensor): Tensor {
  const w = np.negative(np.log(np.multiply(np.subtract(1, x), np.add(1, x))));
  const small = horner([2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 0.246640727, 1.50140941], np.subtract(w, 2.5));
  const big = horner([-2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3, 1.00167406, 2.83297682], np.subtract(np.sqrt(w), 3));
  return np.multiply(np.where(np.less(w, 5), small, big), x);
}

/**
 * A key from an integer seed: `[seed >> 32, seed & 0xffffffff]` as JAX's threefry_seed (a 64-bit
 * seed). A scalar int32 Tensor seed (e.g. vmap's per-example value) is built with graph ops, so
 * `vmap(prng.key)(np.arange(5))` and `jit` of a function of the seed work. The key is
 * `[0, seed & 0xffffffff]` (JAX's 32-bit seeds) in int32 words. A float Tensor seed is converted to int32.
 */
export function key(seed: number | Tensor): Tensor {
  if (seed instanceof Tensor) {
    if (seed.dtype === "bool" || seed.shape.length !== 0) throw new ValueError(`prng.key: a Tensor seed must be a scalar integer, got ${seed.dtype}[${seed.shape}]`);
    // kiln's np.arange(5) is float32, so `vmap(prng.key)(np.arange(5))` hands us float seeds: they
    // are converted to int32 (exact for the integers a float32 holds exactly, |seed| <= 2^24).
    const s = seed.dtype === "int32" ? seed : astypeRaw(seed, "int32");
    return np.stack([fullRaw([], 0, "int32"), s]);
  }
  if (!Number.isSafeInteger(seed)) throw new ValueError(`prng.key: seed must be an integer, got ${describeValue(seed)}`);
  return np.array([0, seed | 0], { dtype: "int32" });
}

/** `n` new keys, shape [n, 2]. */
export function split(k: Tensor, n = 2): Tensor {
  checkKey(k, "prng.split");
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`prng.split: n must be a positive integer, got ${describeValue(n)}`);
  const [y0, y1] = hashIota(k, n);
  return np.stack([y0, y1], { axis: 1 });
}

/**
 * A new key from `key` and an integer `data` (e.g. a step or layer index), as `jax.random.fold_in`:
 * the two Threefry words of the counter `data` (taken as uint32 bits), so keys folded with different
 * data are independent. `data` may be a scalar int32 Tensor (a loop index under `jit`/`scan`).
 * @example const k = prng.foldIn(prng.key(0), 3); prng.normal(k, [2])
 */
export function foldIn(k: Tensor, data: number | Tensor): Tensor {
  checkKey(k, "prng.foldIn");
  let d: Tensor;
  if (data instanceof Tensor) {
    if (data.shape.length !== 0 || !isInt(data.dtype)) {
      throw new ValueError(`prng.foldIn: data must be a scalar integer, got ${data.dtype}[${data.shape}]`);
    }
    d = data.dtype === "int32" ? data : astypeRaw(data, "int32");
  } else {
    if (!Number.isSafeInteger(data)) throw new ValueError(`prng.foldIn: data must be an integer, got ${describeValue(data)}`);
    d = fullRaw([], data | 0, "int32");
  }
  const [k0, k1] = keyScalars(k);
  const [y0, y1] = threefry2x32(tensorOps, k0, k1, fullRaw([], 0, "int32"), d);
  return np.stack([y0, y1]);
}

/** Row `i` of `split(k, n)`: the i-th subkey as an int32[2]. */
export function subkeys(k: Tensor, n: number): Tensor[] {
  const keys = split(k, n);
  return Array.from({ length: n }, (_, i) => reshapeRaw(apply("slice", [keys], { start: [i, 0], stop: [i + 1, 2], step: [1, 1] }), [2]));
}

/** Raw 32-bit words as int32 (the samplers' integer arithmetic); `prng.bits` gives them as uint32. */
export function bitWords(k: Tensor, shape: readonly number[] = [], op = "prng.bits"): Tensor {
  checkKey(k, op);
  const s = normShape(shape, op);
  return reshapeRaw(hashCounters(k, sizeOf(s)), s);
}

/** Raw 32-bit words, uint32 as JAX's `random.bits`. */
export function bits(k: Tensor, shape: readonly number[] = []): Tensor {
  return apply("bitcast", [bitWords(k, shape)], { dtype: "uint32" });
}

/** Uniform samples in [minval, maxval). */
export function uniform(k: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.uniform", { dtype?: DType; minval?: number; maxval?: number }>): Tensor {
  const opts = positionalOptions<{ dtype?: DType; minval?: number; maxval?: number }>("prng.uniform", args);
  checkKey(k, "prng.uniform");
  const s = normShape(shape, "prng.uniform");
  const dtype = floatDType(opts.dtype, "prng.uniform");
  const lo = opts.minval ?? 0, hi = opts.maxval ?? 1;
  const u = unitFloats(k, s, dtype);
  return np.maximum(np.add(np.multiply(u, hi - lo), lo), lo);
}

/** Standard normal samples: sqrt(2) * erfinv(u), u uniform in (-1, 1), as JAX. */
export function normal(k: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.normal", { dtype?: DType }>): Tensor {
  const opts = positionalOptions<{ dtype?: DType }>("prng.normal", args);
  checkKey(k, "prng.normal");
  const lo = -1 + 2 ** -24; // nextafter(-1, 0) in float32
  const u = uniform(k, shape, { dtype: opts.dtype, minval: lo, maxval: 1 });
  return np.multiply(erfinv(u), Math.SQRT2);
}
