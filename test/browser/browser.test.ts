/**
 * End to end in a real browser: the bundled example page (examples/browser) trains an MLP with kiln
 * in Debian's headless Chromium, driven by playwright-core. With WebGPU exposed (SwiftShader,
 * Chromium's software adapter) the page must train on the webgpu backend and the loss must fall;
 * with navigator.gpu absent it must say so on screen and train on gpujs over WebGL2 (kiln's GPU
 * path without WebGPU); its backend toggle (`?backend=cpu`) picks the backend by name.
 * Under CI (CI=true) a missing Chromium fails the suite; elsewhere the suite is skipped with a warning.
 */
import { expect } from "chai";
import { type Server } from "node:http";
import { join } from "node:path";
import { type BrowserContext, type Page } from "playwright-core";
import { buildBrowserExample } from "../../scripts/build-browser.js";
import { WEBGPU_FLAGS, chromiumLauncher, requireChromium, runPage as openPage, serve } from "./chromium.js";

const ROOT = join(import.meta.dirname, "../../examples/browser");

interface DemoResult {
  done: boolean;
  backend: string;
  adapter: string | null;
  losses: number[];
  steps: number;
  initMs?: number;
  software?: boolean;
  error?: string;
}

const runPage = (ctx: BrowserContext, url: string, opts: { hideWebgpu?: boolean } = {}): Promise<{ page: Page; result: DemoResult }> =>
  openPage<DemoResult>(ctx, url, "kilnDemo", opts.hideWebgpu ? { init: () => Object.defineProperty(navigator, "gpu", { value: undefined }) } : {});

describe("browser: the example page trains with kiln in headless Chromium", function () {
  this.timeout(300_000);
  let server: Server;
  let url = "";
  const { launch, close } = chromiumLauncher();

  before(async function () {
    requireChromium(this);
    await buildBrowserExample();
    ({ server, url } = await serve(ROOT));
  });

  after(async () => {
    await close();
    server?.close();
  });

  it("with WebGPU (SwiftShader): trains on the webgpu backend and the loss falls", async () => {
    const { page, result } = await runPage(await launch(WEBGPU_FLAGS), url);
    expect(result.backend).to.equal("webgpu");
    expect(result.adapter).to.be.a("string");
    // init() measures kernels on a hardware adapter only (kept in localStorage); SwiftShader is software.
    expect(result.initMs).to.be.a("number").and.above(0);
    const tuned = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("kiln-tune")).length);
    expect(tuned).to.equal(result.software ? 0 : 1);
    expect(result.steps).to.equal(300);
    expect(result.losses.length).to.equal(31);
    expect(result.losses.every(Number.isFinite)).to.equal(true);
    expect(result.losses.at(-1)!).to.be.lessThan(result.losses[0]! / 5);
    expect(await page.textContent("#status")).to.contain("Training on WebGPU");
    expect(await page.locator("#plot polyline").count()).to.equal(1);
    if (process.env.KILN_SCREENSHOT) await page.screenshot({ path: process.env.KILN_SCREENSHOT });
  });

  it("without WebGPU: says so on screen and trains on gpujs over WebGL2", async () => {
    const { page, result } = await runPage(await launch(WEBGPU_FLAGS), url, { hideWebgpu: true });
    expect(result.backend).to.equal("gpujs");
    expect(result.adapter).to.equal("GPU.js webgl2");
    expect(result.software).to.equal(false);
    expect(result.losses.length).to.equal(31);
    expect(result.losses.every(Number.isFinite)).to.equal(true);
    expect(result.losses.at(-1)!).to.be.lessThan(result.losses[0]! / 5);
    expect(await page.textContent("#status")).to.contain("WebGPU is not available").and.contain("GPU.js over WebGL");
  });

  it("the backend toggle: ?backend=cpu trains on the cpu backend", async () => {
    const { page, result } = await runPage(await launch(WEBGPU_FLAGS), `${url}?backend=cpu`);
    expect(result.backend).to.equal("cpu");
    expect(result.losses.at(-1)!).to.be.lessThan(result.losses[0]! / 5);
    expect(await page.locator("#backend").inputValue()).to.equal("cpu");
    expect(await page.textContent("#status")).to.contain("Training on the CPU backend (chosen)");
  });
});
