/**
 * End to end in a real browser: the bundled example page (examples/browser) trains an MLP with kiln
 * in Debian's headless Chromium, driven by playwright-core. With WebGPU exposed (SwiftShader,
 * Chromium's software adapter) the page must train on the webgpu backend and the loss must fall;
 * with navigator.gpu absent it must say so on screen and train on the cpu backend.
 * Under CI (CI=true) a missing Chromium fails the suite; elsewhere the suite is skipped with a warning.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { buildBrowserExample } from "../../scripts/build-browser.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(import.meta.dirname, "../../examples/browser");
const WEBGPU_FLAGS = [
  "--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
];
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };

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

/** A static server for the example directory, on the loopback interface only. */
function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(join(ROOT, decodeURIComponent((req.url ?? "/").split("?")[0]!)));
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    if (!file.startsWith(ROOT) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const addr = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${addr.port}/` });
  }));
}

async function runPage(ctx: BrowserContext, url: string, opts: { hideWebgpu?: boolean } = {}): Promise<{ page: Page; result: DemoResult }> {
  const page = await ctx.newPage();
  if (opts.hideWebgpu) await page.addInitScript(() => Object.defineProperty(navigator, "gpu", { value: undefined }));
  const logs: string[] = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { kilnDemo?: { done: boolean } }).kilnDemo?.done === true, null, { timeout: 150_000 });
  const result = await page.evaluate(() => (window as unknown as { kilnDemo: DemoResult }).kilnDemo);
  if (result.error) throw new Error(`the page failed: ${result.error}\n${logs.join("\n")}`);
  return { page, result };
}

describe("browser: the example page trains with kiln in headless Chromium", function () {
  this.timeout(300_000);
  let server: Server;
  let url = "";
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];

  const launch = async (flags: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-chromium-"));
    profiles.push(dir);
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: flags });
    contexts.push(ctx);
    return ctx;
  };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing (apt-get install chromium); CI requires the browser suite`);
      console.warn(`\n  browser suite skipped: ${CHROMIUM} is not installed\n`);
      this.skip();
    }
    await buildBrowserExample();
    ({ server, url } = await serve());
  });

  after(async () => {
    for (const c of contexts) await c.close();
    server?.close();
    for (const d of profiles) rmSync(d, { recursive: true, force: true });
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

  it("without WebGPU: says so on screen and trains on the cpu backend", async () => {
    const { page, result } = await runPage(await launch(WEBGPU_FLAGS), url, { hideWebgpu: true });
    expect(result.backend).to.equal("cpu");
    expect(result.losses.at(-1)!).to.be.lessThan(result.losses[0]! / 5);
    expect(await page.textContent("#status")).to.contain("WebGPU is not available").and.contain("CPU backend");
  });
});
