/**
 * The helper functions every JS kernel binds (NumPy and SciPy semantics the Math object lacks), and
 * the statement that binds them. Separate from js.ts so that both kernel renderers (js.ts and
 * js-matmul.ts, which js.ts imports) can use the bindings without an import cycle.
 */
import {
  bitcastScalar, digammaF64, erfF64, erfInvF64, erfcF64, bits16Values, floorDivideScalar, i0eF64, i1eF64, lgammaF64, numberToBfloat16Bits, numberToHalfBits, powerInt32, remainderScalar, roundToBfloat16, roundToHalf, trigammaF64,
} from "@kiln/core";
import { VECMATH_JS } from "../wasm/wasm-vecmath.js";
import { wasmGemm } from "../wasm/wasm-gemm.js";

/** Numeric helpers shared by all kernels (NumPy semantics the Math object lacks). */
export const JS_HELPERS = {
  /** The WebAssembly SIMD matmul microkernel (targets/wasm/wasm-gemm.ts, driven by targets/js/js-matmul.ts), when available. */
  gemm: wasmGemm,
  /** Round half to even, as NumPy. */
  roundHalfEven(x: number): number {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  /** NumPy's divmod (core/arith.ts): the reference interpreter's own functions. */
  floorDiv: floorDivideScalar,
  rem: remainderScalar,
  ipow: powerInt32,
  /** A float16 value: rounded to the nearest half through float32 (core/float-bits.ts). */
  f16round: roundToHalf,
  /** A float16 load: the value of each half bit pattern (a getter: the 256 KiB table is built by the first kernel binding it). */
  get h16(): Float32Array {
    return bits16Values("float16");
  },
  /** A float16 store: the bits of a half value. */
  f16bits: numberToHalfBits,
  /** A bfloat16 value: rounded to the nearest bfloat16 through float32 (core/float-bits.ts). */
  bf16round: roundToBfloat16,
  /** A bfloat16 load: the value of each bfloat16 bit pattern (built by the first kernel binding it). */
  get bh16(): Float32Array {
    return bits16Values("bfloat16");
  },
  /** A bfloat16 store: the bits of a bfloat16 value. */
  bf16bits: numberToBfloat16Bits,
  /** Tensor.view's bit reinterpretation (core/dtype.ts). */
  bitcast: bitcastScalar,
  /**
   * The special functions JavaScript's Math lacks: the interpreter's float64 references
   * (core/special-f64.ts), so a float32 result is the reference rounded once, bit for bit.
   */
  erf: erfF64,
  erfc: erfcF64,
  erfInv: erfInvF64,
  lgamma: lgammaF64,
  digamma: digammaF64,
  trigamma: trigammaF64,
  i0e: i0eF64,
  i1e: i1eF64,
  /**
   * The float32 vector-math functions (targets/wasm/wasm-vecmath.ts) as scalar twins of the wasm
   * lanes: float32 exp, log, tanh, … of a JS kernel (js-alu.ts) have the wasm kernel's bits.
   */
  f32exp: VECMATH_JS.exp,
  f32expm1: VECMATH_JS.expm1,
  f32log: VECMATH_JS.log,
  f32log1p: VECMATH_JS.log1p,
  f32tanh: VECMATH_JS.tanh,
  f32logistic: VECMATH_JS.logistic,
  f32sin: VECMATH_JS.sin,
  f32cos: VECMATH_JS.cos,
  f32erf: VECMATH_JS.erf,
  f32pow: VECMATH_JS.pow,
};

/**
 * The statement every kernel factory starts with: it binds each helper by name, so a table entry
 * that calls a new helper needs only its JS_HELPERS entry (never a second list to keep in step).
 * @example HELPER_BINDINGS // "const { gemm, roundHalfEven, floorDiv, … } = helpers;"
 */
export const HELPER_BINDINGS = `const { ${Object.keys(JS_HELPERS).join(", ")} } = helpers;`;

