/**
 * Per-adapter tuning of contraction kernels, by measurement (as cuBLAS heuristics tables or
 * Triton's autotuner are made): for a few problem sizes, every candidate strategy and register
 * tile (targets/webgpu/wgsl-matmul.ts) is rendered for the same matmul kernel, compiled and timed on this
 * device; the fastest per size becomes the adapter's table (`WgslTuning.matmul`), consulted by
 * problem size when kernels are rendered.
 *
 * Costs ~1–2 s on a software adapter (mostly shader compilation), so the result is kept: in memory
 * per device, and in a persistent store keyed by the adapter and its limits — the one installed with
 * `setWgslSourceStore`, else a file under `$XDG_CACHE_HOME/kiln` (`~/.cache/kiln`) in Node or
 * `localStorage` in a browser — so a later process or page load on the same adapter reads it instead
 * of measuring again. Candidates that lose by
 * more than 3x at one size are not tried at larger sizes (a shared-memory tile on llvmpipe would
 * otherwise cost seconds at n = 512).
 *
 * Every strategy sums in the same order, so tuning changes speed, never results.
 */
import { BackendUnavailableError, Tensor, ValueError, hostDataNode, np, npUtil } from "@kiln/core";
import { fnv1a } from "../../kernel.js";
import { scheduleGraph } from "../../schedule.js";
import { type MatmulChoice, type MatmulStrategy, type WgslTuning } from "./wgsl-kernel.js";
import { renderContraction } from "./wgsl-matmul.js";
import { type GpuContext, requireGpu } from "./webgpu-device.js";
import { deviceBytes } from "./webgpu-memory.js";
import { wgslSourceStore } from "./webgpu-programs.js";
import { reportStoreProblem } from "./webgpu-store.js";
import { flushQueue } from "./webgpu-queue.js";


export interface TuneOptions {
  /** Square problem sizes measured (default [64, 128, 256, 512]). */
  readonly sizes?: readonly number[];
  /** Candidates (default: every strategy with a few tiles). */
  readonly candidates?: readonly Omit<MatmulChoice, "upTo">[];
  /** Measure even if a result for this adapter is stored. */
  readonly force?: boolean;
}

/** One measured size: every candidate's milliseconds (candidates pruned at a smaller size are absent) and the winner. */
export interface TuneReport {
  readonly adapter: string;
  /** Where the table came from. */
  readonly source: "measured" | "store" | "memory";
  readonly table: readonly MatmulChoice[];
  /** Candidates that failed to compile or run on this device, with the device's message. */
  readonly failures?: Readonly<Record<string, string>>;
  readonly sizes: readonly {
    readonly n: number; readonly ms: Readonly<Record<string, number>>; readonly compileMs: Readonly<Record<string, number>>; readonly best: string;
  }[];
}

/** Small to large problems: from where per-dispatch costs dominate to where arithmetic does. */
const DEFAULT_SIZES = [128, 256, 512] as const;

const label = (c: Omit<MatmulChoice, "upTo">) => `${c.strategy} ${c.tm}x${c.tn}`;

/**
 * Candidates per adapter class. On software adapters the shader compiler is LLVM, whose time
 * grows quickly with the tile (a 32×32 tile at n = 512 compiles in ~2 s) and 16×16 measured as
 * fast: bigger tiles are left out; one shared-memory tile is measured there (it loses, measured,
 * not assumed).
 */
function defaultCandidates(software: boolean): Omit<MatmulChoice, "upTo">[] {
  const tiles = (strategy: MatmulStrategy, list: [number, number][]) => list.map(([tm, tn]) => ({ strategy, tm, tn }));
  return software
    ? [...tiles("direct", [[8, 8], [8, 16]]), ...tiles("packed", [[8, 8], [16, 16]]), ...tiles("shared", [[4, 4]])]
    : [...tiles("direct", [[4, 4], [8, 8]]), ...tiles("packed", [[4, 4], [8, 8]]), ...tiles("shared", [[4, 4], [4, 8], [8, 8]])];
}

/** The contraction kernel of an n×n float32 matmul, as the scheduler makes it. */
function matmulKernel(n: number) {
  const operand = () => new Tensor(hostDataNode(new Float32Array(n * n), { shape: [n, n], dtype: "float32" }));
  const out = np.matmul(operand(), operand()).node;
  const { plan } = scheduleGraph([out], (m) => m.prim === "data");
  const step = plan.steps.find((s) => s.kind === "matmul");
  if (!step?.kernel) throw new Error("internal: tuneWebgpu: the scheduler made no contraction kernel");
  return step.kernel;
}

/** Milliseconds per run of `choice` on an n×n matmul (the best of several, after compilation and
 * a warm-up run); one run only when it already exceeds `cutoff`. */
async function measure(ctx: GpuContext, n: number, choice: MatmulChoice, cutoff: number): Promise<{ ms: number; compileMs: number; failure?: string }> {
  // Work recorded but not yet submitted would run inside the first timed submission.
  flushQueue(ctx);
  const k = matmulKernel(n);
  const prog = renderContraction(k, ctx.tuning, choice);
  const device = ctx.device;
  const buffers = k.params.map((p, i) =>
    device.createBuffer({ size: deviceBytes(prog.paramSizes.get(i) ?? p.size), usage: ctx.constants.GPUBufferUsage.STORAGE }));
  try {
    const c0 = performance.now();
    const pipelines = await Promise.all(prog.dispatches.map((d) =>
      device.createComputePipelineAsync({ layout: "auto", compute: { module: device.createShaderModule({ code: d.source }), entryPoint: "main" } })));
    const groups = prog.dispatches.map((d, i) => device.createBindGroup({
      layout: pipelines[i]!.getBindGroupLayout(0),
      entries: d.bindings.map((p, slot) => ({ binding: slot, resource: { buffer: buffers[p]! } })),
    }));
    const run = async () => {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      prog.dispatches.forEach((d, i) => {
        pass.setPipeline(pipelines[i]!);
        pass.setBindGroup(0, groups[i]!);
        pass.dispatchWorkgroups(...d.groups);
      });
      pass.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await run(); // some drivers compile on first use
    const compileMs = performance.now() - c0;
    // The minimum of several runs: timings on a shared machine are noisy upwards, never downwards.
    let best = await run();
    if (best > cutoff) return { ms: best, compileMs };
    const t0 = performance.now();
    for (let runs = 1; runs < 9 && (runs < 4 || performance.now() - t0 < 60); runs++) best = Math.min(best, await run());
    return { ms: best, compileMs };
  } catch (e) {
    // A candidate this device cannot compile or run is not chosen (and is reported).
    return { ms: Infinity, compileMs: 0, failure: (e as Error).message };
  } finally {
    for (const b of buffers) b.destroy();
  }
}

/** Work boundaries between measured sizes: the geometric middle of neighbouring n³. */
function toTable(sizes: readonly number[], winners: readonly Omit<MatmulChoice, "upTo">[]): MatmulChoice[] {
  const table: MatmulChoice[] = [];
  winners.forEach((w, i) => {
    const next = sizes[i + 1];
    const upTo = next === undefined ? Number.MAX_SAFE_INTEGER : Math.round((sizes[i]! * next) ** 1.5);
    const last = table[table.length - 1];
    if (last && label(last) === label(w)) table[table.length - 1] = { ...last, upTo };
    else table.push({ ...w, upTo });
  });
  return table;
}

const memo = new WeakMap<GPUDevice, TuneReport>();

type Store = NonNullable<ReturnType<typeof wgslSourceStore>>;

/** Where tuning results live without an installed store: a cache directory in Node, localStorage in a browser. */
async function platformStore(): Promise<Store | null> {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (ls) return { get: (k) => ls.getItem(k), set: (k, v) => ls.setItem(k, v) };
  if (typeof process === "undefined" || !process.versions?.node) return null;
  // Specifiers through variables keep bundlers from resolving Node modules for the browser.
  const [fsName, pathName, osName] = ["node:fs", "node:path", "node:os"];
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import("node:fs");
  const path = (await import(/* @vite-ignore */ pathName)) as typeof import("node:path");
  const os = (await import(/* @vite-ignore */ osName)) as typeof import("node:os");
  const dir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "kiln");
  const file = (k: string) => path.join(dir, `${k.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`);
  // A cache: failing to read or write it (read-only home, sandbox) only means measuring again.
  return {
    get(k) {
      try {
        return fs.readFileSync(file(k), "utf8");
      } catch {
        return null;
      }
    },
    set(k, v) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file(k), v);
      } catch {
        // not persisted
      }
    },
  };
}

const STRATEGIES: readonly MatmulStrategy[] = ["packed", "direct", "shared"];

/** A strategy this version renders, with a tile whose sides are multiples of 4 up to 64. */
function validChoice(c: Partial<MatmulChoice>): boolean {
  const tile = (v: unknown) => typeof v === "number" && v >= 4 && v <= 64 && v % 4 === 0;
  return STRATEGIES.includes(c.strategy!) && tile(c.tm) && tile(c.tn);
}

/** A stored table is used only if it is one this version could have made. */
function validTable(table: unknown): table is MatmulChoice[] {
  return Array.isArray(table) && table.length > 0 && table.every((c: Partial<MatmulChoice>, i) =>
    validChoice(c) && typeof c.upTo === "number" && (i === 0 || c.upTo > (table[i - 1] as MatmulChoice).upTo)) &&
    (table[table.length - 1] as MatmulChoice).upTo === Number.MAX_SAFE_INTEGER;
}

/** Bump when the kernels a strategy renders change: stored measurements of older ones are void. */
const KERNELS_VERSION = 2;

function storeKey(ctx: GpuContext): string {
  const what = [ctx.adapter.name, ctx.adapter.description, JSON.stringify(ctx.limits), DEFAULT_SIZES.join(","), JSON.stringify(defaultCandidates(ctx.adapter.software))];
  return `kiln-tune:v${KERNELS_VERSION}:${fnv1a(what.join("|"))}`;
}

function apply(ctx: GpuContext, table: readonly MatmulChoice[]): void {
  (ctx as { tuning: WgslTuning }).tuning = { ...ctx.tuning, matmul: table };
}

/**
 * Measures contraction strategies on the current WebGPU device and makes the fastest per problem
 * size the device's choice for kernels compiled from now on. `init()` calls it once per device on a
 * hardware adapter (`init({ tune: true })` on a software one); results are reused from memory or
 * the persistent store.
 * @example
 * await init();
 * const report = await tuneWebgpu();
 * report.table; // e.g. [{ upTo: 2097152, strategy: "direct", tm: 8, tn: 8 }, { upTo: 9007199254740991, strategy: "packed", tm: 32, tn: 32 }]
 */
export async function tuneWebgpu(opts: TuneOptions = {}, ...extra: undefined[]): Promise<TuneReport> {
  opts = npUtil.optionsOf("tuneWebgpu", opts, "tuneWebgpu", extra);
  const ctx = requireGpu("tuneWebgpu");
  const custom = opts.sizes !== undefined || opts.candidates !== undefined;
  const known = !opts.force && !custom ? memo.get(ctx.device) : undefined;
  if (known) {
    apply(ctx, known.table);
    return { ...known, source: "memory" };
  }
  const installed = wgslSourceStore();
  const store = installed ?? (await platformStore());
  const key = storeKey(ctx);
  // The installed store's exceptions are reported (targets/webgpu/webgpu-store.ts), then tuning goes on.
  const failed = (op: "get" | "set", e: unknown) =>
    installed && reportStoreProblem(installed, { kind: op, key, kernel: "tuneWebgpu", message: `${op}() threw: ${(e as Error)?.message ?? String(e)}` });
  if (!opts.force && !custom && store) {
    let hit: string | null | undefined = null;
    try {
      hit = store.get(key);
    } catch (e) {
      failed("get", e);
    }
    try {
      const parsed = hit ? (JSON.parse(hit) as TuneReport) : null;
      if (parsed && validTable(parsed.table)) {
        const report: TuneReport = { ...parsed, source: "store" };
        apply(ctx, report.table);
        memo.set(ctx.device, report);
        return report;
      }
    } catch {
      // a corrupt entry: measure again
    }
  }
  for (const c of opts.candidates ?? []) {
    if (!validChoice(c)) {
      throw new ValueError(`tuneWebgpu: a candidate is a strategy (${STRATEGIES.join(", ")}) and a tile whose sides are multiples of 4 up to 64, got ${JSON.stringify(c)}`);
    }
  }
  for (const n of opts.sizes ?? []) {
    if (!Number.isInteger(n) || n < 1) throw new ValueError(`tuneWebgpu: sizes must be positive integers, got ${JSON.stringify(opts.sizes)}`);
  }
  const sizes = [...(opts.sizes ?? DEFAULT_SIZES)].sort((a, b) => a - b);
  let candidates = [...(opts.candidates ?? defaultCandidates(ctx.adapter.software))];
  const rows: { n: number; ms: Record<string, number>; compileMs: Record<string, number>; best: string }[] = [];
  const failures: Record<string, string> = {};
  const winners: Omit<MatmulChoice, "upTo">[] = [];
  for (const n of sizes) {
    const ms: Record<string, number> = {}, compile: Record<string, number> = {};
    let best = Infinity;
    for (const c of candidates) {
      const t = await measure(ctx, n, { ...c, upTo: Number.MAX_SAFE_INTEGER }, best * 3);
      ms[label(c)] = t.ms;
      compile[label(c)] = t.compileMs;
      if (t.failure) failures[label(c)] = t.failure;
      best = Math.min(best, t.ms);
    }
    if (best === Infinity) {
      throw new BackendUnavailableError(`tuneWebgpu: no contraction candidate ran on this device (${Object.entries(failures).map(([k, v]) => `${k}: ${v}`).join("; ")})`);
    }
    const winner = candidates.reduce((a, b) => (ms[label(b)]! < ms[label(a)]! ? b : a));
    winners.push(winner);
    rows.push({ n, ms, compileMs: compile, best: label(winner) });
    // Candidates more than 3x slower than the best are not tried at larger sizes.
    candidates = candidates.filter((c) => ms[label(c)]! <= best * 3);
  }
  const report: TuneReport = { adapter: ctx.adapter.name, source: "measured", table: toTable(sizes, winners), sizes: rows, failures };
  apply(ctx, report.table);
  if (!custom) {
    memo.set(ctx.device, report);
    try {
      store?.set(key, JSON.stringify(report, (_, v: unknown) => (v === Infinity ? 1e308 : v)));
    } catch (e) {
      failed("set", e);
    }
  }
  return report;
}
