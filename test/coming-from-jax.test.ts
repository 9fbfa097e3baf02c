/**
 * docs/coming-from-jax.md lists every function of the array namespaces (rendered from the live
 * namespaces by scripts/jax-surface.ts): a function added without re-rendering the page, or a
 * page edited by hand inside the generated block, fails here.
 */
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { renderedPage, renderSurface } from "../scripts/jax-surface.js";

const PAGE = new URL("../docs/coming-from-jax.md", import.meta.url);

describe("docs/coming-from-jax.md", () => {
  it("its generated block is the current surface (re-render: node --conditions=kiln-source --import tsx scripts/jax-surface.ts --write)", () => {
    expect(readFileSync(PAGE, "utf8")).to.equal(renderedPage());
  });

  it("names np.linalg, lax.linalg and lax.dynamicSlice, and every linked guide page exists", () => {
    const block = renderSurface();
    for (const name of ["`np.takeAlongAxis`", "`np.linalg.svd`", "`lax.linalg.lu`", "`lax.dynamicSlice`", "`scipySpecial.ndtri`", "`prng.split`"]) {
      expect(block, name).to.contain(name);
    }
    const links = [...readFileSync(PAGE, "utf8").matchAll(/\]\(([a-z0-9-]+\.md)\)/g)].map((m) => m[1]!);
    expect(links.length).to.be.above(5);
    for (const l of new Set(links)) expect(existsSync(new URL(`../docs/${l}`, import.meta.url)), l).to.equal(true);
  });
});
