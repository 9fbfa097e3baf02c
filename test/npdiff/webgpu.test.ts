/** NumPy random programs on webgpu (Dawn; every jitted call kept on the device). */
import { useWebgpu } from "../webgpu/env.js";
import { npdiffSuite } from "./suite.js";

describe("numpy programs: webgpu", () => {
  useWebgpu();
  npdiffSuite("webgpu", { alternate: true, stride: 20, syncReads: false });
});
