/**
 * The tiled form of a contraction on WebGL, in two GPU.js kernels.
 *
 * The block kernel: each thread computes a 4×4 block of outputs C[b, 4I … 4I+3, j … j+3] in a GLSL
 * function over texel reads (a GPU.js native function): per four steps of k it fetches four
 * texels of A and four of B for 64 multiply-adds. On a software rasterizer a matmul's time is its
 * texture fetches (measured on SwiftShader: with the same inputs, this form ran 3–9x faster than
 * four outputs per thread at 5 fetches per 16 multiply-adds, whose remaining cost GPU.js's per-call
 * work did not explain), so multiply-adds per fetch is what the form maximizes under the render
 * targets WebGL2 guarantees (4): a fragment writes one RGBA texel per target, so the block's four
 * rows are four targets — a GPU.js kernel map whose result is row 0 and whose subkernels return
 * rows 1 … 3.
 *
 * The epilogue kernel: each thread owns four consecutive outputs (one RGBA texel of its output,
 * `returnType: "Array(4)"`), reads them from the target of their row (one fetch) and runs the
 * kernel's own epilogue statements per lane, renamed, with the register read replaced by the lane.
 * Its output has the layout of every other WebGL kernel's (four values per texel, in order).
 *
 * The native functions read the input textures by the names GPU.js gives its kernel arguments
 * (`user_<arg>` and `user_<arg>Size`), which every WebGL kernel of GPU.js 2.x declares. Every value
 * they read must hold four values per texel: host arrays (GPU.js uploads them so), memory-optimized
 * kernel outputs (gpujs-runtime.ts creates every scalar WebGL kernel with `optimizeFloatMemory`),
 * epilogue outputs (relabeled as memory-optimized textures by gpujs.ts) and block targets.
 *
 * The block loop reads aligned operands at texel coordinates computed once per thread (the direct
 * loop) where the textures' layouts allow, else at wrapped coordinates or by flat index
 * (directLoads); a test of the textures' widths alone that implies the direct loop for every thread
 * comes first, which the shader compiler folds (GPU.js's sizes are constants), so W2's square
 * products compile to the direct loop alone.
 *
 * Applies when each operand is a load of an input (through the packing's edge guards: the
 * clamped row index and `where(row < m, x, 0)`, the identity for the rows a thread computes) under
 * an elementwise prologue of exact ops with constants or scalar inputs (relu's max(x, 0), neg, abs,
 * add, sub, mul, min: applied to every fetched value, float or vec4) and the epilogue reads only
 * the tile: what else is fused stays in the dot form. Any n: where n is not
 * a multiple of 4, the last block of a row reads its columns past n as column n − 1 (their outputs
 * are never read), and an epilogue thread's four outputs, which may then span rows, are gathered
 * lane by lane (four fetches instead of one).
 */
import { MR, NR } from "../../lower-contraction.js";
import { type Op, type Operand } from "../../kernel.js";
import { opNote } from "../../render/base.js";
import type { ContractionAnalysis } from "./gpujs-contraction.js";
import { type Affine, type BlockLayout, type Defs, type GpujsKernelSource, OFFSET, type PassThrough, type Rename, affineOf, op, operand } from "./gpujs-stmts.js";

/** Outputs per thread of the epilogue kernel, and per row of a block: one RGBA texel. */
export const TILE_LANES = 4;
/**
 * Rows of a block kernel thread: one render target each. WebGL2 guarantees 4 draw buffers;
 * where the context has 8 (SwiftShader does), 8×4 blocks take 12 fetches per 128 multiply-adds
 * (measured 1.2–1.9x faster than 4×4 on SwiftShader at n = 512 and 256).
 */
export type BlockRows = 4 | 8;

/** The GLSL functions computing a thread's block, and reading an epilogue thread's four outputs. */
const BLOCK = "tile_block", OUT = "tile_out";
/** The GLSL functions applying A's and B's elementwise prologues to fetched values. */
const PRO_A = "tile_pro_a", PRO_B = "tile_pro_b";
/** The epilogue kernel's last arguments: the block kernel's targets, row r of every block in `bk<r>`. */
export const blockArgs = (rows: number): string[] => Array.from({ length: rows }, (_, r) => `bk${r}`);
/**
 * The most texels of a buffer whose block loop may read it at wrapped coordinates (directLoads):
 * U = (t + 0.5) / w computed as (t₀ + 0.5) · (1 / w) + q · (S / w) is off by at most ~2 · U · 2^-23
 * (the reciprocal's, the products' and the sum's roundings), below the 0.5 / w that keeps floor(U)
 * (its row) and fract(U) · w (its column) on the texel for t < 2^21; half that, for margin.
 */
const WRAP_TEXELS = 1 << 20;
/** Texture units an epilogue kernel may bind: WebGL2 guarantees 16 per fragment shader. */
const TEXTURE_UNITS = 16;

/** An operand as a strided view of one input: element (batch, x, p) at off + batch·sb + x·sx + p·sp (x: A's row or B's column). */
interface Strided {
  readonly buf: number;
  readonly off: number;
  readonly sb: number;
  readonly sx: number;
  readonly sp: number;
  /** The elementwise prologue on each loaded element, innermost first (empty: the plain load). */
  readonly pro: readonly ProStep[];
}

/** The elementwise ops a block kernel applies to the values it fetches, each exact in float32 and componentwise on vec4. */
const PROLOGUE_OPS = ["neg", "abs", "add", "sub", "mul", "max", "min"] as const;
type ProOp = (typeof PROLOGUE_OPS)[number];
/**
 * One prologue step: `op(x)`, or `op(x, c)` / `op(c, x)` (`constFirst`) with c a finite literal or
 * one element of an input (a scalar operand: eager code's `np.minimum(x, 0.3)` binds 0.3 as data),
 * read once per thread.
 */
interface ProStep {
  readonly op: ProOp;
  readonly c: number | { readonly buf: number; readonly index: number };
  readonly constFirst: boolean;
}

/** The step an ALU op is, on the carried value `x` (its one operand that is neither a constant nor a scalar load), or null. */
function proStep(d: Extract<Op, { op: "alu" }>, defs: Defs): { step: ProStep; x: Operand } | null {
  const op = d.alu as ProOp;
  if (!PROLOGUE_OPS.includes(op) || d.dtype !== "float32" || d.args.some((a) => a.k === "var" || a.dtype !== "float32")) return null;
  // A float32 load at a constant index: one value for every element.
  const scalar = (a: Operand) => {
    const l = a.k === "local" ? defs.get(a.name) : undefined;
    const index = l?.op === "load" ? affineOf(l.index, defs) : null;
    return l?.op === "load" && index && [...index.keys()].every((key) => key === OFFSET) ? { buf: l.buf, index: index.get(OFFSET) ?? 0 } : null;
  };
  if (d.args.length === 1) return (op === "neg" || op === "abs") && d.args[0]!.k === "local" ? { step: { op, c: 0, constFirst: false }, x: d.args[0]! } : null;
  if (d.args.length !== 2) return null;
  for (const [xi, ci] of [[0, 1], [1, 0]] as const) {
    const x = d.args[xi]!, c = d.args[ci]!;
    if (x.k !== "local") continue;
    if (c.k === "const" && Number.isFinite(Math.fround(c.value))) return { step: { op, c: c.value, constFirst: ci === 0 }, x };
    const s = c.k === "local" ? scalar(c) : null;
    if (s && !scalar(x)) return { step: { op, c: s, constFirst: ci === 0 }, x };
  }
  return null;
}

/**
 * The GLSL of a prologue as two overloads, `float <name>(float x)` and `vec4 <name>(vec4 x)`
 * (componentwise), a scalar operand read as `scalars(step)` (a global the block function sets):
 * max/min with NumPy's NaN (NaN if either operand is; GLSL's max/min may drop it).
 */
function prologueSource(name: string, steps: readonly ProStep[], scalars: (s: ProStep) => string): string {
  const fn = (type: "float" | "vec4") => {
    const isNan = type === "float" ? "x != x" : "notEqual(x, x)";
    const lines = steps.map((st) => {
      const { op, c, constFirst } = st;
      const k = typeof c === "number" ? glslLiteral(c) : scalars(st);
      switch (op) {
        case "neg": return "x = -x;";
        case "abs": return "x = abs(x);";
        case "add": return `x = x + ${k};`;
        case "sub": return constFirst ? `x = ${k} - x;` : `x = x - ${k};`;
        case "mul": return `x = x * ${k};`;
        case "max": case "min":
          return typeof c === "number"
            ? `x = mix(${op}(x, ${k}), x, ${isNan});`
            : `x = mix(${op}(x, ${k}), x + ${k}, ${k} != ${k} ? ${type === "float" ? "true" : "bvec4(true)"} : ${isNan});`;
      }
    });
    return `${type} ${name}(${type} x) { ${lines.join(" ")} return x; }`;
  };
  return `${fn("float")}\n${fn("vec4")}`;
}

/** A finite float32 constant as a GLSL float literal. */
function glslLiteral(v: number): string {
  const f = Math.fround(v);
  if (Object.is(f, -0)) return "(-0.0)";
  const text = String(f), withPoint = /[.e]/.test(text) ? text : `${text}.0`;
  return f < 0 ? `(${withPoint})` : withPoint;
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
 * The packed value of one operand as a strided load under an elementwise prologue of exact
 * componentwise ops with constants (relu's max(x, 0), a scale, a shift: `ProStep`), or null when the
 * packing computes anything else (then the contraction keeps the dot form).
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
  const pro: ProStep[] = [];
  for (;;) {
    if (v.k !== "local") return null;
    const d = defs.get(v.name);
    const step = d?.op === "alu" ? proStep(d, defs) : null;
    if (step) {
      pro.unshift(step.step);
      v = step.x;
      continue;
    }
    if (d?.op === "load") {
      if (d.dtype !== "float32") return null;
      const c = affineOf(d.index, defs, through);
      if (!c || [...c.keys()].some((key) => ![OFFSET, batchVar, axis.outer, axis.inner, kVar].includes(key))) return null;
      const sx = c.get(axis.inner) ?? 0;
      if ((c.get(axis.outer) ?? 0) !== axis.tile * sx) return null;
      return { buf: d.buf, off: c.get(OFFSET) ?? 0, sb: c.get(batchVar) ?? 0, sx, sp: c.get(kVar) ?? 0, pro };
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
 * GLSL readers of the texture argument `arg` (`b<i>` or a block target): its texel t, and its
 * element e (a channel of texel e / 4). The row of texel t is (t + 0.5) times the reciprocal of
 * the width, truncated: (t + 0.5) / w is at least 0.5 / w away from an integer, and the product's
 * relative error (the reciprocal's and the product's roundings, 2^-23 in all) keeps it on the same
 * side for t + 0.5 < 2^22 — buffers hold < 2^24 values, < 2^22 texels. An integer division is
 * several times slower on a software rasterizer (no SIMD integer divide), a float division ~10%
 * slower than the multiply, and stepping the coordinates incrementally (a compare and select per
 * fetch) slower still (all measured on SwiftShader). These reads stay `texelFetch`: `texture()` at
 * the texel's center needs its normalized coordinates, two more divisions per fetch here, and
 * measured no faster in raw flat-index 8×4 block shaders (session 29; directLoads() computes them
 * once per thread instead).
 */
function readers(arg: string): string {
  const u = `user_${arg}`;
  return [
    `ivec2 at_${arg}(int t) { int w = ${u}Size.x; int y = int((float(t) + 0.5) * (1.0 / float(w))); return ivec2(t - y * w, y); }`,
    `vec4 tx_${arg}(int t) { return texelFetch(${u}, at_${arg}(t), 0); }`,
    `float ld_${arg}(int e) { return tx_${arg}(e >> 2)[e & 3]; }`,
  ].join("\n");
}

/** The inputs a block kernel reads: its operands and their prologues' scalar operands, in order. */
const blockBuffers = (A: Strided, B: Strided): number[] =>
  [...new Set([A.buf, B.buf, ...[...A.pro, ...B.pro].flatMap((st) => (typeof st.c === "number" ? [] : [st.c.buf]))])].sort((x, y) => x - y);

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const vec4Of = (f: (c: number) => string) => `vec4(${range(4).map(f).join(", ")})`;
const mat4Of = (f: (c: number) => string) => `mat4(${range(4).map(f).join(", ")})`;

/**
 * The GLSL of the block kernel: thread t computes the `rows` × 4 block of outputs C[b, rows·I + r,
 * j … j+3] as `tile_block()` (row 0, the kernel's result) and `tile_row<r>()` (rows 1…3, its
 * subkernels' results, kept in globals: a GLSL function returns one value). Per four steps of k it
 * reads four texels of A and four of B for 64 multiply-adds — 8 fetches where four threads of the
 * row form took 20. A as rows (p … p+3 of row i in a texel), as columns (rows i … i+3 at one p, A
 * stored transposed) or element by element; B likewise; rows past m repeat row m − 1 (their
 * outputs are never read).
 */
function blockSource(A: Strided, B: Strided, m: number, n: number, kk: number, rows: BlockRows, direct: boolean, sizes: (buf: number) => number): string {
  const k4 = Math.floor(kk / 4), mb = Math.ceil(m / rows), n4 = Math.ceil(n / TILE_LANES);
  // n not a multiple of 4: the last block's columns past n read column n − 1 (ebc<c>, clamped),
  // so no read leaves B; lane c of a block's sums reads only column j + c, so they cannot reach
  // the columns below n. Whole texels along B's rows (sx = 1) always hold column j < n: unclamped.
  const ragged = n % TILE_LANES !== 0;
  const col = (c: number) => (ragged ? `ebc${c}` : c === 0 ? "eb" : `eb + ${c * B.sx}`);
  // The operands' prologues, on every value fetched (a float or a vec4): the identity when empty.
  const fa = (e: string) => (A.pro.length ? `${PRO_A}(${e})` : e), fb = (e: string) => (B.pro.length ? `${PRO_B}(${e})` : e);
  const aRow = (r: number, p: string) => `ld_b${A.buf}(ea${r} + (${p}) * ${A.sp})`;
  const bEl = (p: string, c: number) => (ragged ? `ld_b${B.buf}(${col(c)} + (${p}) * ${B.sp})` : `ld_b${B.buf}(eb + (${p}) * ${B.sp} + ${c * B.sx})`);
  // a<r> = A(4I + r, p … p+3)
  const aLoad = aligned(A, "sp")
    ? range(rows).map((r) => `    vec4 a${r} = ${fa(`tx_b${A.buf}((ea${r} >> 2) + q)`)};`)
    : aligned(A, "sx")
      ? range(rows / 4).flatMap((g) => [
        `    mat4 at${g} = transpose(${mat4Of((d) => fa(`tx_b${A.buf}((ea${4 * g} + (p + ${d}) * ${A.sp}) >> 2)`))});`,
        ...range(4).map((r) => `    vec4 a${4 * g + r} = at${g}[${r}];`),
      ])
      : range(rows).map((r) => `    vec4 a${r} = ${fa(vec4Of((d) => aRow(r, `p + ${d}`)))};`);
  // y's column d = B(p + d, j … j+3), so y · a = Σ_d a[d] · B(p + d, j … j+3)
  const bLoad = aligned(B, "sx")
    ? `    mat4 y = ${mat4Of((d) => fb(`tx_b${B.buf}((eb + (p + ${d}) * ${B.sp}) >> 2)`))};`
    : aligned(B, "sp")
      ? `    mat4 y = transpose(${mat4Of((c) => fb(`tx_b${B.buf}(((${ragged ? col(c) : `eb + ${c * B.sx}`}) >> 2) + q)`))});`
      : `    mat4 y = ${mat4Of((d) => fb(vec4Of((c) => bEl(`p + ${d}`, c))))};`;
  // Scalar operands of the prologues: read once per thread into globals the prologue functions read.
  const scalarSteps = [...A.pro, ...B.pro].filter((st) => typeof st.c !== "number");
  const scalarName = (st: ProStep) => `tile_s${scalarSteps.indexOf(st)}`;
  const bufs = blockBuffers(A, B);
  const bCol = (c: number) => (ragged ? col(c) : `eb + ${c * B.sx}`);
  const fast = direct && k4 > 0 ? directLoads(A, B, rows, k4, fa, fb, sizes, bCol) : null;
  const macs = range(rows).map((r) => `    c${r} += y * a${r};`);
  // Two steps of q per iteration (each in its own scope), then the odd last step: the loop's own
  // work halves (measured ~10% faster on SwiftShader at n = 256 and 512, raw 8×4 block shaders).
  const step = (loads: readonly string[], ind: string, q: string) => [
    `${ind}  {`, `${ind}    int q = ${q};`, `${ind}    int p = q * 4;`, ...loads.map((l) => ind + l), ...macs.map((l) => ind + l), `${ind}  }`,
  ];
  const body = (lines: string[]) => lines.map((l) => `  ${l}`);
  const loop = (loads: readonly string[], ind: string) => [
    `${ind}  for (int q2 = 0; q2 < ${k4 - (k4 % 2)}; q2 += 2) {`,
    ...body(step(loads, ind, "q2")),
    ...body(step(loads, ind, "q2 + 1")),
    `${ind}  }`,
    ...(k4 % 2 ? step(loads, ind, String(k4 - 1)) : []),
  ];
  // Where the textures' widths alone make every thread direct (`fast.every`, tested first: GPU.js
  // declares input sizes as constants), the compiler folds the test and drops the wrapped loop.
  const mainLoop = fast
    ? [...fast.setup, `  if (${fast.every ? `(${fast.every}) || direct` : "direct"}) {`, ...loop(fast.loads(aLoad, bLoad), "  "), `  } else {`, ...loop(fast.wrapped(aLoad, bLoad), "  "), `  }`]
    : loop([...aLoad, bLoad], "");
  return [
    ...bufs.map((b) => readers(`b${b}`)),
    ...(scalarSteps.length ? [`float ${scalarSteps.map(scalarName).join(", ")};`] : []),
    ...(A.pro.length ? [prologueSource(PRO_A, A.pro, scalarName)] : []),
    ...(B.pro.length ? [prologueSource(PRO_B, B.pro, scalarName)] : []),
    `vec4 ${range(rows - 1).map((r) => `tile_c${r + 1}`).join(", ")};`,
    ...range(rows - 1).map((r) => `vec4 tile_row${r + 1}() { return tile_c${r + 1}; }`),
    `vec4 ${BLOCK}() {`,
    `  int t = threadId.x;`,
    ...scalarSteps.map((st) => { const c = st.c as { buf: number; index: number }; return `  ${scalarName(st)} = ld_b${c.buf}(${c.index});`; }),
    `  int bt = t / ${mb * n4}; int r = t - bt * ${mb * n4}; int ib = r / ${n4}; int j = (r - ib * ${n4}) * ${TILE_LANES};`,
    ...range(rows).map((r) => `  int ea${r} = ${A.off} + bt * ${A.sb} + min(ib * ${rows} + ${r}, ${m - 1}) * ${A.sx};`),
    `  int eb = ${B.off} + bt * ${B.sb} + j * ${B.sx};`,
    ...(ragged ? range(TILE_LANES).map((c) => `  int ebc${c} = ${B.off} + bt * ${B.sb} + min(j + ${c}, ${n - 1}) * ${B.sx};`) : []),
    `  vec4 ${range(rows).map((r) => `c${r} = vec4(0.0)`).join(", ")};`,
    ...mainLoop,
    ...(kk % 4 === 0 ? [] : [
      `  for (int p = ${k4 * 4}; p < ${kk}; p++) {`,
      `    vec4 yp = ${fb(vec4Of((c) => bEl("p", c)))};`,
      ...range(rows).map((r) => `    c${r} += ${fa(aRow(r, "p"))} * yp;`),
      `  }`,
    ]),
    ...range(rows - 1).map((r) => `  tile_c${r + 1} = c${r + 1};`),
    `  return c0;`,
    `}`,
  ].join("\n");
}

/**
 * The direct-coordinate loads of the block loop, where the operands' layouts allow them: a fetch
 * at texel coordinates stepped from ones computed once per thread instead of each fetch's flat
 * index → (x, y) (a float multiply, two conversions and an integer multiply-subtract per fetch;
 * TF.js-style direct coordinates measured ~1.45x faster on SwiftShader, session 25). A as rows:
 * row r's k/4 texels are x … x + k/4 − 1 of one texture row when they do not cross its end (per
 * thread). B as rows: the texel of B(p + d, j … j+3) moves by 4·sp/4 texels per step of q, whole
 * texture rows when the texture's width divides that (uniform). `direct` is false where a thread's
 * layout does not allow it: that thread reads the aligned operands at **wrapped** coordinates
 * (W3's 784-sided products, in GPU.js's near-square textures): texel t's U = (t + 0.5) / w,
 * computed once per thread and stepped by a float multiply-add per step of q, gives its row floor(U)
 * and its column's normalized coordinate fract(U) — four float ops per fetch instead of the flat
 * index's integer arithmetic (buffers of at most `WRAP_TEXELS`; larger ones, and misaligned
 * operands, read by flat index). Same texels, same arithmetic: bit-identical results. The fetches are `texture()` reads at texel centers ((x + 0.5) / w,
 * (y + 0.5) / h: every GPU.js texture samples NEAREST with one level, so that is the texel itself),
 * their normalized coordinates computed once per thread and stepped by one float add per step of q:
 * on SwiftShader ~1.6x faster than `texelFetch` at the same texels (raw 8×4 block shaders, n = 256
 * and 512, session 29).
 * `every`: a test of the textures' widths alone that implies `direct` for every thread — A's rows
 * start at texel multiples of g = gcd(off, sb, sx) / 4 ≥ k/4, so where the width is a multiple of
 * g none crosses its end; B's step is whole texture rows — or null (no such test: A's rows may
 * cross the edge whatever the width). GPU.js declares every texture argument's size as an
 * initialized constant of the kernel's source (`ivec2 user_b2Size = ivec2(128, 128)`; it
 * compiles a kernel per argument size), so the shader compiler folds `every || direct` to true
 * and drops the per-thread checks and the wrapped loop: the raw block shaders on SwiftShader
 * (bench/src/webgl-block-raw.ts) took 5–8% less CPU at n = 256 and 7–8% at n = 512 than with both
 * loops, as the direct loop alone (session 31; bench/README.md).
 * Null when neither operand has such a layout.
 */
function directLoads(
  A: Strided, B: Strided, rows: BlockRows, k4: number, fa: (e: string) => string, fb: (e: string) => string, sizes: (buf: number) => number,
  bCol: (c: number) => string,
): { setup: string[]; loads: (a: readonly string[], b: string) => string[]; wrapped: (a: readonly string[], b: string) => string[]; every: string | null } | null {
  const aRows = aligned(A, "sp"), bRows = aligned(B, "sx");
  // Wrapped coordinates (below) where the buffer has at most 2^20 texels: for rows, and for operands
  // stored transposed (A: rows 4g … 4g+3 in a texel, B: columns as texels along k).
  const small = (buf: number) => sizes(buf) <= 4 * WRAP_TEXELS;
  const wrapA = aRows && small(A.buf), wrapB = bRows && small(B.buf);
  const colsA = !aRows && aligned(A, "sx") && small(A.buf), colsB = !bRows && aligned(B, "sp") && small(B.buf);
  if (!aRows && !bRows && !colsA && !colsB) return null;
  const ua = `user_b${A.buf}`, ub = `user_b${B.buf}`, step = B.sp; // texels per step of q: 4 · sp / 4
  const setup = [`  bool direct = true;`];
  if (colsA) {
    setup.push(`  vec2 sa = 1.0 / vec2(${ua}Size);`, `  float sqa = float(${A.sp}) * sa.x;`);
    setup.push(...range(rows / 4).flatMap((g) => range(4).map((d) => `  float uc${g}_${d} = (float((ea${4 * g} >> 2) + ${(d * A.sp) / 4}) + 0.5) * sa.x;`)));
  }
  if (colsB) {
    setup.push(`  vec2 sb = 1.0 / vec2(${ub}Size);`, ...range(4).map((c) => `  float ubc${c} = (float((${bCol(c)}) >> 2) + 0.5) * sb.x;`));
  }
  if (aRows) {
    setup.push(...range(rows).map((r) => `  ivec2 pa${r} = at_b${A.buf}(ea${r} >> 2);`));
    setup.push(`  direct = direct && ${range(rows).map((r) => `pa${r}.x + ${k4} <= ${ua}Size.x`).join(" && ")};`);
    setup.push(`  vec2 sa = 1.0 / vec2(${ua}Size);`, ...range(rows).map((r) => `  vec2 fa${r} = (vec2(pa${r}) + 0.5) * sa;`));
    if (wrapA) setup.push(...range(rows).map((r) => `  float ua${r} = (float(ea${r} >> 2) + 0.5) * sa.x;`));
  }
  if (bRows) {
    setup.push(`  int dyb = ${step} / ${ub}Size.x;`, `  direct = direct && dyb * ${ub}Size.x == ${step};`);
    setup.push(...range(4).map((d) => `  ivec2 pb${d} = at_b${B.buf}((eb >> 2) + ${(d * B.sp) / 4});`));
    setup.push(`  vec2 sb = 1.0 / vec2(${ub}Size);`, ...range(4).map((d) => `  vec2 fb${d} = (vec2(pb${d}) + 0.5) * sb;`));
    if (wrapB) setup.push(`  float sq = float(${step}) * sb.x;`, ...range(4).map((d) => `  float ub${d} = (float((eb >> 2) + ${(d * B.sp) / 4}) + 0.5) * sb.x;`));
  }
  // U = (t + 0.5) / w for texel t: its row is floor(U), its column's normalized coordinate fract(U).
  const at = (side: "a" | "b", U: string) => `texture(${side === "a" ? ua : ub}, vec2(fract(${U}), (floor(${U}) + 0.5) * s${side}.y))`;
  // Operands stored transposed, wrapped in both loops: A's texel of rows 4g … at p + d moves by sp texels per q, B's column c by one.
  const colLoadsA = [
    `    float qac = float(q) * sqa;`,
    ...range(rows / 4).flatMap((g) => [
      `    mat4 at${g} = transpose(${mat4Of((d) => fa(at("a", `(uc${g}_${d} + qac)`)))});`,
      ...range(4).map((r) => `    vec4 a${4 * g + r} = at${g}[${r}];`),
    ]),
  ];
  const colLoadB = [`    float qbc = float(q) * sb.x;`, `    mat4 y = transpose(${mat4Of((c) => fb(at("b", `(ubc${c} + qbc)`)))});`];
  const aOther = (a: readonly string[]) => (colsA ? colLoadsA : a), bOther = (b: string) => (colsB ? colLoadB : [b]);
  const loads = (a: readonly string[], b: string) => [
    ...(aRows ? [`    float qa = float(q) * sa.x;`, ...range(rows).map((r) => `    vec4 a${r} = ${fa(`texture(${ua}, vec2(fa${r}.x + qa, fa${r}.y))`)};`)] : aOther(a)),
    ...(bRows ? [`    float qb = float(q * dyb) * sb.y;`, `    mat4 y = ${mat4Of((d) => fb(`texture(${ub}, vec2(fb${d}.x, fb${d}.y + qb))`))};`] : bOther(b)),
  ];
  const wrapped = (a: readonly string[], b: string) => [
    ...(wrapA ? [`    float qa = float(q) * sa.x;`, ...range(rows).map((r) => `    vec4 a${r} = ${fa(at("a", `(ua${r} + qa)`))};`)] : aOther(a)),
    ...(wrapB ? [`    float qb = float(q) * sq;`, `    mat4 y = ${mat4Of((d) => fb(at("b", `(ub${d} + qb)`)))};`] : bOther(b)),
  ];
  // Every row of A starts at a multiple of g texels (aligned: off, sb and sx are multiples of 4).
  const g = [A.off, A.sb, A.sx].reduce((x, v) => gcd(x, v / 4), 0);
  const every = [
    ...(aRows ? [g >= k4 ? `${ua}Size.x % ${g} == 0` : null] : []),
    ...(bRows ? [`${step} % ${ub}Size.x == 0`] : []),
  ];
  return { setup, loads, wrapped, every: every.length && every.every((e) => e !== null) ? every.join(" && ") : null };
}

/** The greatest common divisor of two non-negative integers (gcd(0, v) = v). */
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The GLSL of the epilogue kernel's read: thread t's four outputs 4t … 4t+3, from the block target
 * of their row — one texel where n is a multiple of 4; else lane by lane (the four may span rows
 * and blocks), the last thread's lanes past the `size` outputs reading the last output.
 */
function outSource(m: number, n: number, rows: BlockRows, size: number): string {
  const mb = Math.ceil(m / rows), n4 = Math.ceil(n / TILE_LANES), args = blockArgs(rows);
  const pick = range(rows - 1).map((r) => `s == ${r} ? tx_${args[r]}(t) : `).join("");
  if (n % TILE_LANES !== 0) {
    return [
      ...args.map((a) => readers(a)),
      `float tile_lane(int o) {`,
      `  int bt = o / ${m * n}; int r = o - bt * ${m * n}; int i = r / ${n}; int j = r - i * ${n};`,
      `  int t = (bt * ${mb} + i / ${rows}) * ${n4} + j / ${TILE_LANES}; int s = i - (i / ${rows}) * ${rows};`,
      `  return (${pick}tx_${args[rows - 1]}(t))[j & 3];`,
      `}`,
      `vec4 ${OUT}() {`,
      `  int o = threadId.x * ${TILE_LANES};`,
      `  return ${vec4Of((l) => `tile_lane(min(o + ${l}, ${size - 1}))`)};`,
      `}`,
    ].join("\n");
  }
  return [
    ...args.map((a) => readers(a)),
    `vec4 ${OUT}() {`,
    `  int o = threadId.x * ${TILE_LANES};`,
    `  int bt = o / ${m * n}; int r = o - bt * ${m * n}; int i = r / ${n}; int j = r - i * ${n};`,
    `  int t = (bt * ${mb} + i / ${rows}) * ${n4} + j / ${TILE_LANES}; int s = i - (i / ${rows}) * ${rows};`,
    `  return ${pick}tx_${args[rows - 1]}(t);`,
    `}`,
  ].join("\n");
}

/** The block kernel: GPU.js's kernel map writes its result (row 0) and one subkernel's per further row (WebGL2 render targets). */
function blockKernel(name: string, inputs: readonly number[], size: number, glsl: string, blockRows: BlockRows): GpujsKernelSource {
  const rows = range(blockRows - 1).map((r) => r + 1);
  const source = [`function ${name}(${inputs.map((i) => `b${i}`).join(", ")}) {`, `  const c0 = ${BLOCK}();`, ...rows.map((r) => `  tile_r${r}(tile_row${r}());`), `  return c0;`, `}`].join("\n");
  return {
    name, source, size, inputs, lanes: TILE_LANES,
    targets: rows.map((r) => `function tile_r${r}(v) {\n  return v;\n}`),
    // The row getters read globals declared in the block function's source, so they are defined
    // there too (GPU.js emits native sources in an order of its own): their own sources are empty.
    natives: [{ name: BLOCK, source: glsl }, ...rows.map((r) => ({ name: `tile_row${r}`, source: "" }))],
  };
}

/**
 * The tiled GPU.js kernel of an analyzed contraction — the epilogue kernel, whose `partials` is
 * the block kernel run first — or null when it does not apply (the caller renders the dot form).
 * @example
 * const r = renderTiledGpujs(analysis);
 * r?.partials?.natives?.[0]?.source; // "vec4 tx_b2(int t) { … texelFetch(user_b2, …) … vec4 tile_block() { …"
 * r?.source; // "function matmul_…(b2, b4, bk0, bk1, bk2, bk3) {\n  const d = tile_out(); …"
 */
export function renderTiledGpujs(c: ContractionAnalysis, maxRows: BlockRows = 4, directFetch = true): GpujsKernelSource | null {
  const { k, P, defs, lets, out, m, n, size, inputs } = c;
  const [a0, a1, aP] = c.a, [b0, bP, b2] = c.b;
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

  // Loads whose four lanes read one aligned texel (a bias along the columns, the parameter an
  // update subtracts from): one fetch per thread, in a native function, instead of four reads.
  const laneVars = { lb: P.lb.var, li: [P.li.var, a0.var], ei: [P.epilogue.var, a1.var], tj: [P.tiles.var, b0.var], ej: [P.epilogueJ.var, b2.var] };
  const texelLoads = new Map<string, { buf: number; glsl: string }>();
  for (const name of needed) {
    const d = defs.get(name);
    if (d?.op !== "load" || d.dtype !== "float32") continue;
    const glsl = texelLoad(d.buf, affineOf(d.index, defs), laneVars, m, n, `ep_${name}`);
    if (glsl) texelLoads.set(name, { buf: d.buf, glsl });
  }
  const lines = [`  const d = ${OUT}();`, ...[...texelLoads.keys()].map((name) => `  const ep_${name}_v = ep_${name}();`)];
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
      ...lets.filter((st) => needed.has(st.name)).map((st) =>
        texelLoads.has(st.name)
          ? `  const ${r(st.name)} = ep_${st.name}_v[${lane}];`
          : `  const ${r(st.name)} = ${op(st.value, () => `d[${lane}]`, r)};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`),
    );
    results.push(operand(out.value, r));
  }
  lines.push(`  return [${results.join(", ")}];`);
  // Each pass takes only the inputs it reads (GPU.js uploads every host array it is passed).
  const epilogueInputs = inputs.filter((i) => [...needed].some((name) => { const d = defs.get(name); return d?.op === "load" && d.buf === i; }));
  const blockInputs = blockBuffers(A, B);
  // The epilogue binds a texture per block row besides its own inputs.
  const rows: BlockRows = maxRows === 8 && epilogueInputs.length + 8 <= TEXTURE_UNITS ? 8 : 4;
  const source = [`function ${k.name}(${[...epilogueInputs.map((i) => `b${i}`), ...blockArgs(rows)].join(", ")}) {`, ...lines, `}`].join("\n");
  const blocks = blockKernel(`${k.name}_block`, blockInputs, P.batch * Math.ceil(m / rows) * Math.ceil(n / TILE_LANES) * TILE_LANES, blockSource(A, B, m, n, P.kk, rows, directFetch, (buf) => k.params[buf]!.size), rows);
  const loadNatives = [...texelLoads].map(([name, l]) => ({ name: `ep_${name}`, source: l.glsl }));
  // The identity epilogue (a plain product: the stored value is the tile's register) only lays the blocks out.
  const stored = out.value.k === "local" ? defs.get(out.value.name) : undefined;
  const identity = stored?.op === "reg" && k.params[0]?.dtype === "float32" && size === P.batch * m * n;
  return {
    name: k.name, source, size, inputs: epilogueInputs, lanes: TILE_LANES, partials: blocks, natives: [{ name: OUT, source: outSource(m, n, rows, size) }, ...loadNatives],
    ...(identity ? { blockLayout: { batch: P.batch, m, n, rows } } : {}),
  };
}

/** The epilogue's per-lane index variables (each may appear under two names). */
interface LaneVars {
  readonly lb: string;
  readonly li: readonly string[];
  readonly ei: readonly string[];
  readonly tj: readonly string[];
  readonly ej: readonly string[];
}

/**
 * The GLSL of `fn()`, the texel holding an epilogue thread's four values of a load whose index is
 * off + Σ coeff·var over the lane variables, or null when the four lanes do not read one aligned
 * texel. Where n is a multiple of 4 (NR = 4), a thread's outputs 4t … 4t+3 share the batch, row and
 * column tile, and lane l has column-in-tile l: lane l reads index₀ + l·c with c the coefficient of
 * that variable, so c = 1 and every other coefficient and the offset a multiple of 4 make one texel.
 * Else the lanes may span rows: null (per-lane reads).
 */
function texelLoad(buf: number, index: Affine | null, v: LaneVars, m: number, n: number, fn: string): string | null {
  if (!index || NR !== TILE_LANES || n % TILE_LANES !== 0) return null;
  const known = [v.lb, ...v.li, ...v.ei, ...v.tj, ...v.ej];
  if ([...index.keys()].some((key) => key !== OFFSET && !known.includes(key))) return null;
  const coeff = (names: readonly string[]) => names.reduce((sum, name) => sum + (index.get(name) ?? 0), 0);
  const [cb, ci, ce, ct, cj, off] = [coeff([v.lb]), coeff(v.li), coeff(v.ei), coeff(v.tj), coeff(v.ej), index.get(OFFSET) ?? 0];
  if (cj !== 1 || [cb, ci, ce, ct, off].some((c) => c % 4 !== 0)) return null;
  return [
    `vec4 ${fn}() {`,
    `  int o = threadId.x * ${TILE_LANES};`,
    `  int bt = o / ${m * n}; int r = o - bt * ${m * n}; int i = r / ${n}; int j = r - i * ${n};`,
    `  int li = i / ${MR}; int tj = j / ${NR};`,
    `  int t = (${off} + bt * ${cb} + li * ${ci} + (i - li * ${MR}) * ${ce} + tj * ${ct}) >> 2;`,
    // As readers() (inline: GPU.js emits native functions in an order of its own, so one cannot call another's helpers).
    `  int w = user_b${buf}Size.x; int y = int((float(t) + 0.5) * (1.0 / float(w)));`,
    `  return texelFetch(user_b${buf}, ivec2(t - y * w, y), 0);`,
    `}`,
  ].join("\n");
}

/**
 * A tiled contraction's result, row-major [batch, m, n], from its block targets' texels (read
 * back raw, `targets[r]`: row r of every block; `GpujsKernelSource.blockLayout`) — the layout
 * pass done on the host for a result only read back (one GL pass fewer). Values are copied, so
 * the result is bit-identical to the layout kernel's.
 * @example
 * // m = n = 2, 4-row blocks: target 0 holds row 0 (texel 0), target 1 row 1.
 * gatherBlocks({ batch: 1, m: 2, n: 2, rows: 4 }, [t0, t1, t2, t3], new Float32Array(4));
 */
export function gatherBlocks(layout: BlockLayout, targets: readonly Float32Array[], dst: Float32Array): Float32Array {
  const { batch, m, n, rows } = layout, mb = Math.ceil(m / rows), n4 = Math.ceil(n / TILE_LANES);
  if (targets.length !== rows) throw new RangeError(`gatherBlocks: ${targets.length} block targets, expected ${rows}`);
  if (dst.length !== batch * m * n) throw new RangeError(`gatherBlocks: a result of ${dst.length} values, expected ${batch * m * n}`);
  const need = batch * mb * n4 * TILE_LANES;
  for (const t of targets) if (t.length < need) throw new RangeError(`gatherBlocks: a block target of ${t.length} values, expected at least ${need}`);
  for (let bt = 0; bt < batch; bt++) {
    for (let i = 0; i < m; i++) {
      const src = targets[i % rows]!, from = (bt * mb + Math.floor(i / rows)) * n4 * TILE_LANES, to = (bt * m + i) * n;
      // Row i's n values are consecutive in its target (the last block's lanes past n are dropped).
      dst.set(src.subarray(from, from + n), to);
    }
  }
  return dst;
}
