/** NumPy parity on gpujs (GPU.js in its Node mode; what it cannot run exactly runs on the host). */
import { expect } from "chai";
import { destroyGpujs, gpujsStats } from "@kiln/backend";
import { useGpujs } from "../util.js";
import { paritySuite } from "./suite.js";

describe("numpy parity: gpujs", () => {
  let runs = 0;
  useGpujs();
  before(() => (runs = gpujsStats().runs));
  after(() => destroyGpujs());
  paritySuite("gpujs", { alternate: true });
  it("GPU.js kernels did the work", () => expect(gpujsStats().runs - runs).to.be.greaterThan(500));
});
