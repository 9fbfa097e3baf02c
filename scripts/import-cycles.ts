/**
 * Value-import cycles among the workspace packages' sources, found with the TypeScript parser.
 *
 * An edge is an import or re-export that loads the other module when this one runs:
 * `import … from`, `import "…"`, `export … from`, `export * from`. Erased imports are not edges:
 * `import type …` and `export type … from`. An import whose every specifier is inline-typed
 * (`import { type A } from`) IS an edge: under `verbatimModuleSyntax` (tsconfig.base.json) both tsc and
 * esbuild keep it as `import {} from`, which still loads the module. Dynamic `import()` is not an
 * edge (it is how a load is deferred). Specifiers resolve as Node does here: relative paths
 * (`./x.js` → `./x.ts`) and the workspace's own package names through their `kiln-source` export
 * condition, so a cycle through two packages is found too. Tests (`*.test.ts`) are not sources.
 *
 * `npm test` runs this through test/import-cycles.test.ts; by hand:
 * `node --import tsx scripts/import-cycles.ts [root]` prints each cycle and exits 1 if there is any.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";

/** A strongly connected set of source files (paths relative to the root, `/`-separated, sorted) and one loop through it. */
export interface ImportCycle {
  readonly files: readonly string[];
  /** One closed path through the cycle, for the message: `a.ts → b.ts → a.ts`. */
  readonly example: readonly string[];
}

/** The specifiers a file loads at run time (see the header for what counts). */
export function valueImportSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const stmt of source.statements) {
    if (ts.isImportDeclaration(stmt)) {
      if (stmt.importClause?.isTypeOnly) continue;
      if (ts.isStringLiteral(stmt.moduleSpecifier)) out.push(stmt.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(stmt)) {
      if (stmt.isTypeOnly || !stmt.moduleSpecifier) continue;
      if (ts.isStringLiteral(stmt.moduleSpecifier)) out.push(stmt.moduleSpecifier.text);
    }
  }
  return out;
}

/** Every `packages/<name>/src/**.ts` under `root` but tests and declaration files. */
function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(".ts") && !entry.endsWith(".test.ts") && !entry.endsWith(".d.ts")) files.push(path);
    }
  };
  const packages = join(root, "packages");
  for (const pkg of existsSync(packages) ? readdirSync(packages) : []) {
    const src = join(packages, pkg, "src");
    if (existsSync(src)) walk(src);
  }
  return files;
}

/** Workspace package specifiers (`@kiln/core`, `kiln/internal`) → source file, from each package.json's `kiln-source` exports. */
function workspaceEntries(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  const packages = join(root, "packages");
  for (const pkg of existsSync(packages) ? readdirSync(packages) : []) {
    const manifest = join(packages, pkg, "package.json");
    if (!existsSync(manifest)) continue;
    const { name, exports } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; exports?: Record<string, unknown> };
    if (!name || !exports) continue;
    for (const [sub, conditions] of Object.entries(exports)) {
      const target = (conditions as Record<string, unknown> | null)?.["kiln-source"];
      if (typeof target === "string") entries.set(sub === "." ? name : `${name}/${sub.replace(/^\.\//, "")}`, resolve(packages, pkg, target));
    }
  }
  return entries;
}

function resolveSpecifier(from: string, spec: string, entries: Map<string, string>): string | undefined {
  if (!spec.startsWith(".")) return entries.get(spec);
  const path = resolve(dirname(from), spec);
  for (const candidate of [path.replace(/\.js$/, ".ts"), path, `${path}.ts`, join(path, "index.ts")]) {
    if (candidate.endsWith(".ts") && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The value-import graph of the sources under `root` (absolute paths). */
export function importGraph(root: string): Map<string, string[]> {
  const files = sourceFiles(root);
  const known = new Set(files);
  const entries = workspaceEntries(root);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = valueImportSpecifiers(file, readFileSync(file, "utf8"))
      .map((spec) => resolveSpecifier(file, spec, entries))
      .filter((t): t is string => t !== undefined && known.has(t));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan's algorithm. */
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components;
}

/** The shortest loop from `start` back to itself inside `members` (breadth-first). */
function shortestLoop(graph: Map<string, string[]>, start: string, members: Set<string>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/**
 * The value-import cycles among `packages/<name>/src` under `root`, each as its strongly connected
 * set of files, sorted.
 * @example
 * findImportCycles(".").map((c) => c.example.join(" → "));
 * // [] when the import graph is acyclic
 */
export function findImportCycles(root: string): ImportCycle[] {
  const graph = importGraph(root);
  const rel = (f: string) => relative(root, f).split(sep).join("/");
  return stronglyConnected(graph)
    .map((component) => {
      const files = [...component].sort((a, b) => rel(a).localeCompare(rel(b)));
      return { files: files.map(rel), example: shortestLoop(graph, files[0]!, new Set(files)).map(rel) };
    })
    .sort((a, b) => a.files[0]!.localeCompare(b.files[0]!));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.argv[2] ?? ".");
  const cycles = findImportCycles(root);
  for (const c of cycles) console.log(`cycle (${c.files.length} files): ${c.example.join(" → ")}\n  ${c.files.join("\n  ")}`);
  console.log(`${cycles.length} value-import cycle(s)`);
  process.exitCode = cycles.length ? 1 : 0;
}
