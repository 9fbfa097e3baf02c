/**
 * Printing the bench's tables and the JSON record of one workload. Every workload is reported the
 * same way: per runner the median and spread in the workload's unit, and kiln's speed relative to
 * each runner (that runner's median time ÷ kiln's), so "2.0x" means kiln takes half the time
 * whatever the unit (ms, steps/s, GFLOP/s).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Timing } from "./timing.js";

export const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
export const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);

/** How a workload turns milliseconds per timed run into its reported number. */
export interface Metric {
  readonly unit: string;
  readonly of: (ms: number) => number;
  readonly digits: number;
}

/**
 * Metrics: time per call (a timed run may batch `k` calls), calls per second, GFLOP/s.
 * @example
 * metric.perSecond("steps/s").of(10); // 100
 */
export const metric = {
  ms: (k = 1, digits = 2): Metric => ({ unit: "ms", of: (ms) => ms / k, digits }),
  perSecond: (unit: string, k = 1, digits = 1): Metric => ({ unit, of: (ms) => (1000 * k) / ms, digits }),
  gflops: (flop: number): Metric => ({ unit: "GFLOP/s", of: (ms) => flop / (ms * 1e6), digits: 2 }),
};

/** One runner's line: its timing, and optional extra columns (first loss, error, …). */
export interface Row {
  readonly name: string;
  readonly timing: Timing;
  readonly extra?: Readonly<Record<string, number | string>>;
}

/** The JSON record of one runner: the metric's median and spread, raw ms, and kiln's speed ratio. */
export interface RowResult {
  readonly unit: string;
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  readonly msPerRun: number;
  readonly runs: number;
  /** This runner's median time ÷ kiln's (> 1: kiln is faster); absent on kiln's own rows. */
  readonly kilnSpeedup?: number;
  readonly [extra: string]: number | string | undefined;
}

const fmt = (v: number, digits: number) => (Math.abs(v) >= 1e4 ? v.toFixed(0) : v.toFixed(digits));
const extraText = (v: number | string) => (typeof v === "number" ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(4)) : v);

/** The device a runner's name says it runs on: the model workloads show cpu and webgpu rows together. */
const deviceOf = (name: string): "webgpu" | "cpu" => (/\bwebgpu\b/.test(name) ? "webgpu" : "cpu");

/**
 * Prints a workload's table and returns its JSON record, one entry per runner. `kiln` names the
 * row the ratios are taken against (default: the first row whose name starts with "kiln"); a peer
 * on webgpu is compared with kiln's webgpu row when there is one ("TF.js (webgpu)" with "kiln
 * (webgpu, jit)", the wasm peers with kiln's cpu row), so each ratio is per backend.
 * @example
 * reportWorkload("W1 …", [{ name: "kiln (cpu, jit)", timing: a }, { name: "jax-js", timing: b }], metric.ms());
 */
export function reportWorkload(title: string, rows: readonly Row[], m: Metric, kiln?: string): Record<string, RowResult> {
  const base = rows.find((r) => (kiln ? r.name === kiln : r.name.startsWith("kiln")));
  const extraKeys = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  console.log(`\n${title}`);
  console.log(`${pad("", 30)}${lpad(m.unit, 11)}${lpad("IQR", 20)}${lpad("min–max", 20)}${lpad("kiln ÷ peer", 13)}${extraKeys.map((k) => lpad(k, 12)).join("")}`);
  const out: Record<string, RowResult> = {};
  for (const r of rows) {
    const t = r.timing;
    // A throughput's best run is the shortest one: order each range low–high in the metric's own terms.
    const range = (a: number, b: number) => [m.of(a), m.of(b)].sort((x, y) => x - y);
    const [q1, q3] = range(t.q1, t.q3), [lo, hi] = range(t.min, t.max);
    const own = kiln ? undefined : rows.find((k) => k.name.startsWith("kiln") && deviceOf(k.name) === deviceOf(r.name));
    const against = own ?? base;
    const speedup = against && r !== against && !r.name.startsWith("kiln") ? t.ms / against.timing.ms : undefined;
    out[r.name] = { unit: m.unit, median: m.of(t.ms), q1: q1!, q3: q3!, min: lo!, max: hi!, msPerRun: t.ms, runs: t.runs, ...(speedup !== undefined ? { kilnSpeedup: speedup } : {}), ...r.extra };
    console.log(
      `${pad(r.name, 30)}${lpad(fmt(m.of(t.ms), m.digits), 11)}${lpad(`${fmt(q1!, m.digits)}–${fmt(q3!, m.digits)}`, 20)}` +
      `${lpad(`${fmt(lo!, m.digits)}–${fmt(hi!, m.digits)}`, 20)}${lpad(speedup === undefined ? "" : `${speedup.toFixed(2)}x`, 13)}` +
      extraKeys.map((k) => lpad(r.extra?.[k] === undefined ? "" : extraText(r.extra[k]!), 12)).join(""),
    );
  }
  return out;
}

/** Prints the runners that could not run a workload, with the reason. */
export function reportUnavailable(unavailable: Readonly<Record<string, string>>): void {
  for (const [name, why] of Object.entries(unavailable)) console.log(`${pad(name, 30)}not run: ${why}`);
}

/** The one-line reason an exception gives. */
export const reason = (e: unknown): string => (e instanceof Error ? e.message.split("\n")[0]! : String(e));

/** Writes the results object as JSON (the directory is created). */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + "\n");
  console.log(`\nwrote ${path}`);
}
