/** NumPy random programs on gpujs (GPU.js in its Node mode; what it cannot run exactly runs on the host). */
import { destroyGpujs } from "@kiln/backend";
import { useGpujs } from "../util.js";
import { npdiffSuite } from "./suite.js";

describe("numpy programs: gpujs", () => {
  useGpujs();
  after(() => destroyGpujs());
  npdiffSuite("gpujs", { alternate: true, stride: 4 });
});
