/**
 * Command-line options of `npm run bench` (and of the workload files run alone), parsed with
 * `util.parseArgs` so a typo is an error instead of a silently ignored flag.
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { writeJson } from "./report.js";

/** The workloads, in the order `npm run bench` runs them. */
export const WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchOptions {
  /** Smaller sizes and fewer rounds (a smoke run). */
  readonly quick: boolean;
  /** The workloads to run (all when `--only` is not given). */
  readonly only: ReadonlySet<Workload>;
  /** Where to write the results as JSON, or null (not written). */
  readonly json: string | null;
  /** Print where kiln's W3 step time goes, by kernel kind. */
  readonly profile: boolean;
  /** Skip every WebGPU runner even where an adapter exists (a software adapter compiles for minutes under load). */
  readonly cpuOnly: boolean;
}

const USAGE = "usage: npm run bench -- [--quick] [--only W2,W3 …] [--json results.json] [--profile] [--cpu-only]";

/**
 * Parses the bench's arguments. `--only` takes workload names (W1…W8, case-insensitive), comma
 * separated or repeated; `--out` is the older spelling of `--json`.
 * @example
 * parseBenchArgs(["--only", "w2,W3", "--json", "r.json"]).only; // Set { "W2", "W3" }
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string", multiple: true },
        json: { type: "string" },
        out: { type: "string" },
        profile: { type: "boolean", default: false },
        "cpu-only": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new RangeError(`${(e as Error).message}\n${USAGE}`);
  }
  const only = new Set<Workload>();
  for (const item of (values.only ?? []).flatMap((s) => s.split(","))) {
    const name = item.trim().toUpperCase();
    if (!(WORKLOADS as readonly string[]).includes(name)) throw new RangeError(`--only: unknown workload "${item}" (known: ${WORKLOADS.join(", ")})\n${USAGE}`);
    only.add(name as Workload);
  }
  if (values.json !== undefined && values.out !== undefined) throw new RangeError(`--json and --out are the same option: give one\n${USAGE}`);
  return {
    quick: values.quick,
    only: only.size ? only : new Set(WORKLOADS),
    json: values.json ?? values.out ?? null,
    profile: values.profile,
    cpuOnly: values["cpu-only"],
  };
}

/**
 * Runs a workload file's `run` when that file is the process's entry point (not when run.ts
 * imports it): parses the command line, restricts it to `workload` when the file has one, writes
 * `--json`, and exits (the peers' runtimes keep Node's event loop alive).
 * @example
 * await runWhenMain(import.meta.url, "W8", runTransformerBenchmark);
 */
export async function runWhenMain(moduleUrl: string, workload: Workload | null, run: (opts: BenchOptions) => Promise<Record<string, unknown>>): Promise<void> {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const opts = parseBenchArgs(process.argv.slice(2));
  const result = await run(workload ? { ...opts, only: new Set([workload]) } : opts);
  if (opts.json) writeJson(opts.json, { date: new Date().toISOString(), ...result });
  process.exit(0);
}
