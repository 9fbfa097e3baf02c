/**
 * kiln as an npm user gets it (issue 18): the workspace packages packed, installed offline into a
 * fresh project from their tarballs (scripts/consumer.ts explains how), then used from plain Node,
 * type-checked by a strict TypeScript consumer and bundled for the browser. A user once found
 * `@kiln/backend`'s declarations naming GPUDevice without a source for it; this suite is where
 * such a break shows, since the repo's own type-check resolves packages to their sources.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { transformSync } from "esbuild";
import type { Metafile } from "esbuild";
import {
  type Consumer, TSCONFIGS, bundleForBrowser, bundleProblems, cleanEnv, installBytes, installedPackages, isNativePackage,
  makeConsumer, packageOfPath, readJson, typecheck, writeReadmeBlocks,
} from "../../scripts/consumer.js";

/** Bytes the minimal browser bundle (np + grad) may take. */
const BUNDLE_BUDGET = { minified: 630_000, gzip: 222_000 };
const KB = (n: number) => `${(n / 1e3).toFixed(1)} KB`;

function node(args: readonly string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
}

/** Every file of `dir` (recursively) whose name ends with `suffix`. */
function filesEnding(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "node_modules" ? [] : filesEnding(join(dir, e.name), suffix)) : e.name.endsWith(suffix) ? [join(dir, e.name)] : []);
}

describe("consumer: kiln installed from its npm tarballs", function () {
  this.timeout(300_000);
  let c: Consumer;
  const started = performance.now();

  /** tsc's output per configuration: both checks start once the project exists, and run side by side. */
  let checks: Map<string, Promise<string>>;
  let readmeFiles: string[];

  before(() => {
    c = makeConsumer();
    readmeFiles = writeReadmeBlocks(c.dir);
    checks = new Map(TSCONFIGS.map((cfg) => [cfg.name, typecheck(c.dir, cfg, ["public-api.ts", ...readmeFiles])]));
  });
  after(() => {
    c?.dispose();
    console.log(`      consumer suite: ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(build ${c?.seconds.build.toFixed(1)} s, pack ${c?.seconds.pack.toFixed(1)} s, offline install ${c?.seconds.install.toFixed(1)} s)`);
  });

  it("packs every workspace package: built JS, declarations, README, sources for the maps; no tests", () => {
    const names = c.workspace.map((p) => p.name).sort();
    expect(names).to.deep.equal(["@kiln/backend", "@kiln/core", "@kiln/nn", "@kiln/transforms", "kiln"]);
    for (const p of c.workspace) {
      const files = p.files.map((f) => f.path);
      expect(files, p.name).to.include.members(["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "src/index.ts"]);
      expect(files.filter((f) => /\.test(-util)?\.ts$|^test\/|tsbuildinfo$/.test(f)), p.name).to.deep.equal([]);
    }
  });

  it("installs what `npm install kiln` installs: kiln's packages and their dependencies, no native package", () => {
    const installed = [...installedPackages(c.dir)].filter(([name]) => !c.devOnly.has(name));
    expect(installed.map(([name]) => name)).to.include.members(["kiln", "@kiln/core", "@kiln/transforms", "@kiln/backend", "@kiln/nn"]);
    expect(installed.filter(([, dir]) => isNativePackage(dir)).map(([name]) => name)).to.deep.equal([]);
    expect(installed.map(([name]) => name)).not.to.include("webgpu"); // an optional peer: the user's choice
    expect(installed.map(([name]) => name)).not.to.include("gpu.js"); // likewise
    console.log(`      install size: ${(installBytes(c) / 1e6).toFixed(1)} MB (${installed.map(([n]) => n).sort().join(", ")})`);
  });

  it("source maps and declaration maps point at files the tarballs ship", () => {
    const missing: string[] = [];
    for (const name of ["kiln", "@kiln/core", "@kiln/transforms", "@kiln/backend", "@kiln/nn"]) {
      for (const map of filesEnding(join(c.dir, "node_modules", name, "dist"), ".map")) {
        for (const source of (readJson<{ sources: string[] }>(map)).sources) {
          try {
            readFileSync(join(dirname(map), source));
          } catch {
            missing.push(`${map}: ${source}`);
          }
        }
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it("runs an ES module with plain node: grad, a jitted training loop, a State stream, kiln/internal", () => {
    const out = node(["esm-smoke.mjs"], c.dir);
    expect(out).to.match(/esm: .* ok/);
  });

  for (const config of TSCONFIGS) {
    it(`type-checks a program using kiln and kiln/internal, and the README: strict, no skipLibCheck, moduleResolution ${config.name}`, async () => {
      expect(await checks.get(config.name)).to.equal("");
    });
  }

  it("the kiln package's README code runs and prints what its comments say", () => {
    expect(readmeFiles).to.have.length.greaterThan(0);
    const outputs = readmeFiles.map((file) => {
      const js = file.replace(/\.ts$/, ".mjs");
      writeFileSync(join(c.dir, js), transformSync(readFileSync(join(c.dir, file), "utf8"), { loader: "ts", format: "esm", target: "es2022" }).code);
      return node([js], c.dir).trim().split("\n");
    });
    // The gradient, then the State's stream: its value on subscription, then after the step.
    expect(outputs[0]).to.deep.equal(["[ 2, 4, 6 ]", "0", "3"]);
  });

  it("bundles np + grad for the browser without Node built-ins or native packages, and the bundle runs", async () => {
    const bundle = await bundleForBrowser(c.dir, "browser-entry.ts");
    console.log(`      browser bundle (np + grad, esbuild, minified): ${KB(bundle.minifiedBytes)}, ${KB(bundle.gzipBytes)} gzipped`);
    expect(bundle.problems).to.deep.equal([]);
    // A budget, so growth is a decision (docs/packaging.md): measured 323.0 KB / 113.0 KB gzipped
    // when set (after the sort and special-function primitives), with about 10% headroom. Raise it deliberately, with the reason, when a target grows it.
    // Raised to 365 KB / 128 KB with the gpujs target (its renderer and runtime; gpu.js itself is not bundled): 356.5 KB / 124.0 KB measured.
    // Raised to 395 KB / 138 KB in session 22 (np.fft, np.roots, lax.linalg, the webgpu queue and device scan): 379.4 KB / 132.1 KB measured.
    // Raised to 630 KB / 222 KB in session 31 (sessions 30–31: JAX's partitionable Threefry and prng.foldIn, webgpu read-behind and pool reserves, subscribe/State guards, gpujs reads that block once work is due and the CPU modes' 2-D dot form, the -0 identities and the fusion rule for exact fmod loops): 615.8 KB / 216.6 KB measured.
    // Raised to 615 KB / 216 KB in session 29 (np.pad's modes, np.where's one-argument form, the hostile-input guards across np/nn/optim, npdiff fixes, the gpujs tiled form's prologues and texture reads, the wasm pool's two-stage jobs, eager deep-handle realization): ~607.7 KB / 213.6 KB measured (esbuild directly).
    // Raised to 598 KB / 210 KB in session 28 (the rest of jax.numpy's functions: 69 names — set functions, insert/delete/…, gradient, histograms, bit packing, poly/polydiv/polyfit, vectorize, frombuffer/fromiter/fromstring, dtype predicates, Tensor.real/imag/conj; np is not tree-shaken): 585.9 KB / 205.8 KB measured.
    // Raised to 570 KB / 201 KB in session 27 (the option-key signature table and its checks across np/lax/prng/nn/optim, webgpu buffer reclaiming and read-behind, quad WGSL kernels, the CPU pool's job descriptor and load rule, gpujs kept uploads and direct fetch, constant folds): 555.3 KB / 195.5 KB measured.
    // Raised to 540 KB / 192 KB in session 26 (the np surface: ~75 NumPy/JAX functions and aliases — numpy-more, numpy-names, quantiles, array-API names — and the positional-parameter table; gpujs device-resident values; the scheduler's expansion rule): 526.7 KB / 186.1 KB measured.
    // Raised to 512 KB / 181 KB at the end of session 25 (small webgpu plans on the host, split-k WGSL contractions, the wasm contraction's batch phases and K blocks, GPU.js block kernels, heap-resident State values): 500.2 KB / 176.9 KB measured.
    // Raised to 500 KB / 176 KB in session 25 (webgpu device loops: element-local scans as one loop kernel, small scans and whiles as one workgroup loop): 488.5 KB / 172.2 KB measured.
    // Raised to 480 KB / 168 KB in session 24 (split wasm kernels, the wasm contraction's parallel region, WGSL factorizations and split reductions, GPU.js tiled contractions / two-pass sums / async reads, profile(), float16/bfloat16 16-bit storage): 468.4 KB / 165.2 KB measured.
    // Raised to 465 KB / 162 KB in session 23 (the wasm target: renderer, encoder, vector math, worker pool; unsigned dtypes; multi-output kernels; device while/cond): 441.4 KB / 154.8 KB measured.
    expect(bundle.minifiedBytes, "minified browser bundle budget").to.be.below(BUNDLE_BUDGET.minified);
    expect(bundle.gzipBytes, "gzipped browser bundle budget").to.be.below(BUNDLE_BUDGET.gzip);
    // Run as a module: the bundle must still install Tensor's methods and the CPU executor.
    writeFileSync(join(c.dir, "bundle.mjs"), bundle.code);
    const result = JSON.parse(node(["bundle.mjs"], c.dir)) as { grad: number[]; backend: string };
    expect(result.backend).to.equal("cpu");
    // d/dx Σ tanh(x)·x = tanh(x) + x·(1 − tanh²(x))
    result.grad.forEach((g, i) => expect(g).to.be.closeTo(Math.tanh(i) + i * (1 - Math.tanh(i) ** 2), 1e-5));
  });
});

describe("consumer checks", () => {
  const meta = (inputs: string[], imports: { path: string; external?: boolean }[] = []): Metafile => ({
    inputs: Object.fromEntries(inputs.map((p) => [p, { bytes: 1, imports: [] }])),
    outputs: { "out.js": { bytes: 1, inputs: {}, imports: imports.map((i) => ({ kind: "import-statement" as const, ...i })), exports: [], entryPoint: "in.ts" } },
  });

  it("a browser bundle with a Node built-in, a native package or an unbundled import is refused", () => {
    const native = (pkg: string) => pkg === "webgpu";
    expect(bundleProblems(meta(["node_modules/kiln/dist/index.js", "node_modules/@kiln/core/dist/np/index.js"]), native)).to.deep.equal([]);
    expect(bundleProblems(meta(["node:fs"]), native)).to.have.length(1);
    expect(bundleProblems(meta(["(disabled):path"]), native)).to.have.length(1);
    expect(bundleProblems(meta(["node_modules/webgpu/index.js"]), native)).to.deep.equal(["native package webgpu is in the bundle (node_modules/webgpu/index.js)"]);
    expect(bundleProblems(meta([], [{ path: "node:worker_threads", external: true }]), native)).to.have.length(1);
    expect(bundleProblems(meta([], [{ path: "rxjs", external: true }]), native)).to.have.length(1);
  });

  it("names the package of a bundled file", () => {
    expect(packageOfPath("node_modules/@kiln/core/dist/index.js")).to.equal("@kiln/core");
    expect(packageOfPath("../x/node_modules/a/node_modules/webgpu/dist/y.js")).to.equal("webgpu");
    expect(packageOfPath("src/main.ts")).to.equal(null);
  });

  it("recognizes native packages by a .node binary or a node-gyp build", () => {
    const base = mkdtempSync(join(tmpdir(), "kiln-native-"));
    try {
      const make = (name: string, files: Record<string, string>) => {
        for (const [f, text] of Object.entries({ "package.json": JSON.stringify({ name, version: "1.0.0" }), ...files })) {
          mkdirSync(dirname(join(base, name, f)), { recursive: true });
          writeFileSync(join(base, name, f), text);
        }
        return join(base, name);
      };
      expect(isNativePackage(make("plain", { "index.js": "" }))).to.equal(false);
      expect(isNativePackage(make("binary", { "dist/linux-x64/dawn.node": "" }))).to.equal(true);
      expect(isNativePackage(make("gyp", { "binding.gyp": "{}" }))).to.equal(true);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
