/**
 * A package's files (sources and unit tests) import only inside their package, or other packages by
 * name: a relative path out of `packages/<name>/` (core's tests used to import
 * `../../../../test/util.js`, which loads the umbrella) makes a package's tests depend on code above it.
 */
import { expect } from "chai";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const PACKAGES = join(dirname(fileURLToPath(import.meta.url)), "..", "packages");
/** Packages allowed to reach out (none): keep it empty. */
const KNOWN: readonly string[] = [];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : e.endsWith(".ts") ? [p] : [];
  });
}

function relativeSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return source.statements.flatMap((s) =>
    (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text.startsWith(".")
      ? [s.moduleSpecifier.text]
      : [],
  );
}

describe("package boundaries", () => {
  for (const pkg of readdirSync(PACKAGES).filter((p) => !KNOWN.includes(p))) {
    it(`packages/${pkg} imports nothing outside itself by relative path`, () => {
      const root = join(PACKAGES, pkg) + sep;
      const outside = tsFiles(join(PACKAGES, pkg, "src")).flatMap((file) =>
        relativeSpecifiers(file)
          .filter((spec) => !resolve(dirname(file), spec).startsWith(root))
          .map((spec) => `${relative(PACKAGES, file)}: ${spec}`),
      );
      expect(outside).to.deep.equal([]);
    });
  }
});
