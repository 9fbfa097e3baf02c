/**
 * W4 on the GPU (issue 17's per-call floor): the jitted grad of sum(sin(x)*x) on 16 float32
 * elements, read back, by kiln's webgpu backend and the peers' webgpu backends on Dawn — a table
 * of its own beside W4's cpu table, since each call here awaits its read (the cpu rows batch
 * synchronous calls). Every runner starts from a host array, as a program does; the peers upload
 * it once (an array on their device); kiln runs this small plan on the host's kernels (docs/webgpu.md,
 * "Small jitted plans run on the host"), and a second kiln row keeps it on the device (the rule
 * off: one submission and one read per call). Each peer's ratio is against kiln's first webgpu row.
 */
import { type Tensor, grad, jit, np, setWebgpuHostPlanLimit } from "kiln";
import { onDevice, webgpuAvailable } from "./devices.js";
import { onJaxDevice, webgpuPeers } from "./gpu-peers.js";
import type { BenchOptions } from "./options.js";
import { type RowResult, metric, reason, reportUnavailable, reportWorkload } from "./report.js";
import { measureInterleaved } from "./timing.js";

/** Awaited calls per timed run: each is ~0.1–1 ms on a software adapter. */
const CALLS = 100;

type Runner = () => Promise<ArrayLike<number>>;

/**
 * Times W4 on webgpu for kiln and the peers that start on Dawn; null (nothing printed) without an
 * adapter or with `--cpu-only`.
 * @example
 * const rows = await w4Webgpu(x, want, opts); // { "kiln (webgpu, jit)": …, "jax-js (webgpu, jit)": … }
 */
export async function w4Webgpu(x: Float32Array, want: ArrayLike<number>, opts: BenchOptions): Promise<Record<string, RowResult> | null> {
  if (opts.cpuOnly || !(await webgpuAvailable())) return null;
  const runners: [string, Runner][] = [];
  const failed: Record<string, string> = {};
  const kg = onDevice("webgpu", () => jit(grad((t: Tensor) => np.sum(np.sin(t).mul(t)))));
  const kx = np.array(x);
  runners.push(["kiln (webgpu, jit)", () => onDevice("webgpu", () => (kg(kx) as Tensor).data())]);
  // The same call kept on the device (the small-plan rule off): what one submission and read cost.
  runners.push(["kiln (webgpu, jit, device path)", () => onDevice("webgpu", () => {
    const was = setWebgpuHostPlanLimit({ bytes: 0, flops: 0 });
    try {
      return (kg(kx) as Tensor).data();
    } finally {
      setWebgpuHostPlanLimit(was);
    }
  })]);
  const peers = await webgpuPeers();
  if (typeof peers.jax === "string") failed["jax-js (webgpu, jit)"] = peers.jax;
  else {
    const jax = peers.jax, jnp = jax.numpy;
    type JArray = InstanceType<typeof jnp.Array>;
    const jg = jax.jit(jax.grad((t: JArray) => jnp.sum(jnp.sin(t.ref).mul(t))));
    const jx = onJaxDevice(jax, "webgpu", () => jnp.array(x));
    runners.push(["jax-js (webgpu, jit)", () => onJaxDevice(jax, "webgpu", () => jg(jx.ref).data())]);
  }
  if (typeof peers.tf === "string") failed["TF.js (webgpu)"] = peers.tf;
  else {
    const tf = peers.tf;
    const tg = tf.grad((t) => tf.sum(tf.mul(tf.sin(t), t)));
    const use = async () => {
      if (tf.getBackend() !== "webgpu") await tf.setBackend("webgpu");
    };
    await use();
    const tx = tf.tensor1d(x);
    runners.push(["TF.js (webgpu, eager grad)", async () => {
      await use();
      const r = tg(tx);
      const v = await r.data();
      r.dispose();
      return v as Float32Array;
    }]);
  }
  const errors: number[] = [];
  const ok: [string, Runner][] = [];
  for (const [name, run] of runners) {
    try {
      const got = await run();
      errors.push(Math.max(...Array.from(want, (w, i) => Math.abs(got[i]! - w))));
      ok.push([name, run]);
    } catch (e) {
      failed[name] = reason(e);
    }
  }
  const batch = (run: Runner) => async () => {
    for (let i = 0; i < CALLS; i++) await run();
  };
  const times = await measureInterleaved(ok.map(([, run]) => batch(run)), opts.quick ? { warmup: 1, minRounds: 3, minMs: 200 } : { warmup: 3, minRounds: 9, minMs: 800 });
  const rows = reportWorkload(`W4 on the GPU: jitted grad(sum(sin(x)*x)), x = ${x.length} float32, read back: calls/s (target: kiln ≥ 2x jax-js webgpu)`,
    ok.map(([name], i) => ({ name, timing: times[i]!, extra: { "max error": errors[i]! } })), metric.perSecond("calls/s", CALLS, 0));
  reportUnavailable(failed);
  return rows;
}
