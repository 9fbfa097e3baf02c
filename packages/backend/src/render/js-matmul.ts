/**
 * float32 contraction kernels on the CPU: the kernel IR's packing phases (with their fused
 * prologues) run as JavaScript writing float32 panels into the WebAssembly workspace, the
 * register-tile phase becomes one call of the SIMD microkernel (runtime/wasm-gemm.ts), and the
 * fused epilogue runs as JavaScript reading C back — the IR's own statements with the tile register
 * read from C. Everything else (int32/bool contractions, float64, an IR shape this does not know,
 * no WebAssembly SIMD) renders through the generic JS path, which accumulates in float64.
 *
 * The panel layouts are contract.ts's: Ap[(ip·k + p)·MR + ii], Bp[(jp·k + p)·NR + jj]. The
 * microkernel takes B panels in pairs: an odd last panel gets a zero partner.
 */
import { type Kernel, type Stmt } from "../kernel.js";
import { MR, NR } from "../contract.js";
import { wasmGemm } from "../runtime/wasm-gemm.js";
import { type RegAlias, renderStmts } from "./js.js";

type LoopStmt = Extract<Stmt, { s: "loop" }>;

const lets = (stmts: readonly Stmt[]): Stmt[] => stmts.filter((s) => s.s === "let");
const loops = (stmts: readonly Stmt[]): LoopStmt[] => stmts.filter((s): s is LoopStmt => s.s === "loop");
const constEnd = (l: LoopStmt): number | null =>
  l.start.k === "const" && l.start.value === 0 && l.step === 1 && l.end.k === "const" ? l.end.value : null;

function hasRegs(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) => s.s === "regs" || ((s.s === "loop" || s.s === "if") && hasRegs(s.body)));
}

/** The one store of a packing nest (its panel and value), or null. */
function packStore(l: LoopStmt): Extract<Stmt, { s: "store" }> | null {
  let body: readonly Stmt[] = l.body;
  for (;;) {
    const inner = loops(body);
    if (inner.length === 0) break;
    if (inner.length !== 1) return null;
    body = inner[0]!.body;
  }
  const stores = body.filter((s): s is Extract<Stmt, { s: "store" }> => s.s === "store");
  return stores.length === 1 ? stores[0]! : null;
}

/**
 * The JS source of a float32 contraction kernel running its tiles on the SIMD microkernel, or
 * null when the generic renderer should handle the kernel.
 * @example
 * renderContractionJs(matmulKernel); // "… ws_.run(…) …" where WebAssembly SIMD exists
 */
export function renderContractionJs(k: Kernel): string | null {
  if (!wasmGemm || !k.name.startsWith("matmul_")) return null;
  const lb = loops(k.body)[0];
  if (!lb || loops(k.body).length !== 1 || constEnd(lb) === null) return null;
  const phases = loops(lb.body);
  if (phases.length !== 3) return null;
  const [packA, packB, tiles] = phases as [LoopStmt, LoopStmt, LoopStmt];
  if (!hasRegs([tiles]) || hasRegs([packA, packB])) return null;
  const [sa, sb] = [packStore(packA), packStore(packB)];
  const float = (st: Extract<Stmt, { s: "store" }> | null) => st && st.value.k !== "var" && (st.value.dtype === "float32" || st.value.dtype === "float16");
  if (!sa || !sb || !float(sa) || !float(sb) || sa.buf === sb.buf) return null;
  const out0 = k.params[0];
  if (!out0 || out0.dtype === "float64") return null;

  // Extents: A nest (ip, ii, p), B nest (jp, p, jj), tiles (jp, ip).
  const mp = constEnd(packA), np = constEnd(packB);
  const li = loops(tiles.body)[0];
  if (mp === null || np === null || !li || loops(tiles.body).length !== 1 || constEnd(tiles) !== np || constEnd(li) !== mp) return null;
  const nestK = (() => {
    const l2 = loops(packA.body)[0], l3 = l2 && loops(l2.body)[0];
    return l2 && l3 && constEnd(l2) === MR ? constEnd(l3) : null;
  })();
  if (nestK === null) return null;
  const regs = li.body.find((s): s is Extract<Stmt, { s: "regs" }> => s.s === "regs");
  const pLoop = loops(li.body).find((l) => hasRegs(l.body));
  const epilogue = loops(li.body).filter((l) => l !== pLoop);
  if (!regs || !pLoop || epilogue.length !== 1) return null;

  const kk = nestK, npairs = Math.ceil(np / 2), ldc = npairs * 2 * NR;
  const aFloats = mp * MR * kk, bFloats = npairs * 2 * NR * kk, cFloats = mp * MR * ldc;
  const out: string[] = [];
  const ind = "    ";
  const alias: RegAlias = (name, [ii, jj]) =>
    name === regs.name ? `c_[(${li.var} * ${MR} + ${ii}) * ${ldc} + ${tiles.var} * ${NR} + ${jj}]` : undefined;
  renderStmts(lets(k.body), new Map(), "  ", out);
  out.push(`  for (let ${lb.var} = 0; ${lb.var} < ${constEnd(lb)}; ${lb.var}++) {`);
  for (const st of lb.body) {
    if (st !== tiles) {
      renderStmts([st], new Map(), ind, out);
      continue;
    }
    // An odd last B panel is paired with zeros (its C columns are never read).
    if (np % 2) out.push(`${ind}b${sb.buf}.fill(0, ${np * NR * kk}, ${bFloats});`);
    out.push(`${ind}ws_.run(${mp}, ${npairs}, ${kk}, ${ldc});`);
    out.push(`${ind}for (let ${tiles.var} = 0; ${tiles.var} < ${np}; ${tiles.var}++) {`);
    renderStmts(lets(tiles.body), new Map(), ind + "  ", out);
    out.push(`${ind}  for (let ${li.var} = 0; ${li.var} < ${mp}; ${li.var}++) {`);
    renderStmts([...lets(li.body), ...epilogue], new Map(), ind + "    ", out, alias);
    out.push(`${ind}  }`, `${ind}}`);
  }
  out.push(`  }`);
  const params = k.params.map((_, i) => `b${i}`).join(", ");
  return [
    `"use strict";`,
    `const { roundHalfEven, rem, gemm } = helpers;`,
    `return function ${k.name}(${params}) {`,
    // The panels live in the WebAssembly workspace (the scratch arrays passed in are not used).
    `  const ws_ = gemm.workspace(${aFloats}, ${bFloats}, ${cFloats});`,
    `  b${sa.buf} = ws_.a; b${sb.buf} = ws_.b;`,
    `  const c_ = ws_.c;`,
    ...out,
    `};`,
  ].join("\n");
}
