/** The conformance suite on the CPU backend (fused JS kernels). */
import "@kiln/backend";
import { conformanceSuite } from "./suite.js";
import { PRIMITIVE_CASES } from "./primitives.js";
import { PATTERN_CASES } from "./patterns.js";

// float32 contractions run on the WebAssembly SIMD microkernel, which accumulates in float32 like
// a GPU (the other kernels compute in float64 registers).
conformanceSuite("cpu", PRIMITIVE_CASES, PATTERN_CASES, { contractionTol: { rtol: 1e-4, atol: 2e-5 } });
