/**
 * The wasm target: fused kernels rendered as WebAssembly (SIMD128) modules over one heap. It has no
 * executor of its own: the cpu backend runs plans on the host, and the host's kernel compiler picks,
 * per kernel, the wasm module (kernels big enough to pay for a module and their copies) or the JS
 * function (tiny kernels, and everything wasm-render.ts does not handle). Both give the same bits.
 */
import { type Kernel, walkStmts } from "../../kernel.js";
import { type HostKernels } from "../../host/run.js";
import { compileWasmKernel } from "./wasm-kernels.js";
import { VECMATH_OPS } from "./wasm-vecmath.js";

export { wasmKernelStats, clearWasmKernels } from "./wasm-kernels.js";
export { wasmUnsupported } from "./wasm-render.js";

/** Kernels touching fewer elements than this (summed over parameters; vector math weighted, `work`) run as JavaScript. */
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

/**
 * A float32 vector-math call (exp, tanh, …: VECMATH_OPS) counts as this many elements per element:
 * a JS kernel runs its polynomial as scalar float32 steps, ~37 ns an element, a wasm kernel four
 * lanes at a time, ~3.5 ns (W3's softmax exp over 128×10: 48 µs as JS, 4.6 µs as wasm). With it a
 * kernel of ~128 elements calling exp is wasm, one of 16 stays JS (equal there, and JS has no call
 * into wasm to pay).
 */
const VECMATH_WEIGHT = 16;
const VECMATH: ReadonlySet<string> = new Set<string>(VECMATH_OPS);

/** Per kernel: its size (elements summed over parameters), vector-math calls weighted (VECMATH_WEIGHT). */
const workOf = new WeakMap<Kernel, number>();
function work(k: Kernel): number {
  let w = workOf.get(k);
  if (w === undefined) {
    let calls = 0;
    for (const st of walkStmts(k.body)) if (st.s === "let" && st.value.op === "alu" && st.value.dtype === "float32" && VECMATH.has(st.value.alu)) calls++;
    w = k.params.reduce((a, p) => a + p.size, 0) * (1 + VECMATH_WEIGHT * calls);
    workOf.set(k, w);
  }
  return w;
}

/**
 * The host's kernel compiler with wasm kernels where they pay: wraps the JS kernels (`js`), which run
 * every kernel wasm does not take. (Handed in, so this target imports no other target.)
 * @example const host = makeHost(withWasm(JS_KERNELS));
 */
export function withWasm(js: HostKernels): HostKernels {
  const pick = (k: Kernel) => {
    if (work(k) < minElements) return null;
    const w = compileWasmKernel(k);
    return w && (allowImports || w.imports.length === 0) ? w : null;
  };
  return {
    run: (k) => pick(k)?.run ?? js.run(k),
    source: (k) => pick(k)?.source ?? js.source(k),
    inHeap: (k) => pick(k) !== null,
  };
}
