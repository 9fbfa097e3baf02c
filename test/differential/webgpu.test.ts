/** Differential suite on webgpu (Dawn): random programs and the special-value table vs the float64 interpreter. */
import { expect } from "chai";
import { useWebgpu } from "../webgpu/env.js";
import { programTests } from "./programs.js";
import { allSpecialCases, runSpecials } from "./check-specials.js";

describe("differential: webgpu", () => {
  useWebgpu();

  describe("random programs", () => programTests("webgpu"));

  it("special values through every primitive match the interpreter (or a documented deviation)", async function () {
    this.timeout(0);
    const r = await runSpecials(allSpecialCases());
    if (r.unexpected.length) expect.fail(r.unexpected.join("\n"));
  });
});
