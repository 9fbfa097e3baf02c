/**
 * The published packages' metadata is what npm users and bundlers rely on (issue 18): versions in
 * lockstep (lerna.json), the same engines, exports with `types` first, a README, a prepack build —
 * and `sideEffects` that tells bundlers the truth. A bundler drops a module marked side-effect free
 * when none of its exports is used: marking all of kiln `false` gives a smaller browser bundle in
 * which `x.mul` is not a function (np/tensor-methods.ts installs Tensor's methods on import). So the
 * lists are checked against the sources: every module that does something when imported is listed,
 * and is reachable from its package's entry through listed modules only (else a bundler can prune
 * the path to it). test/consumer runs a real bundle.
 */
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dirname, "..");
const json = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, any>;

interface Pkg {
  readonly dir: string;
  readonly folder: string;
  readonly json: Record<string, any>;
}

const PACKAGES: Pkg[] = readdirSync(join(ROOT, "packages"))
  .filter((f) => existsSync(join(ROOT, "packages", f, "package.json")))
  .map((folder) => ({ folder, dir: join(ROOT, "packages", folder), json: json(join(ROOT, "packages", folder, "package.json")) }));
const BY_NAME = new Map(PACKAGES.map((p) => [p.json.name as string, p]));

/** `./dist/a/b.js` (or `.d.ts`) → `src/a/b.ts`: the source a published file is built from. */
const sourceOf = (distPath: string) => distPath.replace(/^\.\/dist\//, "src/").replace(/(\.d)?\.js$|\.d\.ts$/, ".ts");

/** The package's entry modules: the `default` targets of its exports map, as sources. */
function entries(p: Pkg): string[] {
  return Object.values(p.json.exports as Record<string, unknown>)
    .flatMap((e) => (e && typeof e === "object" && "default" in e ? [sourceOf((e as { default: string }).default)] : []));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.ts$/.test(e) && !/\.test(-util)?\.ts$|^testing\.ts$/.test(e) ? [p] : [];
  });
}

interface ModuleInfo {
  /** Statements that run on import and act beyond the module (calls, loops, imports for effect). */
  readonly effects: string[];
  /** Modules loaded at run time: value imports and re-exports (`import type` is erased). */
  readonly imports: string[];
}

const DECLARATION = (s: ts.Statement) =>
  ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) ||
  ts.isEnumDeclaration(s) || ts.isModuleDeclaration(s) || ts.isVariableStatement(s) || ts.isEmptyStatement(s);

/**
 * Reads a module's top level. Variable initializers count as local (a registration is written as
 * a statement here); `import { type X }` loads the module under verbatimModuleSyntax, so it counts.
 */
export function moduleInfo(file: string, text: string): ModuleInfo {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const effects: string[] = [], imports: string[] = [];
  for (const s of source.statements) {
    if (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) {
      const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : null;
      const typeOnly = ts.isImportDeclaration(s) ? s.importClause?.isTypeOnly : s.isTypeOnly;
      if (spec && !typeOnly) imports.push(spec);
      if (spec && ts.isImportDeclaration(s) && !s.importClause) effects.push(s.getText());
    } else if (!DECLARATION(s) && !ts.isExportAssignment(s)) {
      effects.push(s.getText().split("\n")[0]!);
    }
  }
  return { effects, imports };
}

/** A module specifier, resolved to a source file of the workspace (other packages: their entry). */
function resolveSpec(from: string, spec: string): string | null {
  if (spec.startsWith(".")) return resolve(dirname(from), spec).replace(/\.js$/, ".ts");
  const pkg = BY_NAME.get(spec);
  return pkg ? join(pkg.dir, "src/index.ts") : null;
}

/** The `sideEffects` field as source files (`false`: none). */
function listed(p: Pkg): Set<string> {
  const field = p.json.sideEffects as false | string[];
  return new Set(field === false ? [] : field.map((f) => join(p.dir, sourceOf(f))));
}

describe("package metadata", () => {
  const root = json(join(ROOT, "package.json"));
  const lerna = json(join(ROOT, "lerna.json"));
  const info = new Map(PACKAGES.flatMap((p) => sourceFiles(join(p.dir, "src")).map((f) => [f, moduleInfo(f, readFileSync(f, "utf8"))] as const)));

  it("lerna keeps every package at one version, and the packages depend on each other at exactly it", () => {
    for (const p of PACKAGES) {
      expect(p.json.version, p.json.name).to.equal(lerna.version);
      for (const [dep, range] of Object.entries({ ...p.json.dependencies } as Record<string, string>)) {
        if (BY_NAME.has(dep)) expect(range, `${p.json.name} → ${dep}`).to.equal(lerna.version);
      }
    }
  });

  for (const p of PACKAGES) {
    describe(p.json.name, () => {
      it("says what it is and where it comes from, with the engines and repository of the repo", () => {
        expect(p.json.description).to.be.a("string").with.length.greaterThan(20);
        expect(p.json.keywords).to.be.an("array").that.includes("kiln");
        expect(p.json.license).to.equal(root.license ?? "MIT");
        expect(p.json.engines).to.deep.equal(root.engines);
        expect(p.json.repository).to.deep.equal({ ...root.repository, directory: `packages/${p.folder}` });
        expect(p.json.type).to.equal("module");
      });

      it("exports `.` (and kiln's `./internal`) with `types` ahead of `default`, built from existing sources", () => {
        const exp = p.json.exports as Record<string, Record<string, string> | string>;
        const subpaths = Object.keys(exp).filter((k) => typeof exp[k] === "object" && "default" in (exp[k] as object));
        expect(subpaths).to.include(".");
        if (p.json.name === "kiln") expect(subpaths).to.include("./internal");
        for (const sub of subpaths) {
          const conditions = exp[sub] as Record<string, string>;
          const keys = Object.keys(conditions);
          // TypeScript takes the first matching condition: `types` after `default` is never read.
          expect(keys.indexOf("types"), `${sub}: ${keys}`).to.be.within(0, keys.indexOf("default"));
          expect(sourceOf(conditions.types!)).to.equal(sourceOf(conditions.default!));
          expect(existsSync(join(p.dir, sourceOf(conditions.default!))), `${sub} → ${conditions.default}`).to.equal(true);
        }
        const dot = exp["."] as Record<string, string>;
        expect([p.json.main, p.json.types]).to.deep.equal([dot.default, dot.types]); // for resolvers without exports
      });

      it("publishes dist (built by prepack) and a README pointing to the umbrella", () => {
        expect(p.json.files).to.include("dist");
        expect(p.json.scripts?.prepack).to.match(/\btsc -b\b/);
        const readme = join(p.dir, "README.md");
        expect(existsSync(readme)).to.equal(true);
        if (p.json.name !== "kiln") expect(readFileSync(readme, "utf8")).to.include("npm install kiln");
      });

      it("lists in sideEffects every module that acts when imported, and no module that does not exist", () => {
        const mine = [...info].filter(([f]) => f.startsWith(p.dir + "/"));
        const acting = mine.filter(([, m]) => m.effects.length).map(([f, m]) => `${relative(p.dir, f)}: ${m.effects[0]}`);
        const list = listed(p);
        expect(acting.filter((a) => !list.has(join(p.dir, a.split(":")[0]!)))).to.deep.equal([]);
        expect([...list].filter((f) => !info.has(f)).map((f) => relative(p.dir, f))).to.deep.equal([]);
      });

      it("lists each module both as built (dist, for consumers) and as source (src, bundled through the kiln-source condition)", () => {
        const field = p.json.sideEffects as false | string[];
        if (field === false) return;
        const dist = field.filter((f) => f.startsWith("./dist/")), src = field.filter((f) => f.startsWith("./src/"));
        expect(dist.length + src.length, "paths start with ./dist/ or ./src/").to.equal(field.length);
        // The browser example bundles the sources: a module listed for dist only is dropped there.
        expect(src.sort()).to.deep.equal(dist.map((f) => `./${sourceOf(f)}`).sort());
      });

      it("reaches each listed module from an entry through listed modules only (a bundler prunes unlisted ones)", () => {
        const list = listed(p);
        const reached = new Set<string>();
        const queue = entries(p).map((e) => join(p.dir, e)).filter((e) => list.has(e));
        while (queue.length) {
          const f = queue.shift()!;
          if (reached.has(f)) continue;
          reached.add(f);
          for (const spec of info.get(f)?.imports ?? []) {
            const to = resolveSpec(f, spec);
            if (to && list.has(to)) queue.push(to);
          }
        }
        expect([...list].filter((f) => !reached.has(f)).map((f) => relative(p.dir, f))).to.deep.equal([]);
      });

      it("lists an entry that re-exports another package whose entry acts on import (the umbrella wires backend and transforms)", () => {
        const list = listed(p);
        for (const entry of entries(p).map((e) => join(p.dir, e))) {
          const actingDeps = (info.get(entry)?.imports ?? [])
            .map((spec) => BY_NAME.get(spec))
            .filter((d): d is Pkg => !!d && listed(d).has(join(d.dir, "src/index.ts")))
            .map((d) => d.json.name);
          if (actingDeps.length) expect(list.has(entry), `${relative(p.dir, entry)} re-exports ${actingDeps.join(", ")}`).to.equal(true);
        }
      });
    });
  }

  it("the side-effect scan sees calls, loops and imports for effect, not declarations or type imports", () => {
    const m = moduleInfo("x.ts", [
      `import "./methods.js";`, `import type { A } from "./a.js";`, `import { type B } from "./b.js";`, `export { c } from "./c.js";`,
      `export type { D } from "./d.js";`, `const cache = new Map();`, `export function f() {}`, `register(f);`,
      `for (const k of keys) install(k);`,
    ].join("\n"));
    expect(m.effects).to.deep.equal([`import "./methods.js";`, "register(f);", "for (const k of keys) install(k);"]);
    expect(m.imports).to.deep.equal(["./methods.js", "./b.js", "./c.js"]);
  });
});
