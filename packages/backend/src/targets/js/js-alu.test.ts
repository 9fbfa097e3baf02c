/**
 * The JS target's ALU table: every op renders to JavaScript that calls only functions that exist
 * (Math's, or the helpers every kernel destructures), and a kernel that does not parse is a
 * KernelCompileError naming the kernel, the op and the line.
 */
import { expect } from "chai";
import { KernelCompileError, np } from "@kiln/core";
import { type AluOp, type ExprDType } from "../../expr.js";
import { scheduleGraph } from "../../schedule.js";
import { JS, JS_ALU } from "./js-alu.js";
import { VECMATH_JS, VECMATH_OPS } from "../wasm/wasm-vecmath.js";
import { JS_HELPERS, compileJs, jsCompileError, renderJs } from "./js.js";

const IN_DTYPES: readonly ExprDType[] = ["float32", "float64", "int32", "bool", "index"];

describe("JS ALU table", () => {
  it("every op, for every input dtype, calls only Math functions and the kernels' helpers", () => {
    const helpers = new Set(Object.keys(JS_HELPERS));
    for (const op of Object.keys(JS_ALU) as AluOp[]) {
      for (const dt of IN_DTYPES) {
        const text = JS_ALU[op](["x", "y", "z"], { dtype: dt, in: dt, param: [2, 3] }, JS);
        for (const m of text.matchAll(/(Math\.)?\b([A-Za-z_]\w*)\s*\(/g)) {
          if (m[1]) expect(typeof (Math as unknown as Record<string, unknown>)[m[2]!], `${op}(${dt}): ${text}`).to.equal("function");
          else expect(helpers.has(m[2]!), `${op}(${dt}) calls ${m[2]}, which is no JS helper: ${text}`).to.equal(true);
        }
      }
    }
  });

  it("uint32 and, or, xor, neg and shifts give unsigned values inside an expression (the wrap binds the whole op)", () => {
    // `a | b >>> 0` would parse as `a | (b >>> 0)`: a signed result that a fused comparison misreads.
    const a = 0xffffffff, b = 0x80000000;
    const want: Partial<Record<AluOp, number>> = { and: b, or: a, xor: 0x7fffffff, shl: b, shrl: 1 };
    for (const [op, v] of Object.entries(want) as [AluOp, number][]) {
      const y = op === "shl" || op === "shrl" ? "31" : "y";
      const text = JS_ALU[op](["x", y], { dtype: "uint32", in: "uint32", param: [] }, JS);
      const f = new Function("x", "y", `return ${text} >= 0 ? ${text} : -1;`) as (x: number, y: number) => number;
      expect(f(a, b), `${op}: ${text}`).to.equal(v);
    }
    const neg = JS_ALU.neg(["x"], { dtype: "uint32", in: "uint32", param: [] });
    expect((new Function("x", `return ${neg};`) as (x: number) => number)(1)).to.equal(0xffffffff);
  });

  it("a kernel that does not parse is a KernelCompileError naming the kernel, the op and the line", () => {
    const x = np.array([1, 2, 3]);
    const k = scheduleGraph([np.exp(x).node], (n) => n.prim === "data").plan.steps[0]!.kernel!;
    const good = renderJs(k);
    expect(good).to.match(/f32exp\(.*\/\/ op exp$/m);
    // A deliberately broken spelling of exp (what a wrong table entry renders).
    const broken = good.replace(/f32exp\(/, "f32exp((");
    const line = broken.split("\n").findIndex((l) => l.includes("f32exp((")) + 1;
    expect(() => compileJs(broken, k.name)).to.throw(KernelCompileError, new RegExp(`kernel ${k.name}: JS line ${line} \\(op exp\\): .*\\n\\s+const \\w+ = .*f32exp\\(\\(`));
    expect(() => compileJs(good, k.name)).not.to.throw();
  });

  it("float32 (and float16) vector-math ops call the wasm functions' scalar twins; float64 keeps Math's", () => {
    for (const fn of VECMATH_OPS) {
      const args = fn === "pow" ? ["x", "y"] : ["x"];
      for (const dt of ["float32", "float16"] as const) expect(JS_ALU[fn](args, { dtype: dt, in: dt, param: [] }, JS)).to.equal(`f32${fn}(${args.join(", ")})`);
      expect(JS_ALU[fn](args, { dtype: "float64", in: "float64", param: [] }, JS)).to.not.include("f32");
      expect(JS_HELPERS[`f32${fn}`], fn).to.equal(VECMATH_JS[fn]);
    }
    // A kernel's source: float32 tanh is the twin; float64 tanh is Math.tanh.
    const f32 = renderJs(scheduleGraph([np.tanh(np.array([1, 2])).node], (n) => n.prim === "data").plan.steps[0]!.kernel!);
    expect(f32).to.include("f32tanh(").and.not.include("Math.tanh(");
    const f64 = renderJs(scheduleGraph([np.tanh(np.array([1, 2], { dtype: "float64" })).node], (n) => n.prim === "data").plan.steps[0]!.kernel!);
    expect(f64).to.include("Math.tanh(").and.not.include("f32tanh(");
  });

  it("the formatter names the line without an op when the failing line has none", () => {
    const err = jsCompileError("k1", `"use strict";\nconst a = (1;\nreturn 1;`, new SyntaxError("Unexpected token ';'"));
    expect(err.message).to.equal("kernel k1: JS line 2: Unexpected token ';'\n  const a = (1;");
  });
});
