/** The conformance suite on the webgpu backend: WGSL kernels through Dawn (Mesa's llvmpipe in CI). */
import { destroyGpu } from "@kiln/backend";
import { conformanceSuite } from "./suite.js";
import { PRIMITIVE_CASES } from "./primitives.js";
import { PATTERN_CASES } from "./patterns.js";
import { requireWebgpu } from "../webgpu/env.js";

describe("webgpu device", () => {
  conformanceSuite("webgpu", PRIMITIVE_CASES, PATTERN_CASES, {
    async: true,
    setup: requireWebgpu,
    // Dot products accumulate in float32 registers on the GPU (k ≤ 64 terms of magnitude ≤ 9 here).
    contractionTol: { rtol: 1e-4, atol: 2e-5 },
  });
  after(() => destroyGpu());
});
