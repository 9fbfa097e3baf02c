/** Convolutions at odd shapes, forward and both gradients, on cpu against the float64 interpreter. */
import { setBackend } from "kiln";
import { describeConvAgainstInterpreter } from "./conv-interpreter-cases.js";

describe("lax.convGeneralDilated on cpu against the float64 interpreter", () => {
  before(() => setBackend("cpu"));
  describeConvAgainstInterpreter("cpu");
});
