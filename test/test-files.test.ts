/**
 * A `*.test.ts` file is a test, never a helper: mocha loads every one of them, so a helper named
 * like a test (rules/gradcheck.test.ts once was) runs as a suite wherever it is imported and is
 * shipped by nothing. Helpers shared by tests are named `*.test-util.ts` (or live in test/).
 */
import { expect } from "chai";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name === "dist") return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

/** The relative module specifiers of `text` that name a test file. */
function importsOfTestFiles(text: string): string[] {
  return [...text.matchAll(/\b(?:from|import)\s*\(?\s*["'](\.[^"']*\.test(?:\.[jt]s)?)["']/g)].map((m) => m[1]!);
}

describe("test files", () => {
  it("no file imports a *.test.ts file", () => {
    const dirs = [join(ROOT, "test"), join(ROOT, "examples"), ...readdirSync(join(ROOT, "packages")).map((p) => join(ROOT, "packages", p, "src"))];
    const found = dirs.flatMap(tsFiles).flatMap((f) => importsOfTestFiles(readFileSync(f, "utf8")).map((s) => `${relative(ROOT, f)} imports ${s}`));
    expect(found).to.deep.equal([]);
  });

  it("the check sees static and dynamic imports of a test file, and nothing else", () => {
    const test = ".test"; // spelled apart, so this file's own source imports no test file
    expect(importsOfTestFiles(`import { f64 } from "./gradcheck${test}.js";`)).to.deep.equal([`./gradcheck${test}.js`]);
    expect(importsOfTestFiles(`const m = await import("../x${test}.ts");`)).to.deep.equal([`../x${test}.ts`]);
    expect(importsOfTestFiles(`import { f64 } from "./gradcheck.test-util.js";\nimport { x } from "@kiln/core";`)).to.deep.equal([]);
  });
});
