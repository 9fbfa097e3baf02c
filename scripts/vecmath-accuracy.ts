/**
 * The accuracy sweep of the wasm vector math (packages/backend/src/targets/wasm/wasm-vecmath.ts):
 * every `stride`-th float32 bit pattern (all 2^32 with stride 1), plus dense runs of consecutive
 * patterns around 0, ±1, the subnormal boundary and each function's overflow/underflow
 * thresholds. For each function it prints the maximum error in float32 ulps against the float64
 * reference (where, and per range of |x|), and how many lanes differ from the JS twin (must be 0).
 * The table in docs/numerics.md#vector-math comes from this script:
 *
 *   node --conditions=kiln-source --import tsx scripts/vecmath-accuracy.ts [stride=97] [op]
 *
 * Stride 97 takes ~10 minutes for all functions on one core.
 */
import {
  VECMATH_HOST, VECMATH_JS, VECMATH_OPS, VECMATH_REFERENCE, type VecMathOp, ulpError, vecMathModule,
} from "../packages/backend/src/targets/wasm/wasm-vecmath.js";

const stride = Number(process.argv[2] ?? 97);
const only = process.argv[3] as VecMathOp | undefined;
const N = 1 << 16;
const memory = new WebAssembly.Memory({ initial: 8 });
const lanes = new Float32Array(memory.buffer, 0, N);
const xs = new Float32Array(N), bits = new Int32Array(xs.buffer);
const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);
const bitsOf = (x: number) => ((f32[0] = x), i32[0]!);

/** Ranges of |x| the table reports separately. */
const RANGES: readonly [string, (a: number) => boolean][] = [
  ["|x| < 2^-126", (a) => a < 2 ** -126],
  ["< 1", (a) => a >= 2 ** -126 && a < 1],
  ["[1, 100)", (a) => a >= 1 && a < 100],
  ["[100, 1e4]", (a) => a >= 100 && a <= 1e4],
  ["> 1e4", (a) => a > 1e4 && a < Infinity],
];

/** Start patterns of dense runs: 0, ±1, the smallest normal, and thresholds where results change regime. */
const DENSE = [0, 1, 2 ** -126, 88.72, 89, 103.97, 104, 17.33, 0.625, 2 ** -26, 1.25, 3.83, 3.92, Math.PI / 4, 12800].flatMap((a) => [a, -a]);

for (const fn of VECMATH_OPS) {
  if ((only && fn !== only) || fn === "pow") continue; // pow: a two-argument sweep is not a sweep of 2^32 patterns
  const run = (new WebAssembly.Instance(new WebAssembly.Module(vecMathModule(fn)), { env: { memory }, vecmath: VECMATH_HOST }).exports as { run: (p: number, n: number) => void }).run;
  const twin = VECMATH_JS[fn], ref = VECMATH_REFERENCE[fn];
  const worst = RANGES.map(() => ({ err: -1, x: NaN }));
  let mismatches = 0, count = 0;
  const check = (n: number) => {
    lanes.set(xs.subarray(0, (n + 3) & ~3));
    run(0, (n + 3) & ~3);
    for (let j = 0; j < n; j++) {
      const x = xs[j]!, w = lanes[j]!, t = twin(x);
      if (!(Object.is(w, t) || (w !== w && t !== t))) mismatches++;
      const e = ulpError(w, ref(x, x));
      const r = RANGES.findIndex(([, inRange]) => inRange(Math.abs(x)));
      if (r >= 0 && e > worst[r]!.err) worst[r] = { err: e, x };
      count++;
    }
  };
  for (let start = 0; start < 2 ** 32; start += N * stride) {
    let n = 0;
    for (let p = start; n < N && p < 2 ** 32; p += stride) bits[n++] = p | 0;
    check(n);
  }
  for (const a of DENSE) {
    // 2^15 consecutive patterns on each side of the threshold.
    const b = bitsOf(Math.fround(a));
    for (let j = 0; j < N; j++) bits[j] = (b - N / 2 + j) | 0;
    check(N);
  }
  // Specials: every NaN payload class, ±inf, ±0 (not all: a NaN's result is NaN in every case).
  xs.set([NaN, Infinity, -Infinity, 0, -0, 2 ** -149, -(2 ** -149), 3.4028234663852886e38, -3.4028234663852886e38]);
  check(9);
  const cells = worst.map((w) => (Number.isNaN(w.x) ? "—" : `${w.err.toFixed(2)} (x = ${w.x.toPrecision(8)})`));
  console.log(`| ${fn} | ${cells.join(" | ")} | ${mismatches} of ${count} |`);
}
