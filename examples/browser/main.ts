/**
 * The browser example: trains a small MLP with kiln and plots the loss. `npm run build:browser`
 * bundles it (esbuild) into examples/browser/dist/main.js, with GPU.js as dist/gpu.js (the page's
 * import map points kiln's lazy `import("gpu.js")` at it); open examples/browser/index.html
 * through any static server.
 *
 * The backend toggle (`?backend=auto|webgpu|gpujs|cpu`): `auto` trains on WebGPU when the browser
 * exposes an adapter (a software one too: the page asks for webgpu by name), else on GPU.js over
 * WebGL (kiln's GPU path where WebGPU is missing), else on the CPU, and says on screen which.
 *
 * The outcome is also left on `window.kilnDemo` for the end-to-end test (test/browser/).
 */
import { type BackendInfo, ParamState, type Tensor, backends, grad, init, jit, nn, np, optim, random, setBackend } from "kiln";

interface DemoResult {
  done: boolean;
  backend: string;
  adapter: string | null;
  losses: number[];
  steps: number;
  /** Milliseconds `init()` took (adapter, device and — on a hardware adapter — kernel tuning). */
  initMs?: number;
  software?: boolean;
  error?: string;
}

const result: DemoResult = { done: false, backend: "", adapter: null, losses: [], steps: 0 };
(window as unknown as { kilnDemo: DemoResult }).kilnDemo = result;

const STEPS = 300;
const READ_EVERY = 10;

function plot(losses: readonly number[]): void {
  const svg = document.getElementById("plot")!;
  const [w, h, pad] = [640, 320, 40];
  const logs = losses.map((l) => Math.log10(Math.max(l, 1e-8)));
  const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
  const x = (i: number) => pad + ((w - 2 * pad) * i) / Math.max(1, STEPS / READ_EVERY);
  const y = (v: number) => h - pad - ((h - 2 * pad) * (v - lo)) / Math.max(1e-9, hi - lo);
  const points = logs.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  svg.innerHTML = [
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/>`,
    `<text class="axis" x="${pad}" y="${h - pad + 16}">step 0</text>`,
    `<text class="axis" x="${w - pad - 50}" y="${h - pad + 16}">step ${STEPS}</text>`,
    `<text class="axis" x="4" y="${pad}">${(10 ** hi).toPrecision(2)}</text>`,
    `<text class="axis" x="4" y="${h - pad}">${(10 ** lo).toPrecision(2)}</text>`,
    `<polyline fill="none" stroke="#2a7" stroke-width="2" points="${points}"/>`,
  ].join("");
}

/** The backends the toggle offers; `auto` picks the first that works here. */
const CHOICES = ["auto", "webgpu", "gpujs", "cpu"] as const;
type Choice = (typeof CHOICES)[number];

const LABEL: Record<Exclude<Choice, "auto">, string> = { webgpu: "WebGPU", gpujs: "GPU.js", cpu: "the CPU backend" };

/** The backend to train on, and the sentence that says why. */
function choose(choice: Choice, info: (name: string) => BackendInfo): { name: Exclude<Choice, "auto">; why: string } {
  const gpu = info("webgpu"), gl = info("gpujs");
  if (choice !== "auto") {
    const b = info(choice);
    if (b.available) return { name: choice, why: `Training on ${LABEL[choice]} (chosen) — ${b.adapter ?? "JavaScript"}.` };
    return { name: "cpu", why: `${LABEL[choice]} is not available in this browser (${b.reason}), so kiln trains on its CPU backend.` };
  }
  if (gpu.available) return { name: "webgpu", why: `Training on WebGPU — adapter: ${gpu.adapter}${gpu.software ? " (a software adapter)" : ""}.` };
  const noGpu = `WebGPU is not available in this browser (${gpu.reason})`;
  // gpujs counts as a GPU path only on WebGL (its webasm/cpu modes are software).
  if (gl.available && !gl.software) return { name: "gpujs", why: `${noGpu}, so kiln trains on GPU.js over WebGL — ${gl.adapter}.` };
  return { name: "cpu", why: `${noGpu}, so kiln falls back to its CPU backend.` };
}

async function main(): Promise<void> {
  const status = document.getElementById("status")!;
  const param = new URLSearchParams(location.search).get("backend") ?? "auto";
  const choice: Choice = (CHOICES as readonly string[]).includes(param) ? (param as Choice) : "auto";
  const select = document.getElementById("backend") as HTMLSelectElement | null;
  if (select) {
    select.value = choice;
    select.onchange = () => { location.search = `?backend=${select.value}`; };
  }
  // The first visit on a hardware adapter measures its matmul kernels; later visits read the
  // result from localStorage.
  status.textContent = "Finding the WebGPU adapter and WebGL…";
  const initStart = performance.now();
  await init();
  result.initMs = Math.round(performance.now() - initStart);
  const all = backends();
  const info = (name: string) => all.find((b) => b.name === name)!;
  const { name, why } = choose(choice, info);
  setBackend(name);
  status.className = name;
  status.textContent = why;
  result.backend = name;
  result.adapter = info(name).adapter ?? null;
  result.software = info(name).software ?? false;

  random.seed(0);
  const x = random.uniform({ low: -1, high: 1, size: [256, 1] });
  const y = np.sin(x.mul(3));
  const model = new nn.MLP([1, 32, 32, 1], { activation: nn.tanh });
  const params = model.states(ParamState);
  const opt = new optim.Adam(params, { lr: 0.01 });
  const lossOf = (xb: Tensor, yb: Tensor) => np.mean(model.call(xb).sub(yb).pow(2));
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [grads, loss] = grad(lossOf, { gradStates: params, returnValue: true })(xb, yb);
    opt.update(grads);
    return loss;
  });
  const t0 = performance.now();
  for (let i = 0; i <= STEPS; i++) {
    const loss = step(x, y) as Tensor;
    if (i % READ_EVERY === 0) {
      result.losses.push(await loss.item());
      result.steps = i;
      plot(result.losses);
    }
  }
  const ms = performance.now() - t0;
  const [first, last] = [result.losses[0]!, result.losses.at(-1)!];
  document.getElementById("summary")!.textContent =
    `${STEPS} steps on ${result.backend} in ${(ms / 1000).toFixed(1)} s: loss ${first.toPrecision(3)} → ${last.toPrecision(3)}.`;
  result.done = true;
}

main().catch((e: unknown) => {
  result.error = String((e as Error)?.stack ?? e);
  result.done = true;
  const status = document.getElementById("status")!;
  status.className = "error";
  status.textContent = `Error: ${(e as Error)?.message ?? e}`;
});
