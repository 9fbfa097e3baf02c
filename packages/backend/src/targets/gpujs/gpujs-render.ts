/**
 * A kernel → the source of one GPU.js kernel function, or the reason it runs on the host.
 *
 * GPU.js runs one function per output element (`this.thread.x`) that *returns* the element, over
 * float32 numbers. The kernel IR's shape for that is a nest of `parallel` loops covering the
 * output, whose innermost body ends in the kernel's one store, at the nest's row-major position —
 * elementwise kernels, reductions (their serial loops have constant bounds: shapes are static) and
 * gathers (index arithmetic). The thread index is decomposed into the parallel loop variables and
 * the nest's statements run in order; the store becomes the `return`. A long (blocked) reduction
 * runs in two kernels, its chunks in parallel (gpujs-split.ts).
 *
 * Contraction kernels (scratch panels and register tiles) take gpujs-contraction.ts's dot-loop form,
 * or on WebGL (`tiled`) gpujs-tiled.ts's form where the operands allow it.
 *
 * What runs on the host instead (the exactness rule, docs/backends.md "What runs where"): every
 * kernel reading or writing int32, float64 or float16, or computing int32 values (float32 is exact
 * for integers below 2^24 only, and int32 arithmetic wraps); any op whose `GPUJS_ALU` rule is
 * host-only (bitwise ops, special functions, NumPy's float divmod); buffers of 2^24 elements or more
 * (index arithmetic must be exact in float32); empty inputs; and any kernel whose structure is not
 * one of the two forms (several outputs, stores elsewhere than the thread's element).
 */
import { type Kernel, type Stmt } from "../../kernel.js";
import { extent } from "../../render/contraction.js";
import { type HostOnly } from "./gpujs-alu.js";
import { renderContractionGpujs } from "./gpujs-contraction.js";
import { PARTIALS_ARG, splitReduction } from "./gpujs-split.js";
import { type BlockRows } from "./gpujs-tiled.js";
import {
  type GpujsKernelSource, Refused, checkBuffers, checkOperand, checkStmts, checkStore, letsOf, operand, refuse, renderStmts, rowMajorStrides,
  threadVars,
} from "./gpujs-stmts.js";

export { GPUJS_MAX_ELEMENTS, type GpujsKernelSource } from "./gpujs-stmts.js";

/** How to render: `tiled` contractions (WebGL: GLSL native functions over RGBA texels; the CPU modes cannot run them). */
export interface GpujsRenderOptions {
  readonly tiled?: boolean;
  /** Rows of the tiled form's output blocks: one render target each, 8 where the context has 8 draw buffers (default 4). */
  readonly blockRows?: BlockRows;
  /** Block loops fetch at direct texel coordinates where the layouts allow (default true; false: every fetch from its flat index). */
  readonly directFetch?: boolean;
}

/**
 * The GPU.js kernel of `k`, or why it runs on the host.
 * @example
 * const r = renderGpujs(kernel);
 * if (!("host" in r)) r.source; // "function elementwise_exp_…(b1) {\n  const v0 = this.thread.x; …"
 */
export function renderGpujs(k: Kernel, opts: GpujsRenderOptions = {}): GpujsKernelSource | HostOnly {
  try {
    return k.params.some((p) => p.role === "scratch") ? renderContractionGpujs(k, opts) : render(k);
  } catch (e) {
    if (e instanceof Refused) return { host: e.message };
    throw e;
  }
}

function render(k: Kernel): GpujsKernelSource {
  const [out, ...rest] = k.params;
  if (!out || out.role !== "out" || rest.some((p) => p.role !== "in")) refuse("not one output and inputs (contraction panels or several outputs)");
  checkBuffers(k.params);
  const { vars, extents, body } = parallelNest(k.body);
  const size = extents.reduce((a, b) => a * b, 1);
  if (size !== out.size) refuse("the parallel loops do not cover the output");
  const store = body[body.length - 1];
  if (!store || store.s !== "store" || store.buf !== 0) refuse("the nest does not end in its store");
  const defs = letsOf(k.body);
  checkStmts(body.slice(0, -1), defs);
  checkOperand(store.value);
  checkStore(store, defs, rowMajorStrides(vars, extents));
  const inputs = rest.map((_, i) => i + 1);
  const fn = (name: string, args: readonly string[], lines: readonly string[]) => [`function ${name}(${args.join(", ")}) {`, ...lines, `}`].join("\n");
  const args = inputs.map((i) => `b${i}`);
  const split = splitReduction(vars, extents, body.slice(0, -1), defs, operand(store.value));
  if (split) {
    const partials = { name: `${k.name}_partials`, source: fn(`${k.name}_partials`, args, split.partials), size: size * split.chunks, inputs, lanes: 1 } as const;
    // The combining kernel takes only the inputs it reads: GPU.js uploads every host array it is passed.
    const read = inputs.filter((i) => split.finish.some((line) => new RegExp(`(?<!\\w)b${i}\\[`).test(line)));
    return { name: k.name, source: fn(k.name, [...read.map((i) => `b${i}`), PARTIALS_ARG], split.finish), size, inputs: read, lanes: 1, partials };
  }
  const lines: string[] = [];
  lines.push(...threadVars(vars, extents));
  renderStmts(body.slice(0, -1), defs, "  ", lines);
  lines.push(`  return ${operand(store.value)};`);
  return { name: k.name, source: fn(k.name, args, lines), size, inputs, lanes: 1 };
}

/** The parallel loops from the root inward (each the last statement of its level) and the statements one thread runs. */
function parallelNest(root: readonly Stmt[]): { vars: string[]; extents: number[]; body: Stmt[] } {
  const vars: string[] = [], extents: number[] = [], body: Stmt[] = [];
  let level = root;
  for (;;) {
    const last = level[level.length - 1];
    if (last?.s === "loop" && last.kind === "parallel") {
      const n = extent(last);
      if (n === null) refuse("a parallel loop not over [0, n)");
      body.push(...level.slice(0, -1));
      vars.push(last.var);
      extents.push(n);
      level = last.body;
      continue;
    }
    body.push(...level);
    return { vars, extents, body };
  }
}
