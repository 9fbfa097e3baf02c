/** NumPy parity on cpu with JavaScript kernels only (by default wasm starts at 4096 elements). */
import { setWasmMinElements } from "@kiln/backend";
import { useCpu } from "../util.js";
import { paritySuite } from "./suite.js";

describe("numpy parity: cpu (JS kernels)", () => {
  useCpu();
  before(() => setWasmMinElements(Infinity));
  after(() => setWasmMinElements());
  paritySuite("cpu");
});
