/**
 * A kernel → the JavaScript source of one function over typed arrays, and its compilation. The
 * statements render in js-stmts.ts; float32 contractions take the WebAssembly path (js-matmul.ts).
 */
import { KernelCompileError } from "@kiln/core";
import { type Kernel } from "../../kernel.js";
import { opOfLine } from "../../render/base.js";
import { bits16Buffers, renderStmts } from "./js-stmts.js";
import { renderContractionJs } from "./js-matmul.js";
import { HELPER_BINDINGS, JS_HELPERS } from "./js-helpers.js";

export { JS_HELPERS } from "./js-helpers.js";

/**
 * The JavaScript source of a kernel: a factory taking the helpers, returning the kernel function.
 * @example
 * const src = renderJs(kernel); // "\"use strict\"; … return function elementwise_exp_…(b0, b1) { … }"
 */
export function renderJs(k: Kernel): string {
  const simd = renderContractionJs(k);
  if (simd) return simd;
  const out: string[] = [];
  renderStmts(k.body, new Map(), "  ", out, bits16Buffers(k));
  const params = k.params.map((_, i) => `b${i}`).join(", ");
  return [
    `"use strict";`,
    HELPER_BINDINGS,
    `return function ${k.name}(${params}) {`,
    ...out,
    `};`,
  ].join("\n");
}

/**
 * Compiles rendered source into a callable kernel. A source that does not parse (a table spelling
 * that is not JavaScript) is a KernelCompileError naming the kernel, the op and the line.
 * @example
 * compileJs(renderJs(kernel), kernel.name)(out, x); // runs the kernel
 */
export function compileJs(source: string, name = "kernel"): (...bufs: unknown[]) => void {
  let factory: (helpers: typeof JS_HELPERS) => (...bufs: unknown[]) => void;
  try {
    factory = new Function("helpers", source) as typeof factory;
  } catch (e) {
    if (e instanceof SyntaxError) throw jsCompileError(name, source, e);
    throw e;
  }
  return factory(JS_HELPERS);
}

/**
 * The KernelCompileError for a JS kernel that does not parse. V8's SyntaxError has no line
 * number, so the line is found by parsing the op lines (then every statement line) on their own:
 * each is a complete statement.
 * @example
 * jsCompileError("elementwise_cbrt_1a", "…\n  const t1 = cbrt(t0; // op cbrt\n…", err).message
 * // "kernel elementwise_cbrt_1a: JS line 5 (op cbrt): missing ) after argument list\n  const t1 = cbrt(t0; // op cbrt"
 */
export function jsCompileError(name: string, source: string, err: SyntaxError): KernelCompileError {
  const lines = source.split("\n");
  const parses = (line: string) => {
    try {
      new Function(line);
      return true;
    } catch {
      return false;
    }
  };
  const candidates = [...lines.keys()].filter((i) => opOfLine(lines[i]) !== null);
  const at = candidates.find((i) => !parses(lines[i]!)) ?? [...lines.keys()].find((i) => /;\s*(\/\/.*)?$/.test(lines[i]!) && !parses(lines[i]!));
  if (at === undefined) return new KernelCompileError(`kernel ${name}: the JS kernel does not compile: ${err.message}`);
  const op = opOfLine(lines[at]);
  return new KernelCompileError(`kernel ${name}: JS line ${at + 1}${op ? ` (op ${op})` : ""}: ${err.message}\n  ${lines[at]!.trim()}`);
}
