/** NumPy random programs on cpu with JavaScript kernels only (by default wasm starts at 4096 elements). */
import { setWasmMinElements } from "@kiln/backend";
import { useCpu } from "../util.js";
import { npdiffSuite } from "./suite.js";

describe("numpy programs: cpu (JS kernels)", () => {
  useCpu();
  before(() => setWasmMinElements(Infinity));
  after(() => setWasmMinElements());
  npdiffSuite("cpu");
});
