/** The renderers' literal formatting is the second line of the codegen trust boundary: only numbers. */
import { expect } from "chai";
import { ValueError } from "@kiln/core";
import { literal } from "./base.js";
import { wgslLiteral } from "../targets/webgpu/wgsl.js";

describe("render: literals refuse non-numbers", () => {
  it("literal and wgslLiteral throw a ValueError for strings, objects and bigints", () => {
    for (const bad of ["globalThis.pwned=1", { valueOf: () => 1 }, 1n, null, undefined]) {
      expect(() => literal(bad as never)).to.throw(ValueError, /expected a number/);
      expect(() => wgslLiteral(bad as never, "float32")).to.throw(ValueError, /expected a number/);
    }
    expect(literal(-1.5)).to.equal("(-1.5)");
    expect(wgslLiteral(2, "int32")).to.equal("2");
  });
});
