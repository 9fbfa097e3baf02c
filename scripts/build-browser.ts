/**
 * Bundles the browser example (examples/browser/main.ts → examples/browser/dist/main.js) with
 * esbuild. kiln's workspace packages are bundled from their TypeScript sources; the Node-only
 * `webgpu` package (Dawn) is left out: browsers use navigator.gpu.
 */
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the bundle; resolves to its path. */
export async function buildBrowserExample(opts: { minify?: boolean } = {}): Promise<string> {
  const outfile = join(root, "examples/browser/dist/main.js");
  await build({
    entryPoints: [join(root, "examples/browser/main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["kiln-source"],
    external: ["webgpu", "node:fs"],
    minify: opts.minify ?? false,
    sourcemap: true,
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`wrote ${await buildBrowserExample({ minify: true })}`);
}
