/**
 * Timing: the runners of one workload are timed in interleaved rounds (A, B, C, A, B, C, …) after
 * untimed warm-up rounds, so a load change on a shared machine hits all of them alike instead of
 * whichever happened to run during it. Each runner's times are summarized by their median and
 * spread (min–max and the interquartile range): on a loaded machine the median alone hides how
 * far apart two runs of the same code can be.
 */
export interface Timing {
  /** Median milliseconds per run. */
  readonly ms: number;
  /** Fastest and slowest run, ms. */
  readonly min: number;
  readonly max: number;
  /** First and third quartiles, ms (linear interpolation between order statistics). */
  readonly q1: number;
  readonly q3: number;
  readonly runs: number;
}

/** The q-quantile (0…1) of ascending `sorted`, interpolating between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Median, quartiles and extremes of a non-empty list of run times.
 * @example
 * summarizeRuns([3, 1, 2]).ms; // 2
 */
export function summarizeRuns(times: readonly number[]): Timing {
  if (times.length === 0) throw new RangeError("summarizeRuns: no runs to summarize");
  const s = [...times].sort((a, b) => a - b);
  return { ms: quantile(s, 0.5), min: s[0]!, max: s[s.length - 1]!, q1: quantile(s, 0.25), q3: quantile(s, 0.75), runs: s.length };
}

export interface MeasureOptions {
  /** Untimed rounds first (compilation, caches, JIT tiers). */
  readonly warmup?: number;
  /** Timed rounds at least… */
  readonly minRounds?: number;
  /** …and at most. */
  readonly maxRounds?: number;
  /** Keep going (up to maxRounds) until every runner has this much timed total, ms. */
  readonly minMs?: number;
}

/**
 * Times each runner (sync or async): `warmup` untimed rounds, then timed rounds, each running
 * every runner once in order, until `minRounds` are done and the fastest runner has `minMs` of
 * total time (at most `maxRounds`).
 * @example
 * const [a, b] = await measureInterleaved([() => f(x), () => g(x)], { warmup: 2, minRounds: 9 });
 * console.log(a.ms, b.ms);
 */
export async function measureInterleaved(runners: readonly (() => unknown)[], opts: MeasureOptions = {}): Promise<Timing[]> {
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
  return times.map(summarizeRuns);
}
