/**
 * The systematic hostile-input sweep (test/hostile-sweep.ts) over the whole public surface on the
 * cpu backend: every exported function, constructor and public method, every hostile value in
 * every argument position, a result or a KilnError, and no State changed by a call that threw.
 */
import { expect } from "chai";
import { sweep } from "./hostile-sweep.js";
import { useCpu } from "./util.js";

describe("hostile-input sweep over the whole public surface (cpu)", function () {
  useCpu();
  // ~95,000 calls: about 18 s of CPU time, more wall time on a loaded machine.
  this.timeout(240_000);

  it("every exported function, constructor, Tensor, State and optimizer method works or throws a KilnError for every hostile value in every position", async () => {
    expect(await sweep()).to.deep.equal([]);
  });
});
