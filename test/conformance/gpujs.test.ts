/**
 * The conformance suite on the gpujs backend: GPU.js kernels in its default Node mode (`webasm`),
 * the kernels GPU.js cannot run exactly on the host (docs/backends.md, "What runs where").
 */
import { destroyGpu, destroyGpujs, gpujsStats, init, backends } from "@kiln/backend";
import { expect } from "chai";
import { conformanceSuite } from "./suite.js";
import { PRIMITIVE_CASES } from "./primitives.js";
import { PATTERN_CASES } from "./patterns.js";

describe("gpujs (GPU.js)", () => {
  let runsBefore = 0;
  conformanceSuite("gpujs", PRIMITIVE_CASES, PATTERN_CASES, {
    async setup() {
      await init({ tune: false });
      const info = backends().find((b) => b.name === "gpujs")!;
      expect(info.available, info.reason).to.equal(true);
      runsBefore = gpujsStats().runs;
    },
    // Reductions and dot products accumulate in float32 on GPU.js (the reference in float64).
    contractionTol: { rtol: 1e-4, atol: 2e-5 },
  });
  after(() => {
    // The suite must have run GPU.js kernels, not only host fallbacks.
    expect(gpujsStats().runs - runsBefore).to.be.greaterThan(100);
    destroyGpujs();
    destroyGpu();
  });
});
