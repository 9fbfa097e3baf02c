/** Completeness of the rule tables against the primitive table (the runtime side of the mapped types). */
import { expect } from "chai";
import { Control, Leaf, PRIMITIVES, type Prim } from "@kiln/core";
import { JVP_RULES } from "./jvp.js";
import { VJP_RULES } from "./vjp.js";

const prims = Object.keys(PRIMITIVES) as Prim[];

describe("rule tables", () => {
  for (const [name, table] of [["jvp", JVP_RULES], ["vjp", VJP_RULES]] as const) {
    it(`the ${name} table has exactly one entry per primitive`, () => {
      expect(Object.keys(table).sort()).to.deep.equal([...prims].sort());
    });

    it(`the ${name} table marks exactly the leaves as not differentiable and control flow as call-level, with a reason`, () => {
      for (const p of prims) {
        const entry = table[p] as unknown;
        if (Leaf.has(p)) {
          expect(entry, p).to.have.property("notDifferentiable").that.matches(/leaf/);
        } else if (Control.has(p)) {
          expect(entry, p).to.have.property("callLevel").that.matches(/call-level rule/);
        } else {
          expect(typeof entry, `${name} rule of ${p}`).to.equal("function");
        }
      }
    });
  }
});
