/**
 * kiln as an npm user gets it (issue 18): every workspace package packed into a tarball, the
 * tarballs installed into a fresh project outside the repository, and that project used from
 * plain Node, from a strict TypeScript compiler and from a browser bundler.
 *
 * Offline by construction. The consumer's package.json depends on `kiln` only (as `npm install
 * kiln` would write it), and `overrides` pins every other package of the install — kiln's own
 * packages and their third-party dependencies, packed from the monorepo's node_modules — to a
 * local tarball, so npm resolves the whole tree from files and `--offline` forbids any network
 * access or cache miss from being papered over. TypeScript and esbuild are the monorepo's, run by
 * absolute path. Nothing is downloaded; the npm cache is neither needed nor relied on.
 *
 * `test/consumer/consumer.test.ts` runs it under `npm test`; `npm run test:consumer` runs it alone
 * and prints the sizes (`-- --keep` keeps the project, `-- --with-native` installs Dawn too).
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import type { Metafile } from "esbuild";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURES = join(ROOT, "test/consumer/fixture");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const execFileAsync = promisify(execFile);

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export const readJson = <T = PackageJson>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/** One tarball, as `npm pack --json` describes it. */
export interface Packed {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly files: readonly { path: string; size: number }[];
  readonly unpackedSize: number;
}

/**
 * The environment for npm, node and tsc children: without the `npm_*` variables that `npm test`
 * exports (`npm_config_*` would configure the child npm as the monorepo's) and without
 * NODE_OPTIONS (a `--conditions=kiln-source` there would point `kiln` at sources the tarballs do
 * not have).
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "NODE_OPTIONS") env[k] = v;
  return env;
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, env: cleanEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

/** The publishable workspace folders (lerna.json's `packages`, less private ones), dependencies first. */
export function workspaceDirs(): string[] {
  const dirs = readdirSync(join(ROOT, "packages")).map((d) => join(ROOT, "packages", d)).filter((d) => existsSync(join(d, "package.json")));
  const pkgs = dirs.map((d) => ({ dir: d, json: readJson(join(d, "package.json")) })).filter((p) => !p.json.private);
  const names = new Set(pkgs.map((p) => p.json.name));
  const order: string[] = [];
  const visit = (p: (typeof pkgs)[number]): void => {
    if (order.includes(p.dir)) return;
    for (const dep of Object.keys(p.json.dependencies ?? {})) if (names.has(dep)) visit(pkgs.find((q) => q.json.name === dep)!);
    order.push(p.dir);
  };
  pkgs.forEach(visit);
  return order;
}

/** Where Node would find package `name` from `fromDir`: the nearest node_modules/<name> above it. */
function installedDir(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The installed folders of the third-party packages that `fromDirs` need at run time
 * (dependencies and optional dependencies, transitively; peers are the user's choice), resolved
 * as Node resolves them from each requiring package, so the versions are the lockfile's.
 * `skip` names packages supplied otherwise (the workspace's own).
 */
export function dependencyClosure(fromDirs: readonly string[], skip: ReadonlySet<string>): string[] {
  const found = new Map<string, string>(); // name@version → dir
  const queue = [...fromDirs];
  while (queue.length) {
    const dir = queue.shift()!;
    const json = readJson(join(dir, "package.json"));
    for (const dep of Object.keys({ ...json.dependencies, ...json.optionalDependencies })) {
      if (skip.has(dep)) continue;
      const at = installedDir(dep, dir);
      if (!at) {
        if (json.optionalDependencies?.[dep]) continue;
        throw new Error(`${json.name} depends on ${dep}, which is not installed in the monorepo: run npm ci`);
      }
      const key = `${dep}@${readJson(join(at, "package.json")).version}`;
      if (!found.has(key)) (found.set(key, at), queue.push(at));
    }
  }
  return [...found.values()];
}

/** `npm pack` of `specs` (folders, or `-w` workspace flags) into `dest`; lifecycle scripts off (the build ran). */
export function npmPack(args: readonly string[], dest: string, cwd = ROOT): Packed[] {
  return JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dest, ...args], cwd)) as Packed[];
}

/** Packs every workspace package and the third-party packages they need (plus `extra` folders). */
export function packAll(dest: string, extra: readonly string[] = []): { workspace: Packed[]; thirdParty: Packed[] } {
  const dirs = workspaceDirs();
  const names = new Set(dirs.map((d) => readJson(join(d, "package.json")).name));
  const workspace = npmPack(dirs.flatMap((d) => ["-w", relative(ROOT, d)]), dest);
  const thirdParty = npmPack([...dependencyClosure(dirs, names), ...extra], dest);
  return { workspace, thirdParty };
}

/**
 * Writes the consumer project and installs it offline: `dependencies` is `kiln` (what `npm install
 * kiln` writes; `webgpu` too for Dawn), `devDependencies` what a Node TypeScript user adds, and
 * `overrides` maps every other package name of the install to its tarball.
 */
export function installConsumer(project: string, tgzDir: string, packed: readonly Packed[], deps: readonly string[], devDeps: readonly string[]): void {
  const file = (p: Packed) => `file:${join(tgzDir, p.filename)}`;
  const byName = new Map<string, Packed>();
  for (const p of packed) {
    const other = byName.get(p.name);
    // One override per name: two versions of a package would need nested overrides (none so far).
    if (other && other.version !== p.version) throw new Error(`${p.name} is needed at ${other.version} and ${p.version}`);
    byName.set(p.name, p);
  }
  const spec = (name: string) => file(byName.get(name) ?? (() => { throw new Error(`no tarball for ${name}`); })());
  const direct = new Set([...deps, ...devDeps]);
  writeFileSync(join(project, "package.json"), JSON.stringify({
    name: "kiln-consumer",
    private: true,
    type: "module",
    dependencies: Object.fromEntries(deps.map((d) => [d, spec(d)])),
    devDependencies: Object.fromEntries(devDeps.map((d) => [d, spec(d)])),
    overrides: Object.fromEntries(packed.filter((p) => !direct.has(p.name)).map((p) => [p.name, file(p)])),
  }, null, 2));
  run("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], project);
}

/** Bytes of the files under `dir` (symbolic links not followed). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? treeBytes(p) : lstatSync(p).size;
  }
  return total;
}

/** The installed packages of a project's node_modules (scoped ones included): name → folder. */
export function installedPackages(project: string): Map<string, string> {
  const out = new Map<string, string>();
  const nm = join(project, "node_modules");
  for (const e of readdirSync(nm)) {
    if (e.startsWith(".")) continue;
    const scoped = e.startsWith("@") ? readdirSync(join(nm, e)).map((s) => `${e}/${s}`) : [e];
    for (const name of scoped) out.set(name, join(nm, name));
  }
  return out;
}

/** A TypeScript configuration a consumer might use; `strict`, and every declaration checked. */
export interface ConsumerTsconfig {
  readonly name: string;
  readonly compilerOptions: Record<string, unknown>;
}

export const TSCONFIGS: readonly ConsumerTsconfig[] = [
  // Node: no DOM lib, Node's types; kiln's declarations must need neither DOM nor WebGPU types.
  { name: "nodenext", compilerOptions: { module: "nodenext", moduleResolution: "nodenext", lib: ["es2022"], types: ["node"] } },
  // A browser app: DOM lib, no Node types.
  { name: "bundler", compilerOptions: { module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom"], types: [] } },
];

/**
 * Type-checks `files` in `project` under `config`; resolves to tsc's output ("" when clean).
 * Asynchronous, so the configurations can be checked side by side.
 */
export async function typecheck(project: string, config: ConsumerTsconfig, files: readonly string[]): Promise<string> {
  const path = join(project, `tsconfig.${config.name}.json`);
  writeFileSync(path, JSON.stringify({
    compilerOptions: { target: "es2022", strict: true, skipLibCheck: false, noEmit: true, ...config.compilerOptions },
    files,
  }, null, 2));
  try {
    await execFileAsync(process.execPath, [TSC, "-p", path, "--pretty", "false"], { cwd: project, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
    return "";
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ""}${err.stderr ?? ""}` || err.message;
  }
}

/**
 * Writes the ```ts blocks of the kiln package's README into `project` as modules
 * (`readme-<i>.ts`); resolves to their file names.
 */
export function writeReadmeBlocks(project: string): string[] {
  const blocks = tsBlocks(readFileSync(join(ROOT, "packages/kiln/README.md"), "utf8"));
  return blocks.map((b, i) => (writeFileSync(join(project, `readme-${i}.ts`), `${b}export {};\n`), `readme-${i}.ts`));
}

/** Packages that carry native code: they install binaries and can never run in a browser. */
export function isNativePackage(dir: string): boolean {
  const json = readJson<PackageJson & { gypfile?: boolean; binary?: unknown }>(join(dir, "package.json"));
  if (json.gypfile || json.binary || existsSync(join(dir, "binding.gyp"))) return true;
  const hasNode = (d: string): boolean =>
    readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? e.name !== "node_modules" && hasNode(join(d, e.name)) : e.name.endsWith(".node")));
  return hasNode(dir);
}

/** The package a bundled file belongs to, from its path (`node_modules/@s/n/...` → `@s/n`). */
export function packageOfPath(path: string): string | null {
  const parts = path.split(/[\\/]/);
  const i = parts.lastIndexOf("node_modules");
  if (i < 0 || i + 1 >= parts.length) return null;
  return parts[i + 1]!.startsWith("@") ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1]!;
}

/**
 * What must not be in a browser bundle, from esbuild's metafile: Node built-ins (bundled — as a
 * `(disabled):` stub too — or left as imports) and files of native packages (`isNative` decides).
 */
export function bundleProblems(meta: Metafile, isNative: (pkg: string) => boolean): string[] {
  const problems: string[] = [];
  const builtin = (spec: string) => isBuiltin(spec.replace(/^\(disabled\):/, ""));
  for (const input of Object.keys(meta.inputs)) {
    if (builtin(input)) problems.push(`Node built-in "${input}" is in the bundle`);
    const pkg = packageOfPath(input);
    if (pkg && isNative(pkg)) problems.push(`native package ${pkg} is in the bundle (${input})`);
  }
  for (const out of Object.values(meta.outputs)) {
    for (const imp of out.imports) {
      if (builtin(imp.path)) problems.push(`the bundle imports the Node built-in "${imp.path}"`);
      else if (imp.external) problems.push(`the bundle imports "${imp.path}", which it does not contain`);
    }
  }
  return [...new Set(problems)];
}

export interface BrowserBundle {
  readonly code: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly problems: string[];
}

/** Bundles `entry` (inside `project`) for the browser, minified, with the monorepo's esbuild. */
export async function bundleForBrowser(project: string, entry: string): Promise<BrowserBundle> {
  const { build } = await import("esbuild");
  const result = await build({
    absWorkingDir: project,
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  const installed = installedPackages(project);
  const native = (pkg: string) => installed.has(pkg) && isNativePackage(installed.get(pkg)!);
  return {
    code,
    minifiedBytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
    problems: bundleProblems(result.metafile, native),
  };
}

/** The ```ts blocks of a markdown file, in order. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** A fresh consumer project with kiln installed from tarballs; `dispose` removes it. */
export interface Consumer {
  readonly dir: string;
  readonly tgzDir: string;
  readonly workspace: readonly Packed[];
  readonly thirdParty: readonly Packed[];
  /** Dev-only packages of the project (types), not part of kiln's install size. */
  readonly devOnly: ReadonlySet<string>;
  /** The optional native packages installed (`webgpu` and what it needs), with `withNative`. */
  readonly native: ReadonlySet<string>;
  readonly seconds: { build: number; pack: number; install: number };
  dispose(): void;
}

/** The TypeScript user's own additions: Node's types (and what they need). */
const DEV_DEPS = ["@types/node"];

/** Builds, packs and installs: the shared setup of every consumer check. */
export function makeConsumer(opts: { build?: boolean; withNative?: boolean } = {}): Consumer {
  const clock = () => performance.now() / 1000;
  let t = clock();
  if (opts.build ?? true) run("npm", ["run", "build", "--silent"], ROOT);
  const build = clock() - t;
  const base = mkdtempSync(join(tmpdir(), "kiln-consumer-"));
  const tgzDir = join(base, "tgz"), dir = join(base, "project");
  mkdirSync(tgzDir), mkdirSync(dir);
  try {
    t = clock();
    const nameOf = (d: string) => readJson(join(d, "package.json")).name;
    const devDirs = DEV_DEPS.map((d) => installedDir(d, ROOT)!);
    const devClosure = [...devDirs, ...dependencyClosure(devDirs, new Set())];
    const nativeDirs = opts.withNative ? [installedDir("webgpu", ROOT)!] : [];
    const nativeClosure = [...nativeDirs, ...dependencyClosure(nativeDirs, new Set())];
    const { workspace, thirdParty } = packAll(tgzDir, [...devClosure, ...nativeClosure]);
    const pack = clock() - t;
    t = clock();
    const devOnly = new Set(devClosure.map(nameOf)), native = new Set(nativeClosure.map(nameOf));
    installConsumer(dir, tgzDir, [...workspace, ...thirdParty], ["kiln", ...(opts.withNative ? ["webgpu"] : [])], DEV_DEPS);
    const install = clock() - t;
    for (const f of readdirSync(FIXTURES)) writeFileSync(join(dir, f), readFileSync(join(FIXTURES, f)));
    return { dir, tgzDir, workspace, thirdParty, devOnly, native, seconds: { build, pack, install }, dispose: () => rmSync(base, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(base, { recursive: true, force: true });
    throw e;
  }
}

/** Bytes that installing kiln puts in node_modules: every installed package but the dev-only ones. */
export function installBytes(c: Consumer, exclude: ReadonlySet<string> = new Set()): number {
  let total = 0;
  for (const [name, dir] of installedPackages(c.dir)) if (!c.devOnly.has(name) && !exclude.has(name)) total += treeBytes(dir);
  return total;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const kb = (n: number) => `${(n / 1e3).toFixed(1)} KB`;

async function main(): Promise<void> {
  const started = performance.now();
  const keep = process.argv.includes("--keep"), withNative = process.argv.includes("--with-native");
  const c = makeConsumer({ withNative });
  try {
    console.log(`built in ${c.seconds.build.toFixed(1)} s, packed in ${c.seconds.pack.toFixed(1)} s, installed offline in ${c.seconds.install.toFixed(1)} s`);
    for (const p of c.workspace) console.log(`  ${p.filename}: ${p.files.length} files, ${kb(p.unpackedSize)} unpacked`);
    console.log(`install size (node_modules, kiln and its dependencies): ${mb(installBytes(c, c.native))}` +
      (withNative ? `; with the optional webgpu (Dawn): ${mb(installBytes(c))}` : ""));
    const sizes = [...installedPackages(c.dir)].filter(([n]) => !c.devOnly.has(n)).map(([n, d]) => [n, treeBytes(d)] as const);
    console.log(`  ${sizes.sort((a, b) => b[1] - a[1]).map(([n, b]) => `${n} ${mb(b)}`).join(", ")}`);
    console.log(run(process.execPath, ["esm-smoke.mjs"], c.dir).trim());
    const files = ["public-api.ts", ...writeReadmeBlocks(c.dir)];
    const checks = await Promise.all(TSCONFIGS.map((cfg) => typecheck(c.dir, cfg, files)));
    TSCONFIGS.forEach((cfg, i) => console.log(`tsc (${cfg.name}): ${checks[i] || "clean"}`));
    const b = await bundleForBrowser(c.dir, "browser-entry.ts");
    console.log(`browser bundle (np + grad): ${kb(b.minifiedBytes)} minified, ${kb(b.gzipBytes)} gzipped; problems: ${b.problems.join("; ") || "none"}`);
    console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s${keep ? `; project kept in ${c.dir}` : ""}`);
  } finally {
    if (!keep) c.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
