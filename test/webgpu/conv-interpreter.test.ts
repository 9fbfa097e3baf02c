/** Convolutions at odd shapes, forward and both gradients, on webgpu against the float64 interpreter. */
import { describeConvAgainstInterpreter } from "../conv-interpreter-cases.js";
import { useWebgpu } from "./env.js";

describe("lax.convGeneralDilated on webgpu against the float64 interpreter", () => {
  useWebgpu();
  describeConvAgainstInterpreter("webgpu");
});
