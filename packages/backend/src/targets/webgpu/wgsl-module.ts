/**
 * What every WGSL program shares, whatever maps its loops (wgsl-kernel.ts: elementwise and
 * reductions; wgsl-matmul.ts: contractions; wgsl-library.ts: library kernels): the program and
 * tuning types, the loop-nest helpers and the assembly of one dispatch's module.
 */
import { sizeOf, type DType } from "@kiln/core";
import { type BufferParam, type Operand, type Stmt } from "../../kernel.js";
import { type LibrarySpec } from "../../schedule.js";
import { WgslWriter, storageType } from "./wgsl.js";
import { preludeFor } from "./wgsl-prelude.js";

export type LoopStmt = Extract<Stmt, { s: "loop" }>;

/** Per-adapter choices (targets/webgpu/webgpu-device.ts derives them from the adapter and its limits). */
export interface WgslTuning {
  /** Workgroup size of one-invocation-per-output dispatches. */
  readonly threads: number;
  /** Workgroup size of cooperative reductions (a power of two). */
  readonly groupThreads: number;
  /** Reduction length from which a workgroup cooperates on each output. */
  readonly coopMin: number;
  /** Workgroups that keep the device busy: fewer outputs than this split a long reduction. */
  readonly minGroups: number;
  /**
   * Whether a split reduction loads its contiguous inputs as vec4 quads (wgsl-kernel.ts). Not on
   * software adapters: llvmpipe already runs 8 invocations as one SIMD vector, and the body
   * repeated per lane cost W1 ~40% more CPU time there (measured against the scalar loop).
   */
  readonly quadLoads: boolean;
  /**
   * Elements a split reduction's first pass handles per loop iteration when it does not load
   * quads (wgsl-kernel.ts). Software adapters: 4 — llvmpipe pays a fixed cost per loop
   * iteration, and unrolling by 4 cut W1's CPU time ~11% (2 and 8 gained less). Hardware: 1
   * (quads already take four elements per iteration there; no GPU here to measure more). The
   * workgroup-per-row loops stay plain: unrolled the same way they gained nothing on llvmpipe
   * (row sums, maxima and softmax, 0.99–1.13x the CPU time).
   */
  readonly splitUnroll: number;
  /** Elements per invocation below which a reduction is not split further. */
  readonly splitGrain: number;
  readonly maxGroupsPerDim: number;
  /**
   * How contractions run, by problem size: the first entry whose `upTo` is at least the
   * contraction's work (batch·m·n·k) applies. Chosen per adapter by measurement
   * (targets/webgpu/webgpu-tune.ts), or by adapter class when tuning is off.
   */
  readonly matmul: readonly MatmulChoice[];
  /** Workgroup size of contraction dispatches. */
  readonly matmulThreads: number;
  /** Bytes of workgroup memory a dispatch may use (the shared-memory tiles fit in it). */
  readonly workgroupStorage: number;
  /** Storage buffers one dispatch may bind (the adapter's maxStorageBuffersPerShaderStage). */
  readonly storageBuffers: number;
}

/**
 * A contraction strategy (targets/webgpu/wgsl-matmul.ts):
 *  - `packed`: pack A and B into panels (two dispatches), then TM×TN register tiles per invocation;
 *  - `direct`: one dispatch; register tiles read the operands through the fused prologue (no
 *    panels) — fewest dispatches, for small problems where per-dispatch costs dominate;
 *  - `shared`: panels, then workgroup tiles of (TM·gm)×(TN·gn) staged through workgroup memory in
 *    k-chunks, each invocation accumulating a TM×TN register tile — the classic GPU tiling, which
 *    pays off where workgroup barriers are cheap (hardware GPUs).
 */
export type MatmulStrategy = "packed" | "direct" | "shared";

export interface MatmulChoice {
  /** Largest work (batch·m·n·k) this entry applies to. */
  readonly upTo: number;
  readonly strategy: MatmulStrategy;
  /** Register tile of one invocation: multiples of the IR's 4×4 panels. */
  readonly tm: number;
  readonly tn: number;
}

export interface WgslDispatch {
  readonly source: string;
  /** Per binding slot: the kernel parameter bound there, or `-1 - k` for program scratch k. */
  readonly bindings: readonly number[];
  readonly groups: readonly [number, number, number];
}

export interface WgslProgram {
  readonly dispatches: readonly WgslDispatch[];
  /** Extra buffers the program needs (split-reduction partials): elements and element type. */
  readonly scratch: readonly { readonly size: number; readonly type: "f32" | "i32" | "u32" }[];
  /** Element counts of the kernel's scratch parameters on the device (contraction panels, padded). */
  readonly paramSizes: ReadonlyMap<number, number>;
}

// ------------------------------------------------------------------ loop-nest helpers

const isConst = (o: Operand, v?: number): o is Extract<Operand, { k: "const" }> => o.k === "const" && (v === undefined || o.value === v);

/** A loop over [0, n) with step 1 and a constant bound. */
export function simpleLoop(l: Stmt): l is LoopStmt {
  return l.s === "loop" && isConst(l.start, 0) && isConst(l.end) && l.step === 1;
}

export function extentOf(l: LoopStmt): number {
  return (l.end as Extract<Operand, { k: "const" }>).value;
}

export interface Grid {
  readonly loops: readonly LoopStmt[];
  /** The `let`s hoisted to each level (before its loop). */
  readonly lets: readonly Stmt[];
  /** What runs inside all of the grid loops. */
  readonly inner: readonly Stmt[];
  readonly size: number;
}

/** The perfectly nested prefix of parallel output loops (with the lets hoisted between them). */
export function gridOf(body: readonly Stmt[]): Grid {
  const loops: LoopStmt[] = [];
  const lets: Stmt[] = [];
  let stmts = body;
  for (;;) {
    const last = stmts[stmts.length - 1];
    const rest = stmts.slice(0, -1);
    if (!last || last.s !== "loop" || last.kind !== "parallel" || !simpleLoop(last) || !rest.every((s) => s.s === "let")) break;
    loops.push(last);
    lets.push(...rest);
    stmts = last.body;
  }
  return { loops, lets, inner: stmts, size: loops.reduce((n, l) => n * extentOf(l), 1) };
}

function rename(stmts: readonly Stmt[], from: string, to: string): Stmt[] {
  return stmts.map((st) => {
    if (st.s === "update" && st.name === from) return { ...st, name: to };
    if (st.s === "loop" || st.s === "if") return { ...st, body: rename(st.body, from, to) };
    return st;
  });
}

/**
 * Undoes place.ts's blocked summation (`for b in 0..n step 1024 { partial; for i in b..min(b+1024, n) }`)
 * into one loop over [0, n) updating the outer accumulator: across invocations the combining tree
 * already bounds the error growth, and one flat range splits evenly.
 */
export function unblock(stmts: readonly Stmt[]): Stmt[] {
  return stmts.map((st) => {
    if (st.s !== "loop") return st.s === "if" ? { ...st, body: unblock(st.body) } : st;
    const body = unblock(st.body);
    if (st.step > 1 && isConst(st.start, 0) && isConst(st.end)) {
      const inner = body.find((s): s is LoopStmt => s.s === "loop" && s.start.k === "var" && s.start.name === st.var);
      const part = body.find((s) => s.s === "acc");
      const last = body[body.length - 1];
      const others = body.filter((s) => s !== inner && s !== part && s !== last);
      if (inner && part && part.s === "acc" && last?.s === "update" && last.value.k === "local" && last.value.name === part.name && others.every((s) => s.s === "let")) {
        return { ...inner, start: { k: "const", value: 0, dtype: "index" }, end: st.end, body: rename(inner.body, part.name, last.name) };
      }
    }
    return { ...st, body };
  });
}

export interface Nest {
  readonly vars: readonly { readonly name: string; readonly extent: number }[];
  readonly body: readonly Stmt[];
  readonly size: number;
}

/** A chain of simple loops (each level: lets + one loop) as one flat range. */
export function flatten(l: LoopStmt): Nest | null {
  if (!simpleLoop(l)) return null;
  const vars = [{ name: l.var, extent: extentOf(l) }];
  const lets: Stmt[] = [];
  let body = l.body;
  for (;;) {
    const last = body[body.length - 1];
    const rest = body.slice(0, -1);
    if (!last || !simpleLoop(last) || !rest.every((s) => s.s === "let")) break;
    vars.push({ name: last.var, extent: extentOf(last) });
    lets.push(...rest);
    body = last.body;
  }
  return { vars, body: [...lets, ...body], size: vars.reduce((n, v) => n * v.extent, 1) };
}

/** `let` lines defining each variable from a flat index `f` (row-major over the extents). */
export function decompose(f: string, vars: readonly { readonly name: string; readonly extent: number }[], ind: string): string[] {
  const out: string[] = [];
  let stride = 1;
  for (let i = vars.length - 1; i >= 0; i--) {
    const { name, extent } = vars[i]!;
    const q = stride === 1 ? f : `(${f} / ${stride})`;
    out.unshift(`${ind}let ${name} = ${i === 0 ? q : `${q} % ${extent}`};`);
    stride *= extent;
  }
  return out;
}

// ------------------------------------------------------------------ module assembly

/** The WGSL module of one dispatch: bindings for the buffers the body references, then `main`. */
export function wgslModule(
  w: WgslWriter, body: readonly string[], wgSize: number, gx: number,
  opts: {
    scratch?: readonly { name: string; slot: number; type: string; written: boolean }[];
    shared?: readonly string[];
    functions?: readonly string[];
    /** Element types overriding the storage type of some parameters (vec4 views of panels). */
    types?: ReadonlyMap<number, string>;
    /**
     * Parameters also bound a second time as `q<k>v_: array<vec4<T>>` (read-only), besides their
     * scalar binding: a vectorized reduction's quad loads (the scalar view serves other reads).
     */
    quadViews?: readonly number[];
  } = {},
): { source: string; bindings: number[] } {
  const bindings: number[] = [];
  const decls: string[] = [];
  for (const i of [...w.used].sort((a, b) => a - b)) {
    const p = w.params[i]!;
    const ty = opts.types?.get(i) ?? (p.role === "scratch" ? "f32" : storageType(p.dtype));
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, ${w.written.has(i) ? "read_write" : "read"}> b${i}: array<${ty}>;`);
    bindings.push(i);
  }
  for (const i of opts.quadViews ?? []) {
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, read> q${i}v_: array<vec4<${storageType(w.params[i]!.dtype)}>>;`);
    bindings.push(i);
  }
  for (const s of opts.scratch ?? []) {
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, ${s.written ? "read_write" : "read"}> ${s.name}: array<${s.type}>;`);
    bindings.push(-1 - s.slot);
  }
  const main = [
    ...(opts.functions ?? []),
    `@compute @workgroup_size(${wgSize})`,
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {`,
    // Non-finite constants cannot be WGSL constant expressions: derive them from a run-time value.
    `  kInf = bitcast<f32>(0x7f800000u + 0u * wid.x);`,
    `  kNaN = bitcast<f32>(0x7fc00000u + 0u * wid.x);`,
    // A zero the compiler cannot see (every grid is [x, y, 1]: gridDims), so `kZero - x` and
    // `kZero / x` keep IEEE's signs and NaNs; `0u * wid.x` would fold to a constant.
    `  kZero = f32(wid.z);`,
    `  let lid = i32(lidu);`,
    `  let gid = i32(wid.x + wid.y * ${gx}u);`,
    ...body,
    `}`,
  ];
  const shared = opts.shared ?? [];
  // Only the prelude functions this module calls: drivers parse and validate every function of a
  // module, used or not.
  const source = [...decls, ...shared, preludeFor([...shared, ...main].join("\n")), ...main].join("\n");
  return { source, bindings };
}

/**
 * The writer of a library kernel's module (targets/webgpu/wgsl-library.ts, wgsl-linalg.ts): binding
 * 0 is the output `b0` (written), then each input `b1`, `b2`, … in order, all bound.
 * @example
 * wgslModule(libraryWriter(spec, ["float32"]), body, 64, groups).source; // declares b0 (read_write) and b1 (read)
 */
export function libraryWriter(spec: LibrarySpec, inDtypes: readonly DType[]): WgslWriter {
  const params: BufferParam[] = [
    { dtype: spec.dtype, size: sizeOf(spec.outShape), role: "out" },
    ...inDtypes.map((dtype, i) => ({ dtype, size: sizeOf(spec.inShapes[i]!), role: "in" as const })),
  ];
  const w = new WgslWriter(params, []);
  params.forEach((_, i) => w.used.add(i));
  w.written.add(0);
  return w;
}

/** Workgroup counts for `n` groups: 1-D up to the per-dimension limit, else 2-D. */
export function gridDims(n: number, maxPerDim: number): [number, number, number] {
  if (n <= maxPerDim) return [n, 1, 1];
  const gx = maxPerDim;
  return [gx, Math.ceil(n / gx), 1];
}

