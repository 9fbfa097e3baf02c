/**
 * The loop budget of a WGSL invocation. Software drivers bound the loop iterations one invocation
 * may run — all its loops together — and silently cut loops beyond it, so every kernel mapping
 * (targets/webgpu/wgsl-kernel.ts, wgsl-matmul.ts, wgsl-library.ts) estimates its invocations' iterations
 * with `serialTrips` and stays within `LOOP_BUDGET`, on every adapter.
 */
import { type Stmt } from "../../kernel.js";

/**
 * Loop iterations one invocation may run, all its loops together. Mesa's software drivers
 * (llvmpipe, lavapipe: gallivm's LP_MAX_TGSI_LOOP_ITERATIONS) give each invocation a single
 * counter of 65,535 loop iterations shared by every loop it runs and silently leave each loop once
 * it is spent (a sum of 2^25 ones read 1048560 = 16 · 65535). Kernels are mapped to stay within it
 * on every adapter; 1,024 iterations are kept for the combining trees and register-array setup.
 */
export const LOOP_LIMIT = 65535;
export const LOOP_BUDGET = LOOP_LIMIT - 1024;

/** Most loop iterations of one call of a prelude function (targets/webgpu/wgsl-prelude.ts) an op makes. */
function preludeTrips(v: Extract<Stmt, { s: "let" }>["value"]): number {
  if (v.op !== "alu") return 0;
  const arg = v.args[0];
  const float = arg !== undefined && arg.k !== "var" && (arg.dtype === "float32" || arg.dtype === "float16" || arg.dtype === "bfloat16");
  // fmod_: ≤ 277 shift-subtract steps (exponent difference) plus ≤ 3 × 23 normalization steps.
  if ((v.alu === "rem" || v.alu === "floorDiv") && float) return 350;
  if (v.alu === "pow" && !float) return 32;
  return 0;
}

/**
 * Loop iterations one invocation runs executing `stmts` serially: constant trip counts (a loop
 * bounded by a computed value counts once per iteration of its parent), plus the prelude's loops.
 */
export function serialTrips(stmts: readonly Stmt[]): number {
  let n = 0;
  for (const st of stmts) {
    if (st.s === "let") n += preludeTrips(st.value);
    else if (st.s === "if") n += serialTrips(st.body);
    else if (st.s === "loop") {
      const trips = st.start.k === "const" && st.end.k === "const" ? Math.max(0, Math.ceil((st.end.value - st.start.value) / st.step)) : 1;
      n += trips * (1 + serialTrips(st.body));
    }
  }
  return n;
}
