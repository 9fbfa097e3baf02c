/**
 * PARITY_DEVIATIONS: where kiln knowingly differs from the NumPy parity fixtures (with JAX's
 * dtype rules applied), per backend, each with its reason. A deviation either holds matching cases
 * to a looser tolerance or excuses them; the suite fails when a listed deviation no longer happens
 * on a backend it names, so the table cannot outlive what it describes.
 */
import { type Mode, type ParityCase, type Tolerance } from "./fixtures.js";

export type ParityBackend = "cpu" | "wasm" | "webgpu" | "gpujs";
export const ALL_BACKENDS: readonly ParityBackend[] = ["cpu", "wasm", "webgpu", "gpujs"];

export interface ParityDeviation {
  readonly id: string;
  readonly backends: readonly ParityBackend[];
  readonly reason: string;
  readonly matches: (c: ParityCase, mode: Mode) => boolean;
  /** The tolerance matching cases are held to instead; absent: they are not compared. */
  readonly tolerance?: Tolerance;
}

const noDtypeOption = (c: ParityCase) => c.opts?.["dtype"] === undefined;

export const PARITY_DEVIATIONS: readonly ParityDeviation[] = [
  {
    id: "js-integers-are-float32",
    backends: ALL_BACKENDS,
    reason: "A JS number carries no int/float distinction, so creation functions given only numbers default to " +
      "float32 (API.md §1: `np.arange(5)` and `np.full(shape, 7)` are float32, where JAX gives int32 for Python ints); " +
      "pass { dtype: \"int32\" } for integers.",
    matches: (c) => (c.fn === "arange" || c.fn === "full") && noDtypeOption(c),
  },
  {
    id: "unique-needs-sync-read",
    backends: ["webgpu"],
    reason: "np.unique without `size` reads the number of distinct values synchronously, which WebGPU cannot " +
      "(BackendUnavailableError); pass { size } there, as JAX requires under jit.",
    matches: (c) => c.fn === "unique" && c.opts?.["size"] === undefined,
  },
];
