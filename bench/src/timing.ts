/**
 * Timing: medians of repeated runs after warm-up. The runners of one workload are timed in
 * interleaved rounds (each round runs every runner once), so a load change on a shared machine
 * affects all of them alike instead of whichever happened to run during it.
 */
export interface Timing {
  /** Median milliseconds per run. */
  readonly ms: number;
  readonly runs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Times each runner (sync or async): `warmup` untimed rounds, then rounds until `minRounds` are
 * done and the slowest runner has `minMs` of total time (at most `maxRounds`).
 */
export async function measureInterleaved(
  runners: readonly (() => unknown)[],
  opts: { warmup?: number; minRounds?: number; maxRounds?: number; minMs?: number } = {},
): Promise<Timing[]> {
  const { warmup = 2, minRounds = 5, maxRounds = 50, minMs = 300 } = opts;
  for (let w = 0; w < warmup; w++) for (const r of runners) await r();
  const times = runners.map(() => [] as number[]);
  const total = runners.map(() => 0);
  for (let round = 0; round < maxRounds && (round < minRounds || Math.min(...total) < minMs); round++) {
    for (let i = 0; i < runners.length; i++) {
      const t0 = performance.now();
      await runners[i]!();
      const dt = performance.now() - t0;
      times[i]!.push(dt);
      total[i]! += dt;
    }
  }
  return times.map((t) => ({ ms: median(t), runs: t.length }));
}
