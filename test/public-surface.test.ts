/**
 * `kiln` exports exactly the public list (issue 12 item 5). The snapshot, test/public-surface.json,
 * is checked in: adding or removing a public name is a deliberate edit of that file (and of API.md /
 * the docs), never a side effect of an `export` in a workspace package. Internals are reachable
 * through `kiln/internal` only.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";

const SNAPSHOT: string[] = JSON.parse(readFileSync(new URL("./public-surface.json", import.meta.url), "utf8"));

describe("public surface of kiln", () => {
  it("is exactly the checked-in list (test/public-surface.json)", async () => {
    const names = Object.keys(await import("kiln")).sort();
    const added = names.filter((n) => !SNAPSHOT.includes(n));
    const removed = SNAPSHOT.filter((n) => !names.includes(n));
    expect({ added, removed }, "update test/public-surface.json only for an intended change of the public API").to.deep.equal({ added: [], removed: [] });
  });

  it("keeps compiler internals out (they are in kiln/internal)", async () => {
    const kiln = (await import("kiln")) as Record<string, unknown>;
    const internal = (await import("kiln/internal")) as Record<string, unknown>;
    for (const name of ["makeNode", "luInPlace", "renderJs", "globToRegExp", "PRIMITIVES", "setExecutor", "npUtil", "interpret"]) {
      expect(kiln[name], name).to.equal(undefined);
      expect(internal[name], name).to.not.equal(undefined);
    }
  });

  it("kiln/internal re-exports every public name as the same object", async () => {
    const kiln = (await import("kiln")) as Record<string, unknown>;
    const internal = (await import("kiln/internal")) as Record<string, unknown>;
    for (const name of SNAPSHOT) expect(internal[name], name).to.equal(kiln[name]);
  });
});
