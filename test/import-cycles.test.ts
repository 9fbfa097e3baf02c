/**
 * No new value-import cycle among the packages' sources (scripts/import-cycles.ts), and the checker
 * itself on small fixture trees.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findImportCycles, valueImportSpecifiers } from "../scripts/import-cycles.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Cycles tolerated for now: none (issue 12 removed the last). Each entry would be one strongly
 * connected set of files; the test below fails on a stale entry, so this list can only shrink.
 * Never add to it: break the new cycle instead (a type-only import, or move the shared code down).
 */
const KNOWN_CYCLES: readonly (readonly string[])[] = [];

describe("import cycles", () => {
  describe("the repository", () => {
    const cycles = findImportCycles(ROOT);

    it("has no value-import cycle outside the known list", () => {
      const fresh = cycles.filter((c) => !KNOWN_CYCLES.some((known) => c.files.every((f) => known.includes(f))));
      expect(fresh.map((c) => c.example.join(" → ")), "new value-import cycle(s): break them (a type-only import, or move the shared code down)").to.deep.equal([]);
    });

    it("has no stale entry in the known list (delete an entry once its cycle is gone)", () => {
      const stale = KNOWN_CYCLES.filter((known) => !cycles.some((c) => c.files.join() === known.join()));
      const now = cycles.map((c) => c.files);
      expect(stale, `KNOWN_CYCLES entries that no longer match a cycle exactly; the cycles now: ${JSON.stringify(now)}`).to.deep.equal([]);
    });

    it("has no cycle through core's tensor.ts and np (issue 12 item 4)", () => {
      expect(cycles.filter((c) => c.files.some((f) => f.startsWith("packages/core/")))).to.deep.equal([]);
    });
  });

  describe("the checker", () => {
    let root: string;
    const write = (files: Record<string, string>): void => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
    };
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), "kiln-cycles-"));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("finds a value-import cycle, with one loop through it", () => {
      write({
        "packages/a/src/a.ts": `import { b } from "./b.js";\nexport const a = () => b;\n`,
        "packages/a/src/b.ts": `import { c } from "./c.js";\nexport const b = 1;\nexport { c };\n`,
        "packages/a/src/c.ts": `export * from "./a.js";\nexport const c = 2;\n`,
        "packages/a/src/d.ts": `import { a } from "./a.js";\nexport const d = a;\n`,
      });
      expect(findImportCycles(root)).to.deep.equal([
        { files: ["packages/a/src/a.ts", "packages/a/src/b.ts", "packages/a/src/c.ts"], example: ["packages/a/src/a.ts", "packages/a/src/b.ts", "packages/a/src/c.ts", "packages/a/src/a.ts"] },
      ]);
    });

    it("ignores a cycle of type-only imports (import type, export type)", () => {
      write({
        "packages/a/src/a.ts": `import type { B } from "./b.js";\nexport interface A { b?: B }\n`,
        "packages/a/src/b.ts": `export type { A } from "./a.js";\nimport { type A as A2 } from "./c.js";\nexport interface B { a?: A2 }\n`,
        "packages/a/src/c.ts": `export interface A {}\n`,
      });
      expect(findImportCycles(root)).to.deep.equal([]);
    });

    it("counts `import { type X }` as a load (verbatimModuleSyntax keeps it as `import {}`), and a dynamic import() as none", () => {
      expect(valueImportSpecifiers("x.ts", `import { type A } from "./a.js";\nimport type { B } from "./b.js";\nconst c = () => import("./c.js");\nimport "./d.js";\n`))
        .to.deep.equal(["./a.js", "./d.js"]);
    });

    it("follows workspace package names, so a cycle through two packages is found", () => {
      write({
        "packages/a/package.json": JSON.stringify({ name: "@x/a", exports: { ".": { "kiln-source": "./src/index.ts" } } }),
        "packages/b/package.json": JSON.stringify({ name: "@x/b", exports: { ".": { "kiln-source": "./src/index.ts" } } }),
        "packages/a/src/index.ts": `export { b } from "@x/b";\nexport const a = 1;\n`,
        "packages/b/src/index.ts": `import { a } from "@x/a";\nexport const b = a;\n`,
      });
      expect(findImportCycles(root).map((c) => c.files)).to.deep.equal([["packages/a/src/index.ts", "packages/b/src/index.ts"]]);
    });
  });
});
