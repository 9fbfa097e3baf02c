/**
 * jit workloads (issue #6), side by side with jax-js (wasm, `jit` on every workload) and TF.js.
 * `npm run bench` runs them after W1/W2 (run.ts calls `runJitBenchmarks`);
 * `node --conditions=kiln-source --import tsx bench/src/jit-bench.ts [options]` runs them alone
 * (the options of options.ts: `--only W3`, `--json file`, `--profile`, `--quick`).
 *  W3  MLP training step, batch 128, 784-256-256-10 (tanh, relu), softmax cross-entropy, SGD,
 *      loss read back every step: steps/s. kiln jit(grad)+SGD, jax-js jit(valueAndGrad)+SGD,
 *      TF.js wasm `optimizer.minimize` (eager: TF.js has no compiler). With `--profile`, where
 *      kiln's step time goes: kernels by kind (count, ms/step, share) and the rest (argument
 *      matching, dispatch, allocation, State commit).
 *  W4  dispatch: jitted grad(sum(sin(x)*x)), x of 16 elements, read back: calls/s.
 *      Also on webgpu beside the peers' webgpu backends (w4-webgpu.ts) where an adapter exists.
 *  W5  jitted hessian of sum(x^3) + x0*x1, x of 32 elements, read back: ms per call.
 *  W6  compile latency: the first call of the jitted W3 step (trace + compile), ms; "cold" is
 *      the first in the process (kernels compiled), "warm" a new jit of the same step
 *      (process-wide kernel caches hit).
 * Medians of interleaved rounds after warm-up (timing.ts). Not a test: numbers depend on the
 * machine and its load.
 */
import * as jax from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { type Lowered, type Tensor, grad, hessian, jit, np } from "kiln";
import { type BenchOptions, runWhenMain } from "./options.js";
import { random } from "./data.js";
import { BATCH, LR, type MlpData, SIZES, kilnMlp, mlpData, tfMlp } from "./w3-mlp.js";
import type { Step } from "./model-steps.js";
import { type ProfileLine, kernelProfile, printKernelProfile, profileByKind } from "./kernel-profile.js";
import { lpad, metric, pad, reportWorkload } from "./report.js";
import { measureInterleaved } from "./timing.js";
import { w4Webgpu } from "./w4-webgpu.js";
import { onDevice, webgpuAvailable } from "./devices.js";
import { onJaxDevice, webgpuPeers } from "./gpu-peers.js";

const jnp = jax.numpy;
type JArray = jax.Array;

const kilnTensor = (data: Float32Array | Int32Array, shape: number[]) => np.array(data, { shape });


// ------------------------------------------------------------------------------------- kiln

function kilnW3(d: MlpData): { step: Step; first: () => number; jitted: () => (x: Tensor, y: Tensor) => Tensor; lowered: () => Lowered } {
  const { x, y, make } = kilnMlp(d);
  const step = make();
  // lowered() is only called after W6's cold first call: lowering compiles the kernels.
  return { step: () => step(x, y).itemSync(), first: () => step(x, y).itemSync(), jitted: make, lowered: () => step.lower(x, y) };
}

// ------------------------------------------------------------------------------------- jax-js

interface JaxParams { [k: string]: JArray[]; w: JArray[]; b: JArray[] }

function jaxW3(d: MlpData, device: "wasm" | "webgpu" = "wasm"): { step: Step; make: () => (p: JaxParams, x: JArray, y: JArray) => [JArray, JaxParams] } {
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
  // Arrays on `device` (jax-js's default device while they are made); webgpu reads are awaited.
  const made = onJaxDevice(jax, device, () => ({
    p: { w: d.w.map((w, l) => jnp.array(w).reshape([SIZES[l]!, SIZES[l + 1]!])), b: d.b.map((b) => jnp.array(b)) } as JaxParams,
    x: jnp.array(d.x).reshape([BATCH, SIZES[0]]),
    y: jnp.array(d.labels, { dtype: jnp.int32 }),
  }));
  let p = made.p;
  const { x, y } = made;
  const run = () => onJaxDevice(jax, device, () => {
    const [loss, next] = step(p, x.ref, y.ref);
    p = next;
    return loss;
  });
  return {
    step: device === "wasm" ? () => run().dataSync()[0]! : async () => (await run().data())[0]!,
    make,
  };
}

/**
 * W3 on the GPU (issue 17: ≥ 2x jax-js webgpu): the same step on kiln's webgpu backend and on the
 * peers' webgpu backends (Dawn), the loss awaited every step; each peer's ratio is against kiln's
 * webgpu row. Null (nothing printed) without an adapter or with `--cpu-only`.
 */
async function w3Webgpu(d: MlpData, opts: BenchOptions): Promise<Record<string, unknown> | null> {
  if (opts.cpuOnly || !(await webgpuAvailable())) return null;
  const rows: [string, Step][] = [];
  const unavailable: Record<string, string> = {};
  const k = onDevice("webgpu", () => kilnMlp(d));
  const kstep = onDevice("webgpu", () => k.make());
  rows.push(["kiln (webgpu, jit)", async () => (await onDevice("webgpu", () => kstep(k.x, k.y)).data())[0]!]);
  const peers = await webgpuPeers();
  if (typeof peers.jax === "string") unavailable["jax-js (webgpu, jit)"] = peers.jax;
  else rows.push(["jax-js (webgpu, jit)", jaxW3(d, "webgpu").step]);
  if (typeof peers.tf === "string") unavailable["TF.js (webgpu)"] = peers.tf;
  else {
    const tfw = peers.tf;
    const use = async () => {
      if (tfw.getBackend() !== "webgpu") await tfw.setBackend("webgpu");
    };
    await use();
    const minimize = tfMlp(tfw, d);
    rows.push(["TF.js (webgpu)", async () => {
      await use();
      const loss = minimize();
      const v = (await loss.data())[0]!;
      loss.dispose();
      return v;
    }]);
  }
  const firstLoss: Record<string, number> = {};
  for (const [name, s] of rows) firstLoss[name] = await s();
  const times = await measureInterleaved(rows.map(([, s]) => s), opts.quick ? { warmup: 1, minRounds: 3, maxRounds: 6, minMs: 300 } : { warmup: 2, minRounds: 9, maxRounds: 30, minMs: 1500 });
  const result = reportWorkload(`W3 on the GPU: MLP train step, batch ${BATCH}, ${SIZES.join("-")}, loss read back: steps/s (target: kiln ≥ 2x jax-js webgpu)`,
    rows.map(([name], i) => ({ name, timing: times[i]!, extra: { "1st loss": firstLoss[name]! } })), metric.perSecond("steps/s"));
  for (const [name, why] of Object.entries(unavailable)) console.log(`${name} not run: ${why}`);
  return result;
}

// ------------------------------------------------------------------------------------- TF.js

async function tfW3(d: MlpData, backend: "cpu" | "wasm"): Promise<Step> {
  const use = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    await tf.ready();
  };
  await use();
  const minimize = tfMlp(tf, d);
  return async () => {
    await use();
    const loss = minimize();
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
/** `k` consecutive calls of a step that may be async (each awaited before the next). */
const batchAsync = (f: () => unknown, k: number) => async () => {
  for (let i = 0; i < k; i++) await f();
};

// ------------------------------------------------------------------------------------- report

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

function printProfile(p: { stepMs: number; lines: ProfileLine[] }, stats: { kernels: number; flops: number }, targets: Record<string, number>): void {
  console.log(`\nW3 profile (kiln, cpu, jit): ${p.stepMs.toFixed(2)} ms/step; the plan has ${stats.kernels} kernels, ${(stats.flops / 1e6).toFixed(0)} MFLOP/step; kernels by target: ${Object.entries(targets).map(([t, n]) => `${t} ${n}`).join(", ")}`);
  console.log(`${pad("kind", 18)}${lpad("count", 8)}${lpad("ms/step", 10)}${lpad("share", 9)}`);
  for (const l of p.lines) console.log(`${pad(l.kind, 18)}${lpad(l.countPerStep ? l.countPerStep.toFixed(0) : "", 8)}${lpad(l.msPerStep.toFixed(3), 10)}${lpad(`${l.sharePct.toFixed(1)}%`, 9)}`);
}

/** W3–W6 as selected by `opts.only`; returns their results (also printed). */
export async function runJitBenchmarks(opts: BenchOptions): Promise<Record<string, unknown>> {
  const { quick } = opts;
  const result: Record<string, unknown> = {};
  if (![..."3456"].some((k) => opts.only.has(`W${k}` as "W3"))) return result;
  await jax.init("wasm");
  jax.defaultDevice("wasm");
  const d = mlpData();

  if (opts.only.has("W3") || opts.only.has("W6")) {
    // ---- W6 (cold) and W3
    const kiln = kilnW3(d);
    const jx = jaxW3(d);
    const t0 = performance.now();
    const kilnFirstLoss = kiln.first();
    const kilnCold = performance.now() - t0;
    const t1 = performance.now();
    const jaxFirstLoss = await jx.step();
    const jaxCold = performance.now() - t1;
    if (opts.only.has("W3")) {
      const w3: [string, Step][] = [["kiln (cpu, jit)", kiln.step], ["jax-js (wasm, jit)", jx.step]];
      const unavailable: Record<string, string> = {};
      try {
        w3.push(["TF.js (wasm)", await tfW3(d, "wasm")]);
      } catch (e) {
        unavailable["TF.js (wasm)"] = (e as Error).message;
      }
      const firstLoss: Record<string, number> = { "kiln (cpu, jit)": kilnFirstLoss, "jax-js (wasm, jit)": jaxFirstLoss };
      for (const [name, s] of w3.slice(2)) firstLoss[name] = await s();
      // A sample is K3 consecutive steps of one runner, as a training loop runs them (runners still
      // interleaved sample by sample): a single step timed between two peers' steps starts with the
      // other runner's data in the caches and (kiln) a pool worker asleep.
      const K3 = 4;
      const times = await measureInterleaved(w3.map(([, s]) => batchAsync(s, K3)), quick ? { warmup: 1, minRounds: 3, maxRounds: 6, minMs: 300 } : { warmup: 2, minRounds: 9, maxRounds: 30, minMs: 1500 });
      result.W3 = reportWorkload(`W3: MLP train step, batch ${BATCH}, ${SIZES.join("-")} (tanh, relu), softmax cross-entropy, SGD, loss read back each step, ${K3} steps a sample: steps/s`,
        w3.map(([name], i) => ({ name, timing: times[i]!, extra: { "1st loss": firstLoss[name]! } })), metric.perSecond("steps/s", K3));
      if (unavailable["TF.js (wasm)"]) console.log(`TF.js (wasm) not run: ${unavailable["TF.js (wasm)"]}`);
      if (opts.profile) {
        const { stats, kernels } = kiln.lowered();
        const targets: Record<string, number> = {};
        for (const k of kernels) targets[k.backend] = (targets[k.backend] ?? 0) + 1;
        const perKernel = kernelProfile(kiln.step, kernels, quick ? 5 : 30);
        const profile = profileByKind(perKernel);
        printProfile(profile, stats, targets);
        printKernelProfile("W3 per kernel", perKernel, stats.flops / 1e6, 8);
        result.W3profile = { ...profile, kernels: stats.kernels, mflopPerStep: stats.flops / 1e6, kernelsByTarget: targets, perKernel: perKernel.lines };
      }
    }
    if (opts.only.has("W3")) {
      const gpu3 = await w3Webgpu(d, opts);
      if (gpu3) result.W3webgpu = gpu3;
    }
    if (opts.only.has("W6")) {
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
      console.log(`\nW6: first call of the jitted W3 step (trace + compile), ms (cold: first in the process; warm: a new jit, kernel caches hit)`);
      console.log(`${pad("", 30)}${lpad("cold", 11)}${lpad("warm", 11)}`);
      console.log(`${pad("kiln (cpu, jit)", 30)}${lpad(kilnCold.toFixed(1), 11)}${lpad(kilnWarm.toFixed(1), 11)}`);
      console.log(`${pad("jax-js (wasm, jit)", 30)}${lpad(jaxCold.toFixed(1), 11)}${lpad(jaxWarm.toFixed(1), 11)}`);
      result.W6 = { "kiln (cpu, jit)": { coldMs: kilnCold, warmMs: kilnWarm }, "jax-js (wasm, jit)": { coldMs: jaxCold, warmMs: jaxWarm } };
    }
  }

  if (opts.only.has("W4")) {
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
      // TF.js has no jit; on 16 elements its cpu backend is its fastest (no wasm call overhead).
      ["TF.js (cpu, eager grad)", () => {
        const r = tg(tx4);
        const v = r.dataSync();
        r.dispose();
        return v;
      }],
    ];
    const K4 = 2000;
    const err4 = w4.map(([, f]) => maxAbsErr(f(), want4));
    const times = await measureInterleaved(w4.map(([, f]) => batch(f, K4)), quick ? { warmup: 1, minRounds: 3, minMs: 200 } : { warmup: 3, minRounds: 9, minMs: 800 });
    result.W4 = reportWorkload(`W4: jitted grad(sum(sin(x)*x)), x = ${W4_N} float32, read back: calls/s (target: kiln ≥ 2x jax-js)`,
      w4.map(([name], i) => ({ name, timing: times[i]!, extra: { "max error": err4[i]! } })), metric.perSecond("calls/s", K4, 0));
    const gpu4 = await w4Webgpu(x4, want4, opts);
    if (gpu4) result.W4webgpu = gpu4;
  }

  if (opts.only.has("W5")) {
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
    const times = await measureInterleaved(w5.map(([, f]) => batch(f, K5)), quick ? { warmup: 1, minRounds: 3, minMs: 200 } : { warmup: 3, minRounds: 9, minMs: 800 });
    result.W5 = reportWorkload(`W5: jitted hessian of sum(x^3) + x0*x1, x = ${W5_N} float32, read back: ms per call (target: kiln ≤ 1x jax-js's time)`,
      w5.map(([name], i) => ({ name, timing: times[i]!, extra: { "max error": err5[i]! } })), metric.ms(K5, 4));
  }
  return result;
}

await runWhenMain(import.meta.url, null, runJitBenchmarks);
