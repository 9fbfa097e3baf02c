/**
 * What the gpujs WebGL2 page (main.ts) and its Node test (../gpujs-webgl.test.ts) share: the case
 * keys, the WebGL tolerances and the shape of the page's result. No side effects: Node imports it.
 */
import { type Case, type SuiteOptions, type Tol } from "../../conformance/suite.js";
import { PRIMITIVE_CASES } from "../../conformance/primitives.js";
import { PATTERN_CASES } from "../../conformance/patterns.js";

import type { ResidentResult } from "./resident.js";
import type { TiledResult } from "./tiled.js";

/** One conformance case's outcome. */
export interface CaseResult {
  readonly key: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
}

/** A training run: the loss per step and the final parameters, flattened. */
export interface TrainResult {
  readonly losses: number[];
  readonly params: number[];
  readonly gpujsRuns: number;
  /** GPU.js textures read back to JavaScript during the run (WebGL). */
  readonly readbacks: number;
  readonly ms: number;
}

export interface GpujsPageResult {
  done: boolean;
  error?: string;
  webgl2: boolean;
  renderer: string | null;
  floatColorBuffer: boolean;
  mode: string | null;
  adapter: string | null;
  cases: CaseResult[];
  gpujsRuns: number;
  /** The same run on gpujs (values kept as textures between kernels), on gpujs without pipelining, and on cpu. */
  train?: { gpujs: TrainResult; unpipelined: TrainResult; cpu: TrainResult };
  /** Tiled contractions, split reductions and async reads (tiled.ts). */
  tiled?: TiledResult;
  /** Jitted calls' values resident on the GPU across calls (resident.ts). */
  resident?: ResidentResult;
  /**
   * The WebGL context lost (WEBGL_lose_context) while `await data()` waits, last on the page: the
   * error's name and message for a read on a fence and for a blocking read after one task.
   */
  contextLost?: { fence: string; blocking: string };
}

/** The key of a case: its primitive (or "pattern") and name, numbered where names repeat. */
export function caseKeys(): { key: string; c: Case }[] {
  const all = [
    ...Object.entries(PRIMITIVE_CASES).flatMap(([p, cs]) => (cs as readonly Case[]).map((c) => ({ group: p, c }))),
    ...PATTERN_CASES.map((c) => ({ group: "pattern", c })),
  ];
  const seen = new Map<string, number>();
  return all.map(({ group, c }) => {
    const base = `${group}: ${c.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { key: n === 1 ? base : `${base} #${n}`, c };
  });
}

/** The tolerance of cases containing a contraction (float32 accumulation), as in Node's gpujs suite. */
export const CONTRACTION_TOL: Tol = { rtol: 1e-4, atol: 2e-5 };

/**
 * GLSL's trigonometric builtins are not correctly rounded: on SwiftShader sin(1) is off by 1.9e-5
 * and acos(0) by 6.8e-5 (measured; docs/backends.md "WebGL").
 */
const GL_TRIG: Tol = { rtol: 1e-4, atol: 2e-4 };
export const WEBGL_PRIMITIVE_TOL: SuiteOptions["primitiveTol"] = { sin: GL_TRIG, cos: GL_TRIG, tan: GL_TRIG, asin: GL_TRIG, acos: GL_TRIG, atan: GL_TRIG };

/**
 * Cases that deviate on WebGL2 (SwiftShader), each with the one element that differs and why.
 * sin/cos/tan of 1e30: GLSL reduces huge arguments in float32 (no Payne–Hanek), so the result is
 * meaningless there; every other element of these cases passes.
 */
export const WEBGL_DEVIATIONS: Readonly<Record<string, { readonly element: number; readonly why: string }>> = Object.fromEntries(
  ["sin", "cos", "tan"].flatMap((p) => ["float32[17]", "float32[2,3,4]"].map((shape) => [
    `${p}: ${shape}`, { element: 15, why: `${p}(1e30): GLSL's argument reduction of a huge float32` },
  ])),
);
