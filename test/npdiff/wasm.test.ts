/** NumPy random programs on cpu with every kernel as WebAssembly, split across 3 threads. */
import { forceWasmSplit } from "../differential/wasm-split-env.js";
import { npdiffSuite } from "./suite.js";

describe("numpy programs: wasm (every kernel, 3 threads; every other program, one mode each)", () => {
  let undo = () => {};
  before(() => (undo = forceWasmSplit()));
  after(() => undo());
  npdiffSuite("wasm", { alternate: true, stride: 2 });
});
