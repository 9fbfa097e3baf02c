/**
 * transforms has no value-import cycle: a rule that needs a driver (control flow differentiating
 * or batching its sub-graphs) gets it as a parameter, never by importing the module that calls it.
 * `import type` and type-only specifiers do not count: they vanish at run time.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s+(?!type\b)([^'";]*?\bfrom\s+)?['"](\.[^'"]+)['"]/gm;

/** True for `import { type A, type B } from` (only type specifiers). */
function typeOnly(clause: string): boolean {
  const braces = /^\s*\{([^}]*)\}\s*from\s+$/.exec(clause);
  return !!braces && braces[1]!.split(",").every((s) => s.trim() === "" || /^type\s/.test(s.trim()));
}

/** Relative value imports of each file, resolved to files. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((f) => {
    const targets: string[] = [];
    for (const m of readFileSync(f, "utf8").matchAll(IMPORT)) {
      if (typeOnly(m[1] ?? "")) continue;
      let t = resolve(dirname(f), m[2]!).replace(/\.js$/, ".ts");
      if (!t.endsWith(".ts")) t = existsSync(`${t}.ts`) ? `${t}.ts` : join(t, "index.ts");
      if (known.has(t)) targets.push(t);
    }
    return [f, targets];
  }));
}

/** One cycle per strongly connected component of more than one file (Tarjan). */
function importCycles(files: readonly string[]): string[][] {
  const edges = importGraph(files);
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) (visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!)));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do (w = stack.pop()!, on.delete(w), scc.push(w));
    while (w !== v);
    if (scc.length > 1) cycles.push(scc.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

describe("transforms imports", () => {
  it("have no value-import cycle", () => {
    const cycles = importCycles(sourceFiles(SRC)).map((c) => c.map((f) => relative(SRC, f)).join(" -> "));
    expect(cycles).to.deep.equal([]);
  });

  it("the check finds a cycle, and ignores type-only imports", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-import-cycles-"));
    try {
      const [a, b, c] = ["a.ts", "b.ts", "c.ts"].map((f) => join(dir, f)) as [string, string, string];
      writeFileSync(b, `import { c } from "./c.js";\n`);
      writeFileSync(c, `import { a } from "./a.js";\n`);
      for (const [text, want] of [[`import { b } from "./b.js";`, 1], [`import type { b } from "./b.js";`, 0], [`import { type b } from "./b.js";`, 0]] as const) {
        writeFileSync(a, `${text}\n`);
        expect(importCycles([a, b, c]), text).to.have.length(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
