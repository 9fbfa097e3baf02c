/**
 * The tiled form of a contraction on WebGL: each GPU.js thread computes four consecutive outputs
 * C[b, i, j … j+3] (one RGBA texel of the output texture, `returnType: "Array(4)"`) and reads its
 * operands a texel — four float32 values — at a time.
 *
 * Why (what TF.js's packed matmul does, and what the dot form lacks): GPU.js stores a float32 array
 * as four values per RGBA texel, but its scalar read `b[i]` turns every element into a texture fetch
 * behind two integer divisions and a channel select; a dot loop of one output per thread makes
 * 2·K such reads per output. Here the dot loop is a GLSL function (a GPU.js native function) over
 * `texelFetch`: per four steps of k it fetches one texel of A's row (k … k+3) and four texels of B
 * (rows k … k+3 at columns j … j+3, or columns j … j+3 at rows k … k+3 when B is stored
 * transposed) for 16 multiply-adds — 5 fetches instead of 32. Misaligned operands (a row length
 * or offset not a multiple of 4) read element by element from the same texels, and a k that is not
 * a multiple of 4 ends in a scalar tail loop.
 *
 * The native function reads the input textures by the names GPU.js gives its kernel arguments
 * (`user_b<i>` and `user_b<i>Size`), which every WebGL kernel of GPU.js 2.x declares. Every value
 * it reads must hold four values per texel: host arrays (GPU.js uploads them so), memory-optimized
 * kernel outputs (gpujs-runtime.ts creates every scalar WebGL kernel with `optimizeFloatMemory`)
 * and tiled outputs (RGBA, relabeled as memory-optimized textures by gpujs.ts).
 *
 * Applies when each operand is a plain load of an input (through the packing's edge guards: the
 * clamped row index and `where(row < m, x, 0)`, the identity for the rows a thread computes), the
 * output rows have a multiple of 4 columns, and the epilogue reads only the tile: what else is
 * fused stays in the dot form. Each lane's epilogue is the kernel's own epilogue statements,
 * renamed per lane, with the register read replaced by the lane of the dot product.
 */
import { MR, NR } from "../../lower-contraction.js";
import { type Operand } from "../../kernel.js";
import { opNote } from "../../render/base.js";
import type { ContractionAnalysis } from "./gpujs-contraction.js";
import { type Affine, type Defs, type GpujsKernelSource, OFFSET, type PassThrough, type Rename, affineOf, op, operand } from "./gpujs-stmts.js";

/** Outputs per thread in the tiled form: one RGBA texel. */
export const TILE_LANES = 4;

/** The GLSL function computing a thread's four dot products. */
const DOT = "tile_dot";

/** An operand as a strided view of one input: element (batch, x, p) at off + batch·sb + x·sx + p·sp (x: A's row or B's column). */
interface Strided {
  readonly buf: number;
  readonly off: number;
  readonly sb: number;
  readonly sx: number;
  readonly sp: number;
}

/** The tile coordinate one packing nest runs over: `outer`·tile + `inner`, below `extent` for the threads' outputs. */
interface TileAxis {
  readonly outer: string;
  readonly inner: string;
  readonly tile: number;
  readonly extent: number;
}

const sameMap = (a: Affine, want: ReadonlyMap<string, number>) =>
  [...new Set([...a.keys(), ...want.keys()])].every((key) => (a.get(key) ?? 0) === (want.get(key) ?? 0));

/**
 * The packed value of one operand as a strided load, or null when the packing computes something
 * (a fused prologue): then the contraction keeps the dot form.
 */
function stridedOperand(value: Operand, defs: Defs, batchVar: string, axis: TileAxis, kVar: string): Strided | null {
  const coordinate = new Map([[axis.outer, axis.tile], [axis.inner, 1]]);
  const isCoordinate = (o: Operand | undefined) => {
    const a = o ? affineOf(o, defs) : null;
    return a !== null && sameMap(a, coordinate);
  };
  // The packing's clamp of the coordinate is the identity for coordinates below the extent.
  const through: PassThrough = (v) => (v.alu === "clamp" && v.param?.[0] !== undefined && v.param[0] <= 0 && v.param[1]! >= axis.extent - 1 && isCoordinate(v.args[0]) ? v.args[0]! : null);
  let v = value;
  for (;;) {
    if (v.k !== "local") return null;
    const d = defs.get(v.name);
    if (d?.op === "load") {
      if (d.dtype !== "float32") return null;
      const c = affineOf(d.index, defs, through);
      if (!c || [...c.keys()].some((key) => ![OFFSET, batchVar, axis.outer, axis.inner, kVar].includes(key))) return null;
      const sx = c.get(axis.inner) ?? 0;
      if ((c.get(axis.outer) ?? 0) !== axis.tile * sx) return null;
      return { buf: d.buf, off: c.get(OFFSET) ?? 0, sb: c.get(batchVar) ?? 0, sx, sp: c.get(kVar) ?? 0 };
    }
    // where(coordinate < L, x, 0) with L ≥ the extent: x for every output a thread computes.
    if (d?.op !== "alu" || d.alu !== "where") return null;
    const [cond, x, zero] = d.args;
    const guard = cond?.k === "local" ? defs.get(cond.name) : undefined;
    if (guard?.op !== "alu" || guard.alu !== "lt" || !x || zero?.k !== "const" || zero.value !== 0) return null;
    const [coordinate, bound] = guard.args;
    if (bound?.k !== "const" || bound.value < axis.extent || !isCoordinate(coordinate)) return null;
    v = x;
  }
}

/** Whether the four elements x … x+3 (along a unit stride) always start a texel. */
const aligned = (s: Strided, unit: "sx" | "sp") => s[unit] === 1 && [s.off, s.sb, unit === "sx" ? s.sp : s.sx].every((v) => v % 4 === 0);

/**
 * GLSL readers of input `buf`: its texel t, and its element e (a channel of texel e / 4). The row
 * of texel t is a float division: exact for t < 2^23 ((t + 0.5) / w is at least 0.5 / w away from
 * an integer, more than its rounding error), and buffers hold < 2^24 values, < 2^22 texels; an
 * integer division is several times slower on a software rasterizer (no SIMD integer divide).
 */
function readers(buf: number): string {
  const u = `user_b${buf}`;
  return [
    `vec4 tx_b${buf}(int t) { int w = ${u}Size.x; int y = int((float(t) + 0.5) / float(w)); return texelFetch(${u}, ivec2(t - y * w, y), 0); }`,
    `float ld_b${buf}(int e) { return tx_b${buf}(e >> 2)[e & 3]; }`,
  ].join("\n");
}

/** The GLSL dot function: the thread's (batch, i, j), then acc[c] = Σ_p A(i, p) · B(p, j + c). */
function dotSource(A: Strided, B: Strided, m: number, n: number, kk: number): string {
  const k4 = Math.floor(kk / 4);
  const a = (p: string) => `ld_b${A.buf}(ea + (${p}) * ${A.sp})`;
  const bRow = (p: string) => `vec4(${[0, 1, 2, 3].map((c) => `ld_b${B.buf}(eb + (${p}) * ${B.sp} + ${c * B.sx})`).join(", ")})`;
  const aVec = aligned(A, "sp") ? `tx_b${A.buf}((ea >> 2) + q)` : `vec4(${[0, 1, 2, 3].map((d) => a(`p + ${d}`)).join(", ")})`;
  const step = aligned(B, "sx")
    ? [0, 1, 2, 3].map((d) => `    acc += a.${"xyzw"[d]} * tx_b${B.buf}((eb + (p + ${d}) * ${B.sp}) >> 2);`)
    : aligned(B, "sp")
      ? [`    acc += vec4(${[0, 1, 2, 3].map((c) => `dot(a, tx_b${B.buf}(((eb + ${c * B.sx}) >> 2) + q))`).join(", ")});`]
      : [0, 1, 2, 3].map((d) => `    acc += a.${"xyzw"[d]} * ${bRow(`p + ${d}`)};`);
  const bufs = [...new Set([A.buf, B.buf])];
  return [
    ...bufs.map(readers),
    `vec4 ${DOT}() {`,
    `  int o = threadId.x * ${TILE_LANES};`,
    `  int bt = o / ${m * n}; int r = o - bt * ${m * n}; int i = r / ${n}; int j = r - i * ${n};`,
    `  int ea = ${A.off} + bt * ${A.sb} + i * ${A.sx};`,
    `  int eb = ${B.off} + bt * ${B.sb} + j * ${B.sx};`,
    `  vec4 acc = vec4(0.0);`,
    `  for (int q = 0; q < ${k4}; q++) {`,
    `    int p = q * 4;`,
    `    vec4 a = ${aVec};`,
    ...step,
    `  }`,
    ...(kk % 4 === 0 ? [] : [`  for (int p = ${k4 * 4}; p < ${kk}; p++) {`, `    acc += ${a("p")} * ${bRow("p")};`, `  }`]),
    `  return acc;`,
    `}`,
  ].join("\n");
}

/**
 * The tiled GPU.js kernel of an analyzed contraction, or null when it does not apply (the caller
 * renders the dot form).
 * @example
 * renderTiledGpujs(analysis)?.native?.source; // "vec4 tx_b2(int t) { … texelFetch(user_b2, …) … vec4 tile_dot() { …"
 */
export function renderTiledGpujs(c: ContractionAnalysis): GpujsKernelSource | null {
  const { k, P, defs, lets, out, m, n, size, inputs } = c;
  const [a0, a1, aP] = c.a, [b0, bP, b2] = c.b;
  if (n % TILE_LANES !== 0) return null;
  const A = stridedOperand(P.aStore.value, defs, P.lb.var, { outer: a0.var, inner: a1.var, tile: MR, extent: m }, aP.var);
  const B = stridedOperand(P.bStore.value, defs, P.lb.var, { outer: b0.var, inner: b2.var, tile: NR, extent: n }, bP.var);
  if (!A || !B) return null;

  // The lets the stored value needs (the epilogue and its index arithmetic), in program order.
  const needed = new Set<string>();
  const need = (o: Operand) => {
    if (o.k !== "local" || needed.has(o.name)) return;
    const d = defs.get(o.name);
    if (!d) return;
    needed.add(o.name);
    if (d.op === "alu") d.args.forEach(need);
    else if (d.op === "load") need(d.index);
  };
  need(out.value);

  const lines = [`  const d = ${DOT}();`];
  const results: string[] = [];
  for (let lane = 0; lane < TILE_LANES; lane++) {
    const r: Rename = (name) => `${name}_${lane}`;
    const gid = r("gid"), row = r("row"), col = r("col");
    lines.push(
      `  const ${gid} = this.thread.x * ${TILE_LANES} + ${lane};`,
      `  const ${r(P.lb.var)} = Math.floor(${gid} / ${m * n});`,
      `  const ${row} = Math.floor(${gid} / ${n}) % ${m};`,
      `  const ${col} = ${gid} % ${n};`,
      `  const ${r(P.li.var)} = Math.floor(${row} / ${MR});`,
      `  const ${r(P.epilogue.var)} = ${row} % ${MR};`,
      `  const ${r(P.tiles.var)} = Math.floor(${col} / ${NR});`,
      `  const ${r(P.epilogueJ.var)} = ${col} % ${NR};`,
      `  const ${r(a0.var)} = ${r(P.li.var)};`,
      `  const ${r(a1.var)} = ${r(P.epilogue.var)};`,
      `  const ${r(b0.var)} = ${r(P.tiles.var)};`,
      `  const ${r(b2.var)} = ${r(P.epilogueJ.var)};`,
      ...lets.filter((st) => needed.has(st.name)).map((st) => `  const ${r(st.name)} = ${op(st.value, () => `d[${lane}]`, r)};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`),
    );
    results.push(operand(out.value, r));
  }
  lines.push(`  return [${results.join(", ")}];`);
  const source = [`function ${k.name}(${inputs.map((i) => `b${i}`).join(", ")}) {`, ...lines, `}`].join("\n");
  return { name: k.name, source, size, inputs, lanes: TILE_LANES, native: { name: DOT, source: dotSource(A, B, m, n, P.kk) } };
}
