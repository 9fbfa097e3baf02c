/**
 * jit workloads (issue #6), side by side with jax-js and TF.js. `npm run bench` runs them after
 * W1/W2 (run.ts calls `runJitBenchmarks`); `node --conditions=kiln-source --import tsx
 * bench/src/jit-bench.ts [--quick] [--out path]` runs them alone.
 *  W3  MLP training step, batch 128, 784-256-256-10 (tanh, relu), softmax cross-entropy, SGD,
 *      loss read back every step: steps/s. For kiln also where the step's time goes (kernels
 *      by kind vs everything else: argument matching, dispatch, allocation, State commit).
 *  W4  dispatch: jitted grad(sum(sin(x)*x)), x of 16 elements, read back: calls/s.
 *  W5  jitted hessian of sum(x^3) + x0*x1, x of 32 elements, read back: ms per call.
 *  W6  compile latency: the first call of the jitted W3 step (trace + compile), ms; "cold" is
 *      the first in the process (kernels compiled), "warm" a new jit of the same step
 *      (process-wide kernel caches hit).
 * Medians of interleaved rounds after warm-up (timing.ts). Not a test: numbers depend on the
 * machine and its load.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as jax from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ParamState, type Tensor, grad, hessian, jit, nn, np, optim } from "kiln";
import { setStepTimer } from "@kiln/backend";
import { measureInterleaved } from "./timing.js";

const jnp = jax.numpy;
type JArray = jax.Array;

const SIZES = [784, 256, 256, 10] as const;
const BATCH = 128;
const LR = 0.01;

/** n uniform values in [-scale, scale) from a fixed LCG seed: the same data for every runner. */
export function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/** One set of initial weights and one batch, shared by every peer (same losses from the same start). */
interface MlpData {
  readonly w: Float32Array[];
  readonly b: Float32Array[];
  readonly x: Float32Array;
  readonly labels: Int32Array;
}

function mlpData(): MlpData {
  const w: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 0; l < 3; l++) {
    w.push(random(SIZES[l]! * SIZES[l + 1]!, 10 + l, Math.sqrt(6 / (SIZES[l]! + SIZES[l + 1]!))));
    b.push(new Float32Array(SIZES[l + 1]!));
  }
  const labels = Int32Array.from(random(BATCH, 99), (v) => Math.floor((v + 1) * 5) % 10);
  return { w, b, x: random(BATCH * SIZES[0], 7), labels };
}

const kilnTensor = (data: Float32Array | Int32Array, shape: number[]) => np.array(data, { shape });

/** A W3 step: returns the loss as a number (read back). */
type Step = () => number | Promise<number>;

// ------------------------------------------------------------------------------------- kiln

function kilnW3(d: MlpData): { step: Step; first: () => number; jitted: () => (x: Tensor, y: Tensor) => Tensor } {
  const params: Record<string, ParamState> = {};
  for (let l = 0; l < 3; l++) {
    params[`w${l}`] = new ParamState(kilnTensor(d.w[l]!, [SIZES[l]!, SIZES[l + 1]!]), { name: `w${l}` });
    params[`b${l}`] = new ParamState(kilnTensor(d.b[l]!, [SIZES[l + 1]!]), { name: `b${l}` });
  }
  const opt = new optim.SGD(params, { lr: LR });
  const x = kilnTensor(d.x, [BATCH, SIZES[0]]), y = kilnTensor(d.labels, [BATCH]);
  const loss = (xb: Tensor, yb: Tensor) => {
    const h1 = np.tanh(xb.matmul(params.w0!.value).add(params.b0!.value));
    const h2 = nn.relu(h1.matmul(params.w1!.value).add(params.b1!.value));
    return nn.softmaxCrossEntropy(h2.matmul(params.w2!.value).add(params.b2!.value), yb);
  };
  const make = () => jit((xb: Tensor, yb: Tensor) => {
    const [g, value] = grad(() => loss(xb, yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return value;
  });
  const step = make();
  return { step: () => step(x, y).itemSync(), first: () => step(x, y).itemSync(), jitted: make };
}

// ------------------------------------------------------------------------------------- jax-js

interface JaxParams { [k: string]: JArray[]; w: JArray[]; b: JArray[] }

function jaxW3(d: MlpData): { step: Step; make: () => (p: JaxParams, x: JArray, y: JArray) => [JArray, JaxParams] } {
  // jax-js arrays are reference-counted: every use consumes one reference, so a value used
  // twice is passed as `.ref` the first time.
  const lossFn = (p: JaxParams, x: JArray, y: JArray): JArray => {
    const h1 = jnp.tanh(jnp.matmul(x, p.w[0]!).add(p.b[0]!));
    const h2 = jax.nn.relu(jnp.matmul(h1, p.w[1]!).add(p.b[1]!));
    const logits = jnp.matmul(h2, p.w[2]!).add(p.b[2]!);
    const logp = jax.nn.logSoftmax(logits, -1);
    return jnp.negative(jnp.mean(jnp.sum(logp.mul(jax.nn.oneHot(y, 10)), -1)));
  };
  const make = () => jax.jit((p: JaxParams, x: JArray, y: JArray) => {
    const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), x, y) as [JArray, JaxParams];
    const upd = (a: JArray[], ga: JArray[]) => a.map((v, i) => v.sub(ga[i]!.mul(LR)));
    return [loss, { w: upd(p.w, g.w), b: upd(p.b, g.b) }] as jax.JsTree<JArray>;
  }) as unknown as (p: JaxParams, x: JArray, y: JArray) => [JArray, JaxParams];
  const step = make();
  let p: JaxParams = {
    w: d.w.map((w, l) => jnp.array(w).reshape([SIZES[l]!, SIZES[l + 1]!])),
    b: d.b.map((b) => jnp.array(b)),
  };
  const x = jnp.array(d.x).reshape([BATCH, SIZES[0]]);
  const y = jnp.array(d.labels, { dtype: jnp.int32 });
  return {
    step: () => {
      const [loss, next] = step(p, x.ref, y.ref);
      p = next;
      return loss.dataSync()[0]!;
    },
    make,
  };
}

// ------------------------------------------------------------------------------------- TF.js

async function tfW3(d: MlpData, backend: "cpu" | "wasm"): Promise<Step> {
  const use = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
  };
  await use();
  const w = d.w.map((v, l) => tf.variable(tf.tensor2d(v, [SIZES[l]!, SIZES[l + 1]!])));
  const b = d.b.map((v) => tf.variable(tf.tensor1d(v)));
  const x = tf.tensor2d(d.x, [BATCH, SIZES[0]]);
  const y = tf.oneHot(tf.tensor1d(d.labels, "int32"), 10);
  const opt = tf.train.sgd(LR);
  return async () => {
    await use();
    const loss = opt.minimize(() => {
      const h1 = tf.tanh(tf.add(tf.matMul(x, w[0]!), b[0]!));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w[1]!), b[1]!));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, w[2]!), b[2]!)) as tf.Scalar;
    }, true)!;
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
}

// ------------------------------------------------------------------------------------- W4, W5

const W4_N = 16, W5_N = 32;

function w4Reference(x: Float32Array): Float64Array {
  return Float64Array.from(x, (v) => Math.cos(v) * v + Math.sin(v));
}

function w5Reference(x: Float32Array): number[][] {
  return Array.from({ length: x.length }, (_, i) =>
    Array.from({ length: x.length }, (_, j) => (i === j ? 6 * x[i]! : 0) + ((i === 0 && j === 1) || (i === 1 && j === 0) ? 1 : 0)));
}

function maxAbsErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!));
  return e;
}

/** Runs `f` `k` times per timed run: calls too short to time one by one. */
const batch = (f: () => unknown, k: number) => () => {
  for (let i = 0; i < k; i++) f();
};

// ------------------------------------------------------------------------------------- report

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s);

/** Median milliseconds of the first call of a fresh function made by `make` (`reps` times). */
async function firstCallMs(make: () => () => unknown, reps: number): Promise<number> {
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const f = make();
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1]!;
}

/** Where a kiln W3 step's time goes: kernels by kind (timed by the plan runner) vs the rest. */
function kilnBreakdown(step: Step, steps: number): Record<string, number> {
  const byKind: Record<string, number> = {};
  setStepTimer((kind, ms) => (byKind[kind] = (byKind[kind] ?? 0) + ms));
  let total: number;
  try {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    total = performance.now() - t0;
  } finally {
    setStepTimer(null);
  }
  const kernels = Object.values(byKind).reduce((a, b) => a + b, 0);
  const contraction = byKind.matmul ?? 0;
  return {
    stepMs: total / steps,
    ...Object.fromEntries(Object.entries(byKind).map(([k, v]) => [`${k}Ms`, v / steps])),
    outsideContractionPct: (100 * (total - contraction)) / total,
    outsideKernelsPct: (100 * (total - kernels)) / total,
  };
}

export async function runJitBenchmarks(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const quick = args.includes("--quick");
  const outPath = args.includes("--out") ? args[args.indexOf("--out") + 1]! : join(dirname(fileURLToPath(import.meta.url)), "..", "results", "latest.json");
  await jax.init("wasm");
  jax.defaultDevice("wasm");
  const result: Record<string, unknown> = {};

  // ---- W6 (cold) and W3
  const d = mlpData();
  const kiln = kilnW3(d);
  const jx = jaxW3(d);
  const t0 = performance.now();
  const kilnFirstLoss = kiln.first();
  const kilnCold = performance.now() - t0;
  const t1 = performance.now();
  const jaxFirstLoss = await jx.step();
  const jaxCold = performance.now() - t1;
  const tfCpu = await tfW3(d, "cpu");
  const tfWasm = await tfW3(d, "wasm").catch(() => null);
  const w3: [string, Step][] = [
    ["kiln (cpu, jit)", kiln.step],
    ["jax-js (wasm, jit)", jx.step],
    ["TF.js (cpu)", tfCpu],
    ...(tfWasm ? [["TF.js (wasm)", tfWasm] as [string, Step]] : []),
  ];
  const firstLoss: Record<string, number> = { "kiln (cpu, jit)": kilnFirstLoss, "jax-js (wasm, jit)": jaxFirstLoss };
  for (const [name, s] of w3.slice(2)) firstLoss[name] = await s();
  console.log(`\nW3: MLP train step, batch ${BATCH}, ${SIZES.join("-")} (tanh, relu), softmax cross-entropy, SGD, loss read back: steps/s`);
  const w3Times = await measureInterleaved(w3.map(([, s]) => s), quick ? { warmup: 1, minRounds: 3, maxRounds: 6, minMs: 300 } : { warmup: 2, minRounds: 7, maxRounds: 30, minMs: 1500 });
  const w3Result: Record<string, { ms: number; stepsPerSec: number; runs: number; firstLoss: number }> = {};
  w3.forEach(([name], i) => (w3Result[name] = { ...w3Times[i]!, stepsPerSec: 1000 / w3Times[i]!.ms, firstLoss: firstLoss[name]! }));
  console.log(`${pad("", 28)}${lpad("steps/s", 10)}${lpad("ms/step", 10)}${lpad("1st loss", 10)}`);
  for (const [name, r] of Object.entries(w3Result)) console.log(`${pad(name, 28)}${lpad(r.stepsPerSec.toFixed(1), 10)}${lpad(r.ms.toFixed(2), 10)}${lpad(r.firstLoss.toFixed(4), 10)}`);
  const breakdown = kilnBreakdown(kiln.step, quick ? 5 : 20);
  const kernelMs = Object.entries(breakdown).filter(([k]) => k.endsWith("Ms") && k !== "stepMs");
  console.log(`kiln step breakdown: ${breakdown.stepMs!.toFixed(2)} ms/step (timed separately), of which kernels ${kernelMs.map(([k, v]) => `${k.slice(0, -2)} ${v.toFixed(2)}`).join(", ")}`);
  console.log(`  outside contraction kernels: ${breakdown.outsideContractionPct!.toFixed(1)}% (target < 10%); outside any kernel (matching, dispatch, allocation, commit): ${breakdown.outsideKernelsPct!.toFixed(1)}%`);
  result.w3 = { ...w3Result, kilnBreakdown: breakdown };

  // ---- W6 (warm): a new jit of the same step; kernels are in the process-wide caches.
  const kx = kilnTensor(d.x, [BATCH, SIZES[0]]), ky = kilnTensor(d.labels, [BATCH]);
  const kilnWarm = await firstCallMs(() => {
    const f = kiln.jitted();
    return () => f(kx, ky).itemSync();
  }, quick ? 1 : 3);
  const jxX = jnp.array(d.x).reshape([BATCH, SIZES[0]]), jxY = jnp.array(d.labels, { dtype: jnp.int32 });
  const jaxParams = (): JaxParams => ({ w: d.w.map((w, l) => jnp.array(w).reshape([SIZES[l]!, SIZES[l + 1]!])), b: d.b.map((b) => jnp.array(b)) });
  const jaxWarm = await firstCallMs(() => {
    const f = jx.make();
    const p = jaxParams();
    return () => {
      const [loss, next] = f(p, jxX.ref, jxY.ref);
      jax.tree.dispose(next);
      return loss.dataSync()[0];
    };
  }, quick ? 1 : 3);
  console.log(`\nW6: first call of the jitted W3 step (trace + compile), ms`);
  console.log(`${pad("", 28)}${lpad("cold", 10)}${lpad("warm", 10)}`);
  console.log(`${pad("kiln (cpu, jit)", 28)}${lpad(kilnCold.toFixed(1), 10)}${lpad(kilnWarm.toFixed(1), 10)}`);
  console.log(`${pad("jax-js (wasm, jit)", 28)}${lpad(jaxCold.toFixed(1), 10)}${lpad(jaxWarm.toFixed(1), 10)}`);
  result.w6 = { "kiln (cpu, jit)": { coldMs: kilnCold, warmMs: kilnWarm }, "jax-js (wasm, jit)": { coldMs: jaxCold, warmMs: jaxWarm } };

  // ---- W4
  const x4 = random(W4_N, 4, 3);
  const want4 = w4Reference(x4);
  const kg = jit(grad((x: Tensor) => np.sum(np.sin(x).mul(x))));
  const kx4 = kilnTensor(x4, [W4_N]);
  const jg = jax.jit(jax.grad((x: JArray) => jnp.sum(jnp.sin(x.ref).mul(x))));
  const jx4 = jnp.array(x4);
  await tf.setBackend("cpu");
  const tx4 = tf.tensor1d(x4);
  const tg = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sin(x), x)));
  const w4: [string, () => ArrayLike<number>][] = [
    ["kiln (cpu, jit)", () => kg(kx4).dataSync()],
    ["jax-js (wasm, jit)", () => jg(jx4.ref).dataSync()],
    ["TF.js (cpu, eager grad)", () => {
      const r = tg(tx4);
      const v = r.dataSync();
      r.dispose();
      return v;
    }],
  ];
  const K4 = 2000;
  const err4 = w4.map(([, f]) => maxAbsErr(f(), want4));
  const w4Times = await measureInterleaved(w4.map(([, f]) => batch(f, K4)), quick ? { warmup: 1, minRounds: 3, minMs: 200 } : { warmup: 3, minRounds: 9, minMs: 800 });
  console.log(`\nW4: jitted grad(sum(sin(x)*x)), x = ${W4_N} float32, read back: calls/s`);
  console.log(`${pad("", 28)}${lpad("calls/s", 10)}${lpad("µs/call", 10)}${lpad("max error", 11)}`);
  const w4Result: Record<string, { usPerCall: number; callsPerSec: number; maxErr: number }> = {};
  w4.forEach(([name], i) => {
    const us = (w4Times[i]!.ms * 1000) / K4;
    w4Result[name] = { usPerCall: us, callsPerSec: 1e6 / us, maxErr: err4[i]! };
    console.log(`${pad(name, 28)}${lpad((1e6 / us).toFixed(0), 10)}${lpad(us.toFixed(2), 10)}${lpad(err4[i]!.toExponential(1), 11)}`);
  });
  const w4Ratio = w4Result["kiln (cpu, jit)"]!.callsPerSec / w4Result["jax-js (wasm, jit)"]!.callsPerSec;
  console.log(`kiln / jax-js: ${w4Ratio.toFixed(2)}x (target >= 2x)`);
  result.w4 = { ...w4Result, kilnOverJax: w4Ratio };

  // ---- W5
  const x5 = random(W5_N, 5, 2);
  const want5 = w5Reference(x5).flat();
  const kh = jit(hessian((x: Tensor) => np.sum(x.mul(x).mul(x)).add(x.get(0).mul(x.get(1)))));
  const kx5 = kilnTensor(x5, [W5_N]);
  const jh = jax.jit(jax.hessian((x: JArray) => jnp.sum(x.ref.mul(x.ref).mul(x.ref)).add(x.ref.slice(0).mul(x.slice(1)))));
  const jx5 = jnp.array(x5);
  const w5: [string, () => ArrayLike<number>][] = [
    ["kiln (cpu, jit)", () => kh(kx5).dataSync()],
    ["jax-js (wasm, jit)", () => jh(jx5.ref).dataSync()],
  ];
  const K5 = 50;
  const err5 = w5.map(([, f]) => maxAbsErr(f(), want5));
  const w5Times = await measureInterleaved(w5.map(([, f]) => batch(f, K5)), quick ? { warmup: 1, minRounds: 3, minMs: 200 } : { warmup: 3, minRounds: 9, minMs: 800 });
  console.log(`\nW5: jitted hessian of sum(x^3) + x0*x1, x = ${W5_N} float32, read back: ms per call`);
  console.log(`${pad("", 28)}${lpad("ms/call", 10)}${lpad("max error", 11)}`);
  const w5Result: Record<string, { msPerCall: number; maxErr: number }> = {};
  w5.forEach(([name], i) => {
    const ms = w5Times[i]!.ms / K5;
    w5Result[name] = { msPerCall: ms, maxErr: err5[i]! };
    console.log(`${pad(name, 28)}${lpad(ms.toFixed(4), 10)}${lpad(err5[i]!.toExponential(1), 11)}`);
  });
  const w5Ratio = w5Result["jax-js (wasm, jit)"]!.msPerCall / w5Result["kiln (cpu, jit)"]!.msPerCall;
  console.log(`kiln speed / jax-js: ${w5Ratio.toFixed(2)}x (target >= 1x)`);
  result.w5 = { ...w5Result, kilnSpeedOverJax: w5Ratio };

  // Merge into the results file run.ts wrote (or start one when run alone).
  const merged = existsSync(outPath) ? (JSON.parse(readFileSync(outPath, "utf8")) as Record<string, unknown>) : { date: new Date().toISOString() };
  merged.jit = result;
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, JSON.stringify(merged, null, 2) + "\n");
  console.log(`\nwrote the jit results into ${outPath}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runJitBenchmarks();
