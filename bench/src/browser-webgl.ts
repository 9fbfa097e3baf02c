/**
 * `npm run bench:webgl`: W1 and W2 in headless Chromium on WebGL2 (SwiftShader here, no GPU flags):
 * kiln's gpujs backend (with and without textures between kernels) vs TF.js's webgl backend on the
 * same page, and kiln's cpu backend. Bundles bench/src/browser-webgl-page.ts (TF.js included, GPU.js
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
  const { result } = await runPage<BenchResult>(await chromium.launch(QUIET_FLAGS), url, "kilnBench", { timeout: 900_000 });
  console.log(`GPU.js mode: ${result.mode}; TF.js backend: ${result.tfBackend}`);
  console.log("W1 (2^20 fused elementwise + sum), ms per call (median):");
  for (const [name, r] of Object.entries(result.w1)) console.log(`  ${name.padEnd(36)}${r.ms.toFixed(1).padStart(9)}  (${r.runs} runs, value ${r.value.toFixed(1)})`);
  console.log("W2 (float32 matmul n×n), ms per call / GFLOP/s (median):");
  for (const [n, row] of Object.entries(result.w2)) {
    for (const [name, r] of Object.entries(row)) console.log(`  n=${n} ${name.padEnd(36)}${r.ms.toFixed(1).padStart(9)} ms ${r.gflops.toFixed(2).padStart(7)} GFLOP/s (${r.runs} runs)`);
  }
} finally {
  await chromium.close();
  server.close();
}
