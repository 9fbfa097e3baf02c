/**
 * The wasm target: fused kernels rendered as WebAssembly (SIMD128) modules over one heap. It has no
 * executor of its own: the cpu backend runs plans on the host, and the host's kernel compiler picks,
 * per kernel, the wasm module (kernels big enough to pay for a module and their copies) or the JS
 * function (tiny kernels, and everything wasm-render.ts does not handle). Both give the same bits.
 */
import { type Kernel } from "../../kernel.js";
import { type HostKernels } from "../../host/run.js";
import { compileWasmKernel } from "./wasm-kernels.js";

export { wasmKernelStats, clearWasmKernels } from "./wasm-kernels.js";
export { wasmUnsupported } from "./wasm-render.js";

/** Kernels touching fewer elements than this (summed over parameters) run as JavaScript. */
const DEFAULT_MIN_ELEMENTS = 4096;
let minElements = DEFAULT_MIN_ELEMENTS;
let allowImports = false;

/**
 * Sets the size from which kernels run as WebAssembly (elements summed over a kernel's buffers):
 * 0 runs every kernel wasm can render as wasm (tests), Infinity none; no argument restores the
 * default. `imports`: also run kernels that call float64 functions imported from JavaScript
 * (`Math.tanh`, the special functions) as wasm — by default they stay JS, where those calls are
 * cheaper than a call out of wasm per element. Kernels already bound into compiled plans keep
 * their choice.
 * @example setWasmMinElements(0, { imports: true }); // tests exercise the wasm renderer on tiny arrays
 */
export function setWasmMinElements(n: number = DEFAULT_MIN_ELEMENTS, opts: { imports?: boolean } = {}): void {
  minElements = n;
  allowImports = opts.imports ?? false;
}

const elements = (k: Kernel) => k.params.reduce((a, p) => a + p.size, 0);

/**
 * The host's kernel compiler with wasm kernels where they pay: wraps the JS kernels (`js`), which run
 * every kernel wasm does not take. (Handed in, so this target imports no other target.)
 * @example const host = makeHost(withWasm(JS_KERNELS));
 */
export function withWasm(js: HostKernels): HostKernels {
  const pick = (k: Kernel) => {
    if (elements(k) < minElements) return null;
    const w = compileWasmKernel(k);
    return w && (allowImports || w.imports.length === 0) ? w : null;
  };
  return {
    run: (k) => pick(k)?.run ?? js.run(k),
    source: (k) => pick(k)?.source ?? js.source(k),
    inHeap: (k) => pick(k) !== null,
  };
}
