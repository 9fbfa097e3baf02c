/**
 * A sample of the hostile-input sweep (test/hostile-sweep.ts) on webgpu: every 8th exported
 * function, where a kernel is compiled to WGSL and run on the device, must also return or throw a
 * KilnError for every hostile value in every position (the cpu suite covers all of them).
 */
import { expect } from "chai";
import { inScratchDirectory, sweep } from "../hostile-sweep.js";
import { useWebgpu } from "./env.js";

describe("hostile-input sweep, a sample on webgpu", function () {
  useWebgpu();
  this.timeout(240_000);
  inScratchDirectory();

  it("every 8th public function works or throws a KilnError for every hostile value in every position", async () => {
    let i = 0;
    expect(await sweep(() => i++ % 8 === 0, false)).to.deep.equal([]);
  });
});
