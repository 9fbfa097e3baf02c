/**
 * Headless Chromium for the browser suites (driven by playwright-core): a static server for a page
 * directory, browser launches with a throwaway profile each, and the CI rule — under CI (CI=true)
 * a missing Chromium fails the suite; elsewhere the suite is skipped with a warning.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Flags every launch gets: no sandbox (containers), and no background traffic. */
export const QUIET_FLAGS = [
  "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
];

/** WebGPU on SwiftShader (Chromium's software Vulkan adapter). */
export const WEBGPU_FLAGS = [
  ...QUIET_FLAGS, "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader",
];

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };

/** Skips (or, under CI, fails) the calling suite when Chromium is not installed. */
export function requireChromium(ctx: { skip(): void }): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing (apt-get install chromium); CI requires the browser suite`);
  console.warn(`\n  browser suite skipped: ${CHROMIUM} is not installed\n`);
  ctx.skip();
}

/** A static server for the directory `root`, on the loopback interface only. */
export function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? "/").split("?")[0]!)));
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    if (!file.startsWith(root) || !existsSync(file)) {
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

/** Launches Chromium with throwaway profiles; `close()` closes every browser and deletes the profiles. */
export function chromiumLauncher(): { launch(flags: readonly string[]): Promise<BrowserContext>; close(): Promise<void> } {
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    async launch(flags) {
      const dir = mkdtempSync(join(tmpdir(), "kiln-chromium-"));
      profiles.push(dir);
      const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: [...flags] });
      contexts.push(ctx);
      return ctx;
    },
    async close() {
      for (const c of contexts) await c.close();
      for (const d of profiles) rmSync(d, { recursive: true, force: true });
    },
  };
}

/**
 * Opens `url` and waits until the page sets `window[key].done`; resolves to that object. A page
 * that reports `error` (or throws) rejects, with the page's console output.
 */
export async function runPage<R extends { done: boolean; error?: string }>(
  ctx: BrowserContext, url: string, key: string, opts: { timeout?: number; init?: () => void } = {},
): Promise<{ page: Page; result: R }> {
  const page = await ctx.newPage();
  if (opts.init) await page.addInitScript(opts.init);
  const logs: string[] = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(String(e)));
  await page.goto(url);
  try {
    await page.waitForFunction((k) => (window as unknown as Record<string, { done?: boolean } | undefined>)[k]?.done === true, key, { timeout: opts.timeout ?? 150_000 });
  } catch (e) {
    // A page that never finishes: what it printed says where it stopped.
    throw new Error(`${(e as Error).message}\nthe page's console:\n${logs.slice(-40).join("\n")}`);
  }
  const result = await page.evaluate((k) => (window as unknown as Record<string, unknown>)[k], key) as R;
  if (result.error) throw new Error(`the page failed: ${result.error}\n${logs.join("\n")}`);
  return { page, result };
}
