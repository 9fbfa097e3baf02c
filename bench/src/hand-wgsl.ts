/**
 * Hand-written WGSL baselines on their own Dawn device: what a careful WebGPU programmer writes
 * for W1 (one pass of per-workgroup partial sums, read back and added on the host) and for a
 * matmul (a register-blocked 8×16 tile per invocation, B read as vec4 rows). Inputs are uploaded
 * once; every run dispatches and reads its result back.
 */
import { type Peer } from "./peers.js";

interface Dawn {
  device: GPUDevice;
}

async function dawnDevice(): Promise<Dawn | null> {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  process.env.EGL_PLATFORM ??= "surfaceless";
  const spec = "webgpu";
  const { create, globals } = (await import(spec)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, globals);
  const instance = create(["backend=opengles"]);
  const adapter = await instance.requestAdapter({ featureLevel: "compatibility" } as GPURequestAdapterOptions);
  if (!adapter) return null;
  const device = await adapter.requestDevice({
    requiredLimits: { maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
  });
  (globalThis as { __kilnBenchDawn?: unknown }).__kilnBenchDawn = instance; // the instance must outlive the device
  return { device };
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

function buffer(device: GPUDevice, data: Float32Array | number): GPUBuffer {
  const size = typeof data === "number" ? data * 4 : data.byteLength;
  const b = device.createBuffer({ size, usage: USAGE() });
  if (typeof data !== "number") device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>);
  return b;
}

async function run(device: GPUDevice, pipe: GPUComputePipeline, bufs: GPUBuffer[], groups: number, out: GPUBuffer, n: number): Promise<Float32Array> {
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, bg);
  pass.dispatchWorkgroups(groups);
  pass.end();
  enc.copyBufferToBuffer(out, 0, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const r = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return r;
}

const W1_GROUPS = 32, W1_THREADS = 64;

function w1Shader(n: number): string {
  const chunk = Math.ceil(n / W1_GROUPS);
  return `@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
var<workgroup> red: array<f32, ${W1_THREADS}>;
@compute @workgroup_size(${W1_THREADS}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  let lo = wid.x * ${chunk}u;
  let hi = min(lo + ${chunk}u, ${n}u);
  for (var i = lo + lid; i < hi; i += ${W1_THREADS}u) {
    let x = a[i];
    acc += tanh(x * 1.5 + 0.5) / (1.0 + exp(-x)) - 0.1 * x * x;
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${W1_THREADS / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { o[wid.x] = red[0]; }
}`;
}

const TM = 8, TN = 16;

function matmulShader(n: number): string {
  const [ti, tj, n4] = [n / TM, n / TN, n / 4];
  const lines = [
    `@group(0) @binding(0) var<storage, read_write> c: array<vec4<f32>>;`,
    `@group(0) @binding(1) var<storage, read> a: array<f32>;`,
    `@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;`,
    `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {`,
    `  let t = g.x; if (t >= ${ti * tj}u) { return; }`,
    `  let i0 = (t / ${tj}u) * ${TM}u; let q0 = (t % ${tj}u) * ${TN / 4}u;`,
  ];
  for (let r = 0; r < TM; r++) for (let q = 0; q < TN / 4; q++) lines.push(`  var c${r}_${q} = vec4<f32>(0.0);`);
  lines.push(`  for (var p = 0u; p < ${n}u; p++) {`);
  for (let r = 0; r < TM; r++) lines.push(`    let a${r} = a[(i0 + ${r}u) * ${n}u + p];`);
  for (let q = 0; q < TN / 4; q++) lines.push(`    let b${q} = b[p * ${n4}u + q0 + ${q}u];`);
  for (let r = 0; r < TM; r++) for (let q = 0; q < TN / 4; q++) lines.push(`    c${r}_${q} += a${r} * b${q};`);
  lines.push(`  }`);
  for (let r = 0; r < TM; r++) for (let q = 0; q < TN / 4; q++) lines.push(`  c[(i0 + ${r}u) * ${n4}u + q0 + ${q}u] = c${r}_${q};`);
  lines.push(`}`);
  return lines.join("\n");
}

/**
 * The hand-written WGSL peer (empty when Dawn finds no adapter).
 * @example
 * const peers = await handWgslPeers(); // [{ name: "hand-written WGSL", w1, matmul }]
 */
export async function handWgslPeers(): Promise<Peer[]> {
  const dawn = await dawnDevice();
  if (!dawn) return [];
  const { device } = dawn;
  const pipeline = (code: string) => device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code }), entryPoint: "main" } });
  return [{
    name: "hand-written WGSL",
    w1(x) {
      const pipe = pipeline(w1Shader(x.length));
      const [input, partial] = [buffer(device, x), buffer(device, W1_GROUPS)];
      return async () => (await run(device, pipe, [partial, input], W1_GROUPS, partial, W1_GROUPS)).reduce((s, v) => s + v, 0);
    },
    matmul(a, b, n) {
      if (n % TN !== 0) return () => null;
      const pipe = pipeline(matmulShader(n));
      const [A, B, C] = [buffer(device, a), buffer(device, b), buffer(device, n * n)];
      return () => run(device, pipe, [C, A, B], Math.ceil((n / TM) * (n / TN) / 64), C, n * n);
    },
  }];
}
