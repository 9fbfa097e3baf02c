/**
 * `npm run bench:webgl`: W1, W2 and W3 in headless Chromium on WebGL2 (SwiftShader here, no GPU flags):
 * kiln's gpujs backend (with and without textures between kernels; W1/W2 read back with `await`,
 * as the TF.js peer does, and with the blocking sync read) vs TF.js's webgl backend on the same
 * page, and kiln's cpu backend. Bundles bench/src/browser-webgl-page.ts (TF.js included, GPU.js
 * as an ES module) into bench/browser/dist and prints the medians. Not a test: numbers depend on
 * the machine and its load.
 */
import { join } from "node:path";
import { bundleForBrowser } from "../../scripts/build-browser.js";
import { QUIET_FLAGS, chromiumLauncher, runPage, serve } from "../../test/browser/chromium.js";
import type { BenchResult } from "./browser-webgl-page.js";


await bundleForBrowser({ entry: "bench/src/browser-webgl-page.ts", outdir: "bench/browser/dist", minify: true });
const { server, url } = await serve(join(import.meta.dirname, "../browser"));
const chromium = chromiumLauncher();
try {
  // `--sizes 128,256,512,1024`: W2's sizes (the page's default: 256, 512).
  const sizes = process.argv.indexOf("--sizes");
  const page = sizes > 0 ? `${url}?sizes=${encodeURIComponent(process.argv[sizes + 1] ?? "")}` : url;
  const { result } = await runPage<BenchResult>(await chromium.launch(QUIET_FLAGS), page, "kilnBench", { timeout: 1_800_000 });
  console.log(`GPU.js mode: ${result.mode}; TF.js backend: ${result.tfBackend}; one init() ${result.initMs?.toFixed(2)} ms (kiln peers call it only when their gpujs settings change)`);
  console.log("W1 (2^20 fused elementwise + sum), ms per call (median):");
  for (const [name, r] of Object.entries(result.w1)) console.log(`  ${name.padEnd(36)}${r.ms.toFixed(1).padStart(9)}  (${r.runs} runs, value ${r.value.toFixed(1)})`);
  console.log("W2 (float32 matmul n×n), ms per call / GFLOP/s (median):");
  for (const [n, row] of Object.entries(result.w2)) {
    for (const [name, r] of Object.entries(row)) console.log(`  n=${n} ${name.padEnd(36)}${r.ms.toFixed(1).padStart(9)} ms ${r.gflops.toFixed(2).padStart(7)} GFLOP/s (${r.runs} runs)`);
  }
  console.log("W2 on gpujs, where the time goes (ms per call, median): full (fresh inputs, dataSync), inputs kept as textures, kernels only (jitted, one value read), kernels with flat-index fetches, per-call floor (8×8):");
  for (const [n, row] of Object.entries(result.w2Profile)) console.log(`  n=${n} ${Object.entries(row).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(", ")}`);
  console.log("W3 (MLP training step, batch 128, 784-256-256-10, loss read back), ms per step / steps/s (median):");
  for (const [name, r] of Object.entries(result.w3)) console.log(`  ${name.padEnd(36)}${r.ms.toFixed(1).padStart(9)} ms ${r.stepsPerS.toFixed(2).padStart(7)} steps/s (${r.runs} runs, first loss ${r.firstLoss.toFixed(4)})`);
  // kiln ÷ TF.js time: below 1 means kiln is faster (the target is ≤ 0.5 on W2 and W3).
  const tf = "TF.js (webgl)", kiln = "kiln gpujs (webgl2, pipelined)";
  const ratio = (a?: { ms: number }, b?: { ms: number }) => (a && b ? (a.ms / b.ms).toFixed(2) : "n/a");
  console.log(`kiln gpujs ÷ TF.js webgl time: W1 ${ratio(result.w1[kiln], result.w1[tf])}, ${Object.entries(result.w2).map(([n, row]) => `W2 n=${n} ${ratio(row[kiln], row[tf])}`).join(", ")}, W3 ${ratio(result.w3[kiln], result.w3[tf])}`);
  const sync = "kiln gpujs (webgl2, pipelined, sync read)", once = "kiln gpujs (webgl2, pipelined, inputs made once)";
  console.log(`  with kiln's blocking reads (dataSync/itemSync): W1 ${ratio(result.w1[sync], result.w1[tf])}, ${Object.entries(result.w2).map(([n, row]) => `W2 n=${n} ${ratio(row[sync], row[tf])}`).join(", ")}`);
  console.log(`  with the inputs made once (as the TF.js peer's): ${Object.entries(result.w2).map(([n, row]) => `W2 n=${n} ${ratio(row[once], row[tf])}`).join(", ")}`);
  console.log(`  W3 with the parameters read back and uploaded again each step: ${ratio(result.w3["kiln gpujs (webgl2, read back each call)"], result.w3[tf])}`);
  console.log("gpujs kernel by kernel (profile(), each GL pass finished before it is timed; `:first` is a tiled contraction's block pass), ms per call:");
  for (const [what, p] of Object.entries(result.kernelProfile ?? {})) {
    console.log(`  ${what}: wall ${p.wallMs.toFixed(1)} ms; ${p.kernels.map((k) => `${k.name}${k.runs === 1 ? "" : ` ×${k.runs}`} ${k.ms.toFixed(2)}`).join(", ")}`);
  }
  if (result.gpujs) {
    console.log(`GPU.js: ${result.gpujs.compiles} kernels created (${result.gpujs.tiled} tiled contractions), ${result.gpujs.runs} runs, ${result.gpujs.readbacks} readbacks, ${result.gpujs.keptUploads} host values kept as textures`);
    for (const [name, u] of Object.entries(result.gpujs.w3Uploads)) console.log(`  W3 uploads in the third step (${name}): ${u.uploads} arrays, ${(u.bytes / 1024).toFixed(1)} KB`);
  }
} finally {
  await chromium.close();
  server.close();
}
