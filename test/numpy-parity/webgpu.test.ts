/** NumPy parity on webgpu (Dawn; every jitted call kept on the device). */
import { useWebgpu } from "../webgpu/env.js";
import { paritySuite } from "./suite.js";

describe("numpy parity: webgpu", () => {
  useWebgpu();
  paritySuite("webgpu", { alternate: true });
});
