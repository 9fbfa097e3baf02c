/**
 * The persistent store of rendered WGSL programs (`setWgslSourceStore`): what a process or page
 * load rendered, the next one compiles without rendering. Its entries are compiled and executed
 * as they are, so each is checked before use:
 *
 *  - keyed by the renderer's identity (`RENDERER_ID`: a version and a hash of the WGSL prelude —
 *    WGSL rendered by another kiln is never reused), the adapter's tuning and a 53-bit hash of
 *    the kernel IR's canonical text;
 *  - integrity-checked: the entry repeats the IR hash and the IR's length, and carries a hash of
 *    its own program; a program of the wrong shape, or any mismatch, rejects the entry.
 *
 * Problems are reported, never silently absorbed: a rejected entry, a store whose `get` or `set`
 * throws, and a stored program that does not compile each call the store's `onProblem` (default:
 * a console warning) and count in `webgpuCacheStats().storeProblems`. The kernel is then rendered
 * again (and the entry replaced) — it still runs on the device.
 */
import { type WgslProgram } from "./wgsl-kernel.js";
import { WGSL_PRELUDE } from "./wgsl.js";

/** What went wrong with the persistent WGSL store. */
export interface WgslStoreProblem {
  /** `corrupt`: an entry failed its checks; `get`/`set`: the store threw; `compile`: a stored program did not compile. */
  readonly kind: "corrupt" | "get" | "set" | "compile";
  /** The store key concerned. */
  readonly key: string;
  /** The kernel whose program it is. */
  readonly kernel: string;
  readonly message: string;
}

/** A persistent store of rendered WGSL (e.g. localStorage in a browser, a directory in Node). */
export interface WgslSourceStore {
  get(key: string): string | undefined | null;
  set(key: string, value: string): void;
  /** Called for each problem with the store (default: `console.warn`); the kernel is rendered again. */
  onProblem?(problem: WgslStoreProblem): void;
}

/**
 * A 53-bit string hash (two 32-bit multiply-xorshift lanes, "cyrb53"): the IR and program
 * digests. Not a defence against someone who can write the store — a store is trusted code, as
 * a script is — but against truncation, stale formats and bit rot.
 */
export function hash53(s: string): string {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * The renderer's identity. Bump `RENDERER_VERSION` whenever the WGSL a kernel renders to changes
 * outside the prelude (the mapping in wgsl-kernel.ts, the op table in wgsl.ts); prelude changes
 * change the hash by themselves.
 */
const RENDERER_VERSION = 7; // 4: ALU lines carry their op (`// op exp`) for compile errors; 5: only the prelude functions a module calls; 6: x + 0.0 and x - (-0.0) read the zero from kZero; 7: float sums start from kZero
export const RENDERER_ID = `${RENDERER_VERSION}.${hash53(WGSL_PRELUDE)}`;

const FORMAT = "kiln-wgsl/2";

interface Entry {
  readonly format: string;
  readonly ir: string;
  readonly irLength: number;
  readonly digest: string;
  readonly program: { dispatches: WgslProgram["dispatches"]; scratch: WgslProgram["scratch"]; paramSizes: [number, number][] };
}

/** The store key of a kernel: renderer, tuning and IR hash. */
export function storeKey(tuningHash: string, ir: string): string {
  return `kiln-wgsl:${RENDERER_ID}:${tuningHash}:${hash53(ir)}`;
}

/** The stored text of a program rendered from `ir`. */
export function encodeEntry(ir: string, prog: WgslProgram): string {
  const program = { dispatches: prog.dispatches, scratch: prog.scratch, paramSizes: [...prog.paramSizes] };
  const entry: Entry = { format: FORMAT, ir: hash53(ir), irLength: ir.length, digest: hash53(JSON.stringify(program)), program };
  return JSON.stringify(entry);
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

/** Why a parsed program is malformed, or null. */
function malformed(p: Entry["program"]): string | null {
  if (!p || !Array.isArray(p.dispatches) || !Array.isArray(p.scratch) || !Array.isArray(p.paramSizes)) return "not a program";
  for (const d of p.dispatches) {
    if (typeof d?.source !== "string" || !Array.isArray(d.bindings) || !d.bindings.every(isInt)) return "a dispatch without source or bindings";
    if (!Array.isArray(d.groups) || d.groups.length !== 3 || !(d.groups as unknown[]).every((g) => isInt(g) && g >= 0)) return "a dispatch with a bad grid";
  }
  if (!p.scratch.every((s) => isInt(s?.size) && (s.type === "f32" || s.type === "i32" || s.type === "u32"))) return "bad scratch buffers";
  if (!p.paramSizes.every((e) => Array.isArray(e) && e.length === 2 && e.every(isInt))) return "bad parameter sizes";
  return null;
}

/**
 * The program of a stored entry, after its checks against the kernel IR `ir` that is to run it;
 * throws with the reason when the entry is rejected.
 */
export function decodeEntry(text: string, ir: string): WgslProgram {
  let e: Entry;
  try {
    e = JSON.parse(text) as Entry;
  } catch {
    throw new Error("not JSON (truncated or overwritten?)");
  }
  if (e?.format !== FORMAT) throw new Error(`format ${JSON.stringify(e?.format)}, expected ${FORMAT}`);
  if (e.ir !== hash53(ir) || e.irLength !== ir.length) throw new Error("rendered from a different kernel IR");
  const bad = malformed(e.program);
  if (bad) throw new Error(bad);
  if (e.digest !== hash53(JSON.stringify(e.program))) throw new Error("its program does not match its digest (modified or corrupted)");
  return { dispatches: e.program.dispatches, scratch: e.program.scratch, paramSizes: new Map(e.program.paramSizes) };
}

/** Reports a store problem through the store's `onProblem`, else as a console warning. */
export function reportStoreProblem(store: WgslSourceStore, problem: WgslStoreProblem): void {
  try {
    if (store.onProblem) return store.onProblem(problem);
  } catch {
    // a throwing reporter: fall back to the warning
  }
  console.warn(`kiln: persistent WGSL store: ${problem.kind} (${problem.kernel}, key ${problem.key}): ${problem.message}; rendering the kernel again`);
}
