/**
 * The gpujs backend on WebGL2 in a real browser: headless Chromium (no GPU flags: its SwiftShader GL
 * gives a WebGL2 context with EXT_color_buffer_float) runs the backend conformance suite and a
 * jitted training step on GPU.js's `webgl2` mode (test/browser/gpujs-page/), and each case is
 * reported here as its own test. Under CI (CI=true) a missing Chromium or WebGL2 context fails the
 * suite; elsewhere it is skipped with a warning.
 */
import { expect } from "chai";
import { type Server } from "node:http";
import { join } from "node:path";
import { bundleForBrowser } from "../../scripts/build-browser.js";
import { QUIET_FLAGS, chromiumLauncher, requireChromium, runPage, serve } from "./chromium.js";
import { type CaseResult, type GpujsPageResult, WEBGL_DEVIATIONS, caseKeys } from "./gpujs-page/cases.js";

const ROOT = join(import.meta.dirname, "gpujs-page");

describe("browser: gpujs on WebGL2 in headless Chromium", function () {
  // The page runs ~830 cases on a software rasterizer: ~2 minutes at load 3, over 3 at load 10.
  this.timeout(480_000);
  let server: Server | undefined;
  const { launch, close } = chromiumLauncher();
  let result: GpujsPageResult;
  const byKey = new Map<string, CaseResult>();

  before(async function () {
    requireChromium(this);
    await bundleForBrowser({ entry: "test/browser/gpujs-page/main.ts", outdir: "test/browser/gpujs-page/dist" });
    let url: string;
    ({ server, url } = await serve(ROOT));
    ({ result } = await runPage<GpujsPageResult>(await launch(QUIET_FLAGS), url, "kilnGpujs", { timeout: 420_000 }));
    if (!result.webgl2 || result.mode !== "webgl2") {
      const why = `no WebGL2 for GPU.js in headless Chromium (WebGL2 context: ${result.webgl2}, GPU.js mode: ${result.mode}, ${result.adapter})`;
      if (process.env.CI === "true") throw new Error(`${why}; CI requires the gpujs WebGL2 suite`);
      console.warn(`\n  gpujs WebGL2 suite skipped: ${why}\n`);
      this.skip();
    }
    for (const r of result.cases) byKey.set(r.key, r);
  });

  after(async () => {
    await close();
    server?.close();
  });

  it("GPU.js runs in webgl2 mode and kiln reports it as a hardware gpujs backend", () => {
    expect(result.mode).to.equal("webgl2");
    expect(result.adapter).to.equal("GPU.js webgl2");
    expect(result.floatColorBuffer).to.equal(true);
  });

  it("the suite ran GPU.js kernels, not only host fallbacks", () => {
    expect(result.cases.length).to.equal(caseKeys().length);
    expect(result.gpujsRuns).to.be.greaterThan(300);
  });

  describe("conformance (every primitive and fused pattern, vs the float64 interpreter)", () => {
    for (const { key } of caseKeys()) {
      const deviation = WEBGL_DEVIATIONS[key];
      if (!deviation) {
        it(key, () => {
          const r = byKey.get(key);
          expect(r, "the page ran the case").to.not.equal(undefined);
          expect(r!.ok, r!.error).to.equal(true);
        });
      } else {
        // A documented deviation: only the named element may differ (the case fails there and nowhere earlier).
        it(`${key} (deviates at element ${deviation.element} only: ${deviation.why})`, () => {
          const r = byKey.get(key);
          expect(r?.ok).to.equal(false);
          expect(r!.error).to.match(new RegExp(`element ${deviation.element}: `));
        });
      }
    }
  });

  it("a jitted MLP training step (valueAndGrad + SGD) lowers the loss and follows the cpu backend", () => {
    const { gpujs, cpu } = result.train!;
    expect(gpujs.gpujsRuns, "the step ran GPU.js kernels").to.be.greaterThan(gpujs.losses.length * 5);
    expect(gpujs.losses.every(Number.isFinite)).to.equal(true);
    expect(gpujs.losses.at(-1)!).to.be.lessThan(gpujs.losses[0]! / 2);
    // float32 sums on the GPU vs the cpu backend's float64 accumulation, over 20 SGD steps.
    gpujs.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!), `step ${i}`).to.be.at.most(1e-3 * Math.abs(cpu.losses[i]!)));
    expect(gpujs.params.length).to.equal(cpu.params.length);
    gpujs.params.forEach((p, i) => expect(Math.abs(p - cpu.params[i]!), `parameter ${i}`).to.be.at.most(1e-3 + 1e-3 * Math.abs(cpu.params[i]!)));
  });

  describe("tiled contractions, split reductions, async reads", () => {
    for (const [rows, key] of [[8, "cases"], [4, "cases4"]] as const) {
      it(`contractions of odd shapes and layouts match the cpu backend, tiled where the operands are plain loads (${rows}-row blocks)`, () => {
        const cases = result.tiled![key];
        expect(cases.length).to.equal(23);
        for (const c of cases) {
          expect(c.error, c.name).to.equal(undefined);
          expect(c.maxErr, c.name).to.be.at.most(1e-5);
          // a prologue of exact elementwise ops with constants (relu) is tiled, any other keeps the dot form; n not a multiple of 4 (W3's n = 10) is tiled
          expect(c.tiled, c.name).to.equal(/dot form/.test(c.name) ? 0 : 1);
        }
      });
    }

    it("a matmul kernel's source shows the tiled form: 8×4 blocks in eight render targets (SwiftShader has 8), then the epilogue per texel", () => {
      const src = result.tiled!.matmulSource;
      // 128×784 · 784×256: 16 · 64 threads of 8×4 outputs, then 128 · 256 / 4 epilogue threads
      expect(src).to.match(/GPU\.js kernel \(output 4096, 4 per thread, 8 render targets\)\nfunction \w+_block\(b\d, b\d\) \{\n  const c0 = tile_block\(\);/);
      expect(src).to.match(/then, reading its outputs as bk0, bk1, bk2, bk3, bk4, bk5, bk6, bk7:\n\/\/ GPU\.js kernel \(output 32768, 4 per thread\)/);
      expect(src).to.match(/const d = tile_out\(\);[^]*return \[t\d+_0, t\d+_1, t\d+_2, t\d+_3\];/);
      // A's rows and B's rows as whole texels: twelve fetches per four steps of k and eight rows, at
      // wrapped coordinates where a thread's rows cross the edge of GPU.js's near-square textures
      expect(src).to.match(/vec4 a0 = texture\(user_b\d+, vec2\(fract\(\(ua0 \+ qa\)\)[^]*mat4 y = mat4\(texture\(user_b\d+, vec2\(fract\(\(ub0 \+ qb\)\)[^]*c7 \+= y \* a7;/);
    });

    it("block loops fetch at direct texel coordinates where the layouts allow, bit-identical to the flat-index fetches", () => {
      const { identical, products, mismatches, source } = result.tiled!.directFetch;
      expect(products).to.equal(26);
      expect(identical, `differ: ${mismatches.join("; ")}`).to.equal(true);
      // 256×256 · 256×256: A and B both as rows, direct (texture width 128 divides the 256 texels B moves per four steps of k)
      expect(source).to.match(/direct = direct && pa0\.x \+ 64 <= user_b\d+Size\.x && [^]*int dyb = 256 \/ user_b\d+Size\.x;/);
      // … a width test first that implies it for every thread (GPU.js's sizes are constants: the compiler drops the wrapped loop)
      expect(source).to.match(/if \(\(user_b\d+Size\.x % 64 == 0 && 256 % user_b\d+Size\.x == 0\) \|\| direct\) \{\n    for \(int q2 = 0; q2 < 64; q2 \+= 2\) \{[^]*vec4 a7 = texture\(user_b\d+, vec2\(fa7\.x \+ qa, fa7\.y\)\);[^]*\} else \{/);
    });

    it("a plain product read back skips its layout pass (its block targets laid out on the host), bit-identical to the layout pass's result", () => {
      const { identical, products, mismatches, eagerRuns, jitRuns } = result.tiled!.hostLayout;
      expect(products).to.equal(5);
      expect(identical, `differ: ${mismatches.join("; ")}`).to.equal(true);
      // eager (read back): the block pass only; jitted (its result kept on the GPU): block + layout passes
      expect(eagerRuns).to.deep.equal([1, 1, 1, 1, 1]);
      expect(jitRuns).to.deep.equal([2, 2, 2, 2, 2]);
    });

    it("W1's sum of 2^20 runs in two passes (1024 partials in parallel, then their sum) and matches cpu", () => {
      const { sumSource, sum } = result.tiled!;
      expect(sumSource).to.match(/function reduce_\w+_partials\(b1\) \{\n  const split_c = this\.thread\.x;/);
      expect(sumSource).to.match(/GPU\.js kernel \(output 1024\)/);
      expect(sumSource).to.match(/for \(let split_c = 0; split_c < 1024; split_c \+= 1\)/);
      expect(Math.abs(sum.gpujs - sum.cpu)).to.be.at.most(1e-4 * Math.abs(sum.cpu));
    });

    it("await item() / data() read through a pixel-pack buffer and fence, with the values of the sync read", () => {
      const { equal, readbacks, asyncReadbacks } = result.tiled!.asyncRead;
      expect(equal).to.equal(true);
      expect([readbacks, asyncReadbacks]).to.deep.equal([2, 2]);
    });

    it("await data() of work known to be short reads blocking after one task (no fence); blockingReadMs: 0 waits on fences", () => {
      expect(result.tiled!.asyncRead.blockingReads, "first reads: the plans' times unknown, fences").to.equal(0);
      const { equal, again, off, jitted } = result.tiled!.blockingRead;
      expect(equal).to.equal(true);
      expect({ again, off, first: jitted[0], last: jitted.slice(-2) }).to.deep.equal({ again: 2, off: 0, first: 0, last: [1, 1] });
    });

    it("profile() times each pass of a tiled contraction, the block pass as '<name>:first'", () => {
      const { kernels, sameValue } = result.tiled!.profiled;
      expect(sameValue).to.equal(true);
      const epilogue = kernels.find((k) => /^matmul_tanh_\w+$/.test(k.name));
      const block = kernels.find((k) => k.name === `${epilogue?.name}:first`);
      expect([epilogue?.runs, block?.runs]).to.deep.equal([1, 1]);
      // each pass finished before it is timed: the 128×784·784×256 block pass takes time of its own
      expect(block!.ms).to.be.a("number").and.above(0);
      expect(epilogue!.ms).to.be.a("number").and.at.least(0);
    });
  });

  describe("values of jitted calls resident on the GPU across calls", () => {
    it("a jitted training step uploads its parameters once and its fixed batch twice in 50 steps, then only a host step's output", () => {
      const { uploadsPerStep: u, paramBytes, batchBytes, keptUploads } = result.resident!;
      expect(u.length).to.equal(50);
      // The first step uploads the initial parameters and the batch (host arrays, once per kernel
      // binding them); later steps bind the textures the previous step left. The second step binds
      // the batch (and the graph's captured constants) again: each is copied to a texture once
      // (gpujs-upload.ts), which every later step binds. What later steps upload is what a host
      // step computes inside the plan each call (32 values here), not the batch.
      expect(u[0]! - u[1]!).to.be.at.least(paramBytes);
      expect(u[1]!).to.be.at.least(batchBytes);
      expect(new Set(u.slice(2)).size, `uploads per step ${u.slice(0, 5).join(", ")}, …`).to.equal(1);
      expect(u[2]!).to.be.lessThan(batchBytes / 2);
      expect(keptUploads, "x, y and the captured constants kept as textures").to.be.at.least(2);
      expect(result.resident!.texturesAfterSteps, "the 6 parameters, nothing else").to.equal(6);
    });

    it("the step's losses and parameters match reading values back each call, and follow cpu", () => {
      const { losses, params } = result.resident!;
      expect(losses.resident).to.deep.equal(losses.readBack);
      expect(params.resident).to.deep.equal(params.readBack);
      losses.resident.forEach((l, i) => expect(Math.abs(l - losses.cpu[i]!), `step ${i}`).to.be.at.most(1e-3 * Math.abs(losses.cpu[i]!)));
      params.resident.forEach((p, i) => expect(Math.abs(p - params.cpu[i]!), `parameter ${i}`).to.be.at.most(1e-3 + 1e-3 * Math.abs(params.cpu[i]!)));
    });

    it("a value kept from call k is unchanged after call k + 1 ran the kernel that made it (immutable textures)", () => {
      const { keptState, keptResult } = result.resident!;
      expect(keptState.got).to.deep.equal(keptState.want);
      expect(keptResult.got).to.deep.equal(keptResult.want);
    });

    it("textures and buffers stay flat over 1,000 steps, and dispose() releases textures", () => {
      const { flat, disposed } = result.resident!;
      expect(flat.textures[1]).to.equal(flat.textures[0]);
      expect(flat.buffers[1]).to.equal(flat.buffers[0]);
      expect(disposed.before - disposed.after).to.equal(5);
    });

    it("the cpu backend reads a resident value through its texture", () => {
      const { onCpu } = result.resident!;
      expect(onCpu.got).to.deep.equal(onCpu.want);
    });
  });

  it("await data() with the WebGL context lost meanwhile: a BackendUnavailableError, on a fence and after one task", () => {
    const { fence, blocking } = result.contextLost!;
    expect(blocking).to.equal("1 blocking; BackendUnavailableError: the WebGL context was lost while reading a GPU.js result");
    expect(fence).to.equal("BackendUnavailableError: the WebGL context was lost while reading a GPU.js result");
  });

  it("pipeline: values stay on the GPU between the kernels of a plan, with the same results", () => {
    const { gpujs, unpipelined } = result.train!;
    // Without pipelining every GPU.js kernel's output is read back; with it, only what leaves a
    // step's plan (the loss and the updated parameters) or feeds a host step.
    expect(unpipelined.readbacks).to.equal(unpipelined.gpujsRuns);
    expect(gpujs.readbacks).to.be.greaterThan(0).and.lessThan(gpujs.gpujsRuns / 2);
    expect(gpujs.losses).to.deep.equal(unpipelined.losses);
    expect(gpujs.params).to.deep.equal(unpipelined.params);
  });
});
