/**
 * `npm run bench`: kiln against its peers, side by side in one process.
 *  W1  sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32: ms per call   (array-bench.ts)
 *  W2  float32 matmul n×n, n = 128…1024: GFLOP/s                                    (array-bench.ts)
 *  W3  MLP training step (jit(valueAndGrad) + SGD, loss read back): steps/s          (jit-bench.ts)
 *  W4  jitted grad, 16 elements: calls/s; W5 jitted Hessian: ms; W6 first call: ms   (jit-bench.ts)
 *  W7  digits CNN training step: steps/s                                            (cnn-bench.ts)
 *  W8  transformer encoder layer training step: steps/s                           (transformer-bench.ts)
 * The runners of each workload are timed in interleaved rounds after warm-up; each table shows
 * the median, the spread (IQR, min–max) and kiln's speed relative to each peer. Options
 * (options.ts): `--only W2,W3`, `--json file`, `--profile` (where W3's step time goes), `--quick`.
 * Not a test: timings depend on the machine and its load.
 */
import { cpus, loadavg } from "node:os";
import { runArrayBenchmarks } from "./array-bench.js";
import { runCnnBenchmark } from "./cnn-bench.js";
import { runJitBenchmarks } from "./jit-bench.js";
import { parseBenchArgs } from "./options.js";
import { jaxWasmThreads, tfWasmConfig } from "./peers.js";
import { writeJson } from "./report.js";
import { runTransformerBenchmark } from "./transformer-bench.js";

const opts = parseBenchArgs(process.argv.slice(2));
const started = performance.now();
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", loadAverageAtStart: loadavg() },
  options: { ...opts, only: [...opts.only] },
};
console.log(`kiln bench — ${[...opts.only].join(" ")}${opts.quick ? " (quick)" : ""}; load average ${loadavg().map((v) => v.toFixed(1)).join(" ")} on ${cpus().length} CPUs`);

Object.assign(result, await runArrayBenchmarks(opts));
Object.assign(result, await runJitBenchmarks(opts));
Object.assign(result, await runCnnBenchmark(opts));
Object.assign(result, await runTransformerBenchmark(opts));

// How the peers ran (read after they initialized).
const tf = await tfWasmConfig().catch((e: Error) => ({ error: e.message }));
result.peers = { "jax-js": { version: "0.1.25", device: "wasm", jit: "every workload", threads: jaxWasmThreads() }, "TF.js wasm": tf };
console.log(`\npeers: jax-js 0.1.25 wasm (jit on every workload) on ${jaxWasmThreads()} thread(s); TF.js wasm: ${"binary" in tf ? `${tf.binary}, ${tf.threads} thread(s) (${tf.note})` : `not initialized (${tf.error})`}`);
console.log(`load average at the end ${loadavg().map((v) => v.toFixed(1)).join(" ")}; ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
result.loadAverageAtEnd = loadavg();
if (opts.json) writeJson(opts.json, result);
// Dawn devices and the peers' runtimes keep Node's event loop alive: the bench is done.
process.exit(0);
