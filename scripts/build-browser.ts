/**
 * Browser bundles (esbuild): the browser example (examples/browser/main.ts →
 * examples/browser/dist/main.js) and any other page entry (the headless-Chromium test pages).
 * kiln's workspace packages are bundled from their TypeScript sources; the Node-only `webgpu`
 * package (Dawn) is left out: browsers use navigator.gpu.
 *
 * GPU.js is an optional peer that kiln imports lazily by its bare name (`import("gpu.js")`, a
 * specifier bundlers leave alone), so a page that uses the gpujs backend ships GPU.js as its own
 * ES module next to its bundle (`dist/gpu.js`, from the package's browser build) and maps the bare
 * name to it with an import map (`<script type="importmap">{"imports":{"gpu.js":"./dist/gpu.js"}}`).
 */
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Options of `bundleForBrowser`. */
export interface BrowserBundle {
  /** The TypeScript entry, relative to the repository root. */
  readonly entry: string;
  /** The output directory, relative to the repository root: it receives `main.js` and `gpu.js`. */
  readonly outdir: string;
  readonly minify?: boolean;
}

/**
 * Bundles a page entry as `<outdir>/main.js` and GPU.js as the ES module `<outdir>/gpu.js`; resolves
 * to the path of main.js.
 * @example await bundleForBrowser({ entry: "examples/browser/main.ts", outdir: "examples/browser/dist" });
 */
export async function bundleForBrowser(opts: BrowserBundle): Promise<string> {
  const outdir = join(root, opts.outdir);
  const common = { bundle: true, format: "esm", platform: "browser", target: "es2022", logLevel: "warning", minify: opts.minify ?? false } as const;
  const outfile = join(outdir, "main.js");
  await Promise.all([
    build({ ...common, entryPoints: [join(root, opts.entry)], conditions: ["kiln-source"], external: ["webgpu", "node:fs"], sourcemap: true, outfile }),
    // The package's browser build is UMD (module.exports = GPU); an ES module re-exports it.
    build({
      ...common,
      stdin: { contents: `import GPU from "gpu.js";\nexport { GPU };\nexport default GPU;\n`, resolveDir: root, loader: "js" },
      outfile: join(outdir, "gpu.js"),
    }),
  ]);
  return outfile;
}

/** Builds the example page's bundle; resolves to its path. */
export function buildBrowserExample(opts: { minify?: boolean } = {}): Promise<string> {
  return bundleForBrowser({ entry: "examples/browser/main.ts", outdir: "examples/browser/dist", minify: opts.minify });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`wrote ${await buildBrowserExample({ minify: true })}`);
}
