/**
 * A kernel → the JavaScript source of one function over typed arrays, and its compilation. The
 * statements render in js-stmts.ts; float32 contractions take the WebAssembly path (js-matmul.ts).
 */
import { floorDivideScalar, powerInt32, remainderScalar } from "@kiln/core";
import { type Kernel } from "../../kernel.js";
import { renderStmts } from "./js-stmts.js";
import { renderContractionJs } from "./js-matmul.js";
import { wasmGemm } from "./wasm-gemm.js";

/** Numeric helpers shared by all kernels (NumPy semantics the Math object lacks). */
export const JS_HELPERS = {
  /** The WebAssembly SIMD matmul microkernel (render/js-matmul.ts), when available. */
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
};

/**
 * The JavaScript source of a kernel: a factory taking the helpers, returning the kernel function.
 * @example
 * const src = renderJs(kernel); // "\"use strict\"; … return function elementwise_exp_…(b0, b1) { … }"
 */
export function renderJs(k: Kernel): string {
  const simd = renderContractionJs(k);
  if (simd) return simd;
  const out: string[] = [];
  renderStmts(k.body, new Map(), "  ", out);
  const params = k.params.map((_, i) => `b${i}`).join(", ");
  return [
    `"use strict";`,
    `const { roundHalfEven, floorDiv, rem, ipow } = helpers;`,
    `return function ${k.name}(${params}) {`,
    ...out,
    `};`,
  ].join("\n");
}

/** Compiles rendered source into a callable kernel. */
export function compileJs(source: string): (...bufs: unknown[]) => void {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("helpers", source)(JS_HELPERS) as (...bufs: unknown[]) => void;
}
