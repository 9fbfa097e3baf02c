/**
 * Library kernels on WGSL: the primitives the kernel IR does not express (host/library.ts has
 * their JS versions) written directly as compute shaders, so a training step that takes an
 * argmax, a cumulative sum or a scatter (the gradient of every gather / embedding lookup) stays
 * on the device instead of reading its inputs back.
 *
 * Each invocation owns one (outer, inner) line of the operation's axis and walks it serially:
 *  - argmax/argmin: the first extreme along the axis, the first NaN winning (as NumPy);
 *  - cumsum: a running sum along the axis (forward or reversed);
 *  - scatter/scatterAdd: the line is copied from x, then every index in order updates it
 *    (out-of-range ones dropped) — an invocation owns every output it writes, so repeated indices
 *    accumulate (or the last one wins) exactly as on the CPU, without atomics.
 *
 * The factorizations solve, cholesky and the determinants are in wgsl-linalg.ts; the others (svd,
 * eigh, qr, lu) and control flow stay on the host.
 */
import { type DType, type PrimParams, sizeOf } from "@kiln/core";
import { type LibrarySpec } from "../../schedule.js";
import { accType } from "./wgsl.js";
import { type WgslProgram, type WgslTuning, gridDims, libraryWriter, wgslModule } from "./wgsl-module.js";
import { LOOP_BUDGET, LOOP_LIMIT } from "./wgsl-loops.js";
import { WGSL_LINALG, renderLinalg } from "./wgsl-linalg.js";

/** Library kernels with a WGSL version. */
export const WGSL_LIBRARY: ReadonlySet<string> = new Set(["argmax", "argmin", "cumsum", "scatter", "scatterAdd", ...WGSL_LINALG]);

/** Splits `shape` around `axis` into (outer, len, inner) extents. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/**
 * One dispatch of `lines` over `total` invocations; binding 0 is the output, then the inputs.
 * `trips`: loop iterations of one invocation — past the loop budget of software drivers
 * (wgsl-kernel.ts's LOOP_BUDGET) the step is refused and runs on the host.
 */
function program(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning, total: number, trips: number, lines: readonly string[]): WgslProgram {
  if (trips > LOOP_BUDGET) throw new Error(`library kernel ${spec.name}: ${trips} loop iterations per invocation exceed the ${LOOP_LIMIT}-iteration budget of software drivers`);
  if (total === 0) return { dispatches: [], scratch: [], paramSizes: new Map() };
  const w = libraryWriter(spec, inDtypes);
  const W = t.threads;
  const body = [`  let t_ = gid * ${W} + lid;`, `  if (t_ >= ${total}) { return; }`, ...lines.map((l) => `  ${l}`)];
  const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
  const { source, bindings } = wgslModule(w, body, W, dims[0]);
  return { dispatches: [{ source, bindings, groups: dims }], scratch: [], paramSizes: new Map() };
}

function argReduce(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning, better: ">" | "<"): WgslProgram {
  const { axis } = spec.params as PrimParams["argmax"];
  const [outer, len, inner] = around(spec.inShapes[0]!, axis);
  const float = inDtypes[0] === "float32" || inDtypes[0] === "float16" || inDtypes[0] === "bfloat16";
  return program(spec, inDtypes, t, outer * inner, len, [
    `let base = (t_ / ${inner}) * ${len * inner} + t_ % ${inner};`,
    `var best = b1[base];`,
    `var at = 0;`,
    `for (var j = 1; j < ${len}; j++) {`,
    ...(float ? [`  if (isnan_(best)) { break; }`] : []),
    `  let v = b1[base + j * ${inner}];`,
    `  if (${float ? "isnan_(v) || " : ""}v ${better} best) { best = v; at = j; }`,
    `}`,
    `b0[t_] = at;`,
  ]);
}

function cumsum(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning): WgslProgram {
  const { axis, reverse } = spec.params as PrimParams["cumsum"];
  const [outer, len, inner] = around(spec.outShape, axis);
  const ty = accType(spec.dtype);
  return program(spec, inDtypes, t, outer * inner, len, [
    `let base = (t_ / ${inner}) * ${len * inner} + t_ % ${inner};`,
    // -0 is the additive identity (a leading -0 stays -0, as NumPy and the interpreter).
    `var acc: ${ty} = ${ty === "f32" ? "-0.0" : "0"};`,
    `for (var j = 0; j < ${len}; j++) {`,
    `  let at = base + ${reverse ? `(${len - 1} - j)` : "j"} * ${inner};`,
    `  acc = acc + ${ty}(b1[at]);`,
    `  b0[at] = acc${spec.dtype === "uint8" ? " & 255u" : ""};`,
    `}`,
  ]);
}

function scatter(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning, add: boolean): WgslProgram {
  const { axis } = spec.params as PrimParams["scatter"];
  const [outer, len, inner] = around(spec.outShape, axis);
  const nIdx = sizeOf(spec.inShapes[1]!);
  return program(spec, inDtypes, t, outer * inner, len + nIdx, [
    `let o = t_ / ${inner};`,
    `let i = t_ % ${inner};`,
    `for (var p = 0; p < ${len}; p++) { b0[(o * ${len} + p) * ${inner} + i] = b1[(o * ${len} + p) * ${inner} + i]; }`,
    `for (var j = 0; j < ${nIdx}; j++) {`,
    `  let pos = b2[j];`,
    // Out-of-range updates are dropped, as in JAX.
    `  if (pos < 0 || pos >= ${len}) { continue; }`,
    `  let dst = (o * ${len} + pos) * ${inner} + i;`,
    // A uint8 sum (in a u32 word) wraps to 8 bits.
    `  b0[dst] = ${add && spec.dtype === "uint8" ? `(b0[dst] + b3[(o * ${nIdx} + j) * ${inner} + i]) & 255u` : `${add ? "b0[dst] + " : ""}b3[(o * ${nIdx} + j) * ${inner} + i]`};`,
    `}`,
  ]);
}

/**
 * The WGSL program of a library step, or null when it runs on the host (sort, fft, the other
 * factorizations, control flow). `inDtypes`: the dtypes of its input buffers.
 * @example
 * renderLibrary({ name: "argmax", params: { axis: 1 }, inShapes: [[8, 10]], outShape: [8], dtype: "int32" }, ["float32"], tuning)
 *   ?.dispatches.length; // 1: one invocation per row
 */
export function renderLibrary(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning): WgslProgram | null {
  switch (spec.name) {
    case "argmax": return argReduce(spec, inDtypes, t, ">");
    case "argmin": return argReduce(spec, inDtypes, t, "<");
    case "cumsum": return cumsum(spec, inDtypes, t);
    case "scatter": return scatter(spec, inDtypes, t, false);
    case "scatterAdd": return scatter(spec, inDtypes, t, true);
    default: return renderLinalg(spec, inDtypes, t);
  }
}
