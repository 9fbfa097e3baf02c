/** The conformance suite on the CPU backend (fused JS kernels). */
import "@kiln/backend";
import { conformanceSuite } from "./suite.js";
import { PRIMITIVE_CASES } from "./primitives.js";
import { PATTERN_CASES } from "./patterns.js";

conformanceSuite("cpu", PRIMITIVE_CASES, PATTERN_CASES);
