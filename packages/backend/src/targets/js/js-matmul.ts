/**
 * float32 contraction kernels on the CPU: the kernel IR's packing phases (with their fused
 * prologues) run as JavaScript writing float32 panels into the WebAssembly workspace, the
 * register-tile phase becomes one call of the SIMD microkernel (targets/wasm/wasm-gemm.ts, split across
 * the CPU worker pool when the product is big enough), and the
 * fused epilogue runs as JavaScript reading C back — the IR's own statements with the tile register
 * read from C. Everything else (int32/bool contractions, float64, an IR shape this does not know,
 * no WebAssembly SIMD) renders through the generic JS path, which accumulates in float64.
 *
 * The panel layouts are lower-contraction.ts's: Ap[(ip·k + p)·MR + ii], Bp[(jp·k + p)·NR + jj]. The
 * microkernel takes B panels in pairs: an odd last panel gets a zero partner.
 */
import { type Kernel, type Stmt } from "../../kernel.js";
import { MR, NR } from "../../lower-contraction.js";
import { wasmGemm } from "../wasm/wasm-gemm.js";
import { HELPER_BINDINGS } from "./js-helpers.js";
import { contractionParts, lets } from "../../render/contraction.js";
import { isF32 } from "./js-alu.js";
import { type RegAlias, bits16Buffers, renderStmts } from "./js-stmts.js";

const isFloat32 = (st: Extract<Stmt, { s: "store" }>) => st.value.k !== "var" && isF32(st.value.dtype);

/**
 * The JS source of a float32 contraction kernel running its tiles on the SIMD microkernel, or
 * null when the generic renderer should handle the kernel.
 * @example
 * renderContractionJs(matmulKernel); // "… ws_.run(…) …" where WebAssembly SIMD exists
 */
export function renderContractionJs(k: Kernel): string | null {
  if (!wasmGemm || !k.name.startsWith("matmul_")) return null;
  const P = contractionParts(k);
  if (!P || typeof P === "string" || !isFloat32(P.aStore) || !isFloat32(P.bStore) || k.params[0]?.dtype === "float64") return null;
  const { lb, tiles, li, regs, mp, np, kk, aStore: sa, bStore: sb } = P;
  const npairs = Math.ceil(np / 2), ldc = npairs * 2 * NR;
  const aFloats = mp * MR * kk, bFloats = npairs * 2 * NR * kk, cFloats = mp * MR * ldc;
  const out: string[] = [];
  const ind = "    ";
  const alias: RegAlias = (name, [ii, jj]) =>
    name === regs.name ? `c_[(${li.var} * ${MR} + ${ii}) * ${ldc} + ${tiles.var} * ${NR} + ${jj}]` : undefined;
  // float16/bfloat16 operands and results are 16-bit patterns; the A/B panels are the workspace's float32 arrays.
  const halves = bits16Buffers(k);
  halves.delete(sa.buf);
  halves.delete(sb.buf);
  renderStmts(lets(k.body), new Map(), "  ", out, halves);
  out.push(`  for (let ${lb.var} = 0; ${lb.var} < ${P.batch}; ${lb.var}++) {`);
  for (const st of lb.body) {
    if (st !== tiles) {
      renderStmts([st], new Map(), ind, out, halves);
      continue;
    }
    // An odd last B panel is paired with zeros (its C columns are never read).
    if (np % 2) out.push(`${ind}b${sb.buf}.fill(0, ${np * NR * kk}, ${bFloats});`);
    out.push(`${ind}ws_.run(${mp}, ${npairs}, ${kk}, ${ldc});`);
    out.push(`${ind}for (let ${tiles.var} = 0; ${tiles.var} < ${np}; ${tiles.var}++) {`);
    renderStmts(lets(tiles.body), new Map(), ind + "  ", out, halves);
    out.push(`${ind}  for (let ${li.var} = 0; ${li.var} < ${mp}; ${li.var}++) {`);
    renderStmts([...lets(li.body), P.epilogue], new Map(), ind + "    ", out, halves, alias);
    out.push(`${ind}  }`, `${ind}}`);
  }
  out.push(`  }`);
  const params = k.params.map((_, i) => `b${i}`).join(", ");
  return [
    `"use strict";`,
    HELPER_BINDINGS,
    `return function ${k.name}(${params}) {`,
    // The panels live on the WebAssembly heap's arena (the scratch arrays passed in are not used),
    // released however the kernel ends.
    `  const ws_ = gemm.workspace(${aFloats}, ${bFloats}, ${cFloats});`,
    `  try {`,
    `  b${sa.buf} = ws_.a; b${sb.buf} = ws_.b;`,
    `  const c_ = ws_.c;`,
    ...out,
    `  } finally {`,
    `    ws_.release();`,
    `  }`,
    `};`,
  ].join("\n");
}
