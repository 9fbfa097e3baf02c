/**
 * The "every kernel as wasm, split across 3 threads" configuration both differential suites run
 * under (random programs in wasm.test.ts, transform identities in transforms.test.ts).
 */
import { clearWasmKernels, cpuThreads, setBackend, setCpuThreads, setWasmMinElements } from "@kiln/backend";
import { setSplitMinWork } from "../../packages/backend/src/targets/wasm/wasm-split.js";

/** Makes cpu active with every kernel as wasm, split over 3 threads; returns the undo. */
export function forceWasmSplit(): () => void {
  const threads = cpuThreads();
  setBackend("cpu");
  setWasmMinElements(0, { imports: true });
  setSplitMinWork(1);
  clearWasmKernels();
  setCpuThreads(3);
  return () => {
    setCpuThreads(threads);
    setSplitMinWork();
    clearWasmKernels();
    setWasmMinElements();
  };
}
