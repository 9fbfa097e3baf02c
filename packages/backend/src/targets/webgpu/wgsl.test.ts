/**
 * The WGSL renderer without a device: literals and casts with the reference semantics, the op
 * table's overrides, and the mapping of kernels onto dispatches (one invocation per output, a
 * workgroup per long row, a split full reduction, 2-D grids past 65535 workgroups, contraction
 * phases). Compiling and running the WGSL is the conformance suite's job (test/conformance).
 */
import { expect } from "chai";
import { type Tensor, np, npUtil } from "@kiln/core";
import { type Kernel } from "../../kernel.js";
import { scheduleGraph } from "../../schedule.js";
import { type AluOp } from "../../expr.js";
import { type AluRender, BASE_ALU } from "../../render/base.js";
import { WGSL_ALU as TABLE, WGSL_PRELUDE, castTo, wgslLiteral } from "./wgsl.js";
import { preludeFor } from "./wgsl-prelude.js";
import { compileMessages } from "./webgpu-programs.js";
import { renderWgslProgram } from "./wgsl-kernel.js";
import { splitK } from "./wgsl-matmul.js";
import { type WgslTuning, gridDims } from "./wgsl-module.js";

const WGSL_ALU: Record<AluOp, AluRender> = TABLE;

const SOFTWARE: WgslTuning = {
  threads: 64, groupThreads: 64, coopMin: 2048, minGroups: 8, splitGrain: 64, quadLoads: false, splitUnroll: 4, maxGroupsPerDim: 65535, matmulThreads: 64, workgroupStorage: 16384, storageBuffers: 8, matmul: [{ upTo: Number.MAX_SAFE_INTEGER, strategy: "packed", tm: 16, tn: 32 }],
};

/** The kernels of the plan computing `t` (realized leaves are inputs). */
function kernelsOf(t: Tensor): Kernel[] {
  return scheduleGraph([t.node], (n) => n.prim === "data").plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
}

describe("WGSL renderer", () => {
  it("literals: non-finite floats and -0 are run-time values, -2^31 has no literal, integral floats get a point", () => {
    expect(wgslLiteral(NaN, "float32")).to.equal("kNaN");
    expect(wgslLiteral(Infinity, "float32")).to.equal("kInf");
    expect(wgslLiteral(-Infinity, "float32")).to.equal("(-kInf)");
    expect(wgslLiteral(1e39, "float32")).to.equal("kInf"); // overflows float32
    expect(wgslLiteral(-0, "float32")).to.equal("(-rtf_(0.0))");
    expect(wgslLiteral(3, "float32")).to.equal("3.0");
    expect(wgslLiteral(0.1, "float32")).to.equal(String(Math.fround(0.1)));
    expect(wgslLiteral(-2.5, "float32")).to.equal("(-2.5)");
    expect(wgslLiteral(-(2 ** 31), "int32")).to.equal("(-2147483647 - 1)");
    expect(wgslLiteral(7, "index")).to.equal("7");
    expect(wgslLiteral(1, "bool")).to.equal("true");
  });

  it("casts follow the interpreter: float → int32 wraps (f2i_), to bool compares with zero (NaN is true)", () => {
    expect(castTo("x", "float32", "int32")).to.equal("f2i_(x)");
    expect(castTo("x", "float32", "bool")).to.equal("(x != 0.0)");
    expect(castTo("b", "bool", "float32")).to.equal("f32(b)");
    expect(castTo("i", "int32", "index")).to.equal("i");
  });

  it("the op table overrides only what differs: integer division floors, shifts saturate, max propagates NaN", () => {
    const ctx = (dt: "float32" | "int32" | "bool") => ({ dtype: dt, in: dt, param: [] as number[] });
    const d = { math: (n: string) => n };
    expect(WGSL_ALU.div(["a", "b"], ctx("int32"), d)).to.equal("idiv_(a, b)");
    expect(WGSL_ALU.div(["a", "b"], ctx("float32"), d)).to.equal("(a / b)");
    // Index division: its argument is never negative (expr.ts), so one truncating divide floors;
    // the either-sign form's select computed two divides per index division.
    expect(WGSL_ALU.idiv(["t"], { dtype: "index", in: "index", param: [49] }, d)).to.equal("(t / 49)");
    expect(WGSL_ALU.rem(["a", "b"], ctx("float32"), d)).to.equal("frem_(a, b)");
    expect(WGSL_ALU.max(["a", "b"], ctx("float32"), d)).to.equal("max_(a, b)");
    expect(WGSL_ALU.max(["a", "b"], ctx("int32"), d)).to.equal("max(a, b)");
    expect(WGSL_ALU.xor(["a", "b"], ctx("bool"), d)).to.equal("(a != b)");
    expect(WGSL_ALU.shl(["a", "b"], ctx("int32"), d)).to.contain(">= 32");
    expect(WGSL_ALU.add(["a", "b"], ctx("float32"), d)).to.equal("(a + b)"); // the C-like base
    expect(WGSL_ALU.sqrt(["x"], ctx("float32"), d)).to.equal("g_(sqrt(x), x)");
    expect(WGSL_ALU.tanh(["x"], ctx("float32"), d)).to.equal("tanh_(x)"); // not the driver's tanh: it cancels near 0
    expect(WGSL_ALU.lt(["a", "b"], ctx("bool"), d)).to.equal("(i32(a) < i32(b))"); // WGSL orders no bools
    expect(WGSL_ALU.isnan(["x"], ctx("int32"), d)).to.equal("false");
  });

  it("an elementwise kernel: one invocation per element, bindings for what it reads and writes", () => {
    const x = npUtil.fullRaw([999], 2, "float32").add(np.array([1]));
    const [k] = kernelsOf(np.exp(x).mul(3));
    const prog = renderWgslProgram(k!, SOFTWARE);
    expect(prog.dispatches).to.have.length(1);
    const d = prog.dispatches[0]!;
    expect(d.groups).to.deep.equal([Math.ceil(999 / 64), 1, 1]);
    expect(d.source).to.contain("@workgroup_size(64)").and.contain("if (t >= 999) { return; }");
    expect(d.source).to.contain("var<storage, read_write> b0: array<f32>");
    expect(d.bindings[0]).to.equal(0);
    expect(d.source).to.not.contain("workgroupBarrier");
  });

  it("an elementwise kernel with a row-major output and an innermost extent divisible by 4: four elements per invocation, one vec4 store", () => {
    const x = npUtil.fullRaw([10, 100], 2, "float32").add(np.array([1]));
    const [k] = kernelsOf(np.exp(x).mul(3));
    const d = renderWgslProgram(k!, SOFTWARE).dispatches[0]!;
    expect(d.groups).to.deep.equal([Math.ceil(250 / 64), 1, 1]);
    expect(d.source).to.contain("if (t >= 250) { return; }").and.contain("var<storage, read_write> b0: array<vec4<f32>>");
    expect(d.source.match(/let v\d+ = vq_ \* 4 \+ \d;/g)).to.have.length(4);
    expect(d.source).to.match(/b0\[x0_ \/ 4\] = s0_;/);
  });

  it("a full reduction of 2^20 elements is split: one partial per invocation (no barrier), then one workgroup adds them on the device", () => {
    const [k] = kernelsOf(np.sum(np.tanh(np.array([0.5]).add(npUtil.fullRaw([2 ** 20], 1, "float32")))));
    const prog = renderWgslProgram(k!, SOFTWARE);
    expect(prog.dispatches).to.have.length(2);
    expect(prog.scratch).to.deep.equal([{ size: 8 * 64, type: "f32" }]); // minGroups workgroups of groupThreads partials
    expect(prog.dispatches[0]!.groups).to.deep.equal([8, 1, 1]);
    const [first, second] = prog.dispatches.map((d) => d.source);
    expect(first).to.contain("var<storage, read_write> part_").and.contain("part_[o_ * 512 + i_] = a").and.not.contain("workgroupBarrier()");
    expect(first).to.not.contain("vec4"); // software tuning: scalar loads
    expect(second).to.contain("var<storage, read> part_").and.contain("workgroupBarrier()");
    expect(prog.dispatches[1]!.bindings).to.include(-1);
  });

  it("with quadLoads, a contiguous input is read as vec4 quads (the body once per lane), the n % 4 tail by invocation 0", () => {
    const [k] = kernelsOf(np.sum(np.tanh(np.array(new Float32Array(2 ** 20 + 3)).mul(np.array([0.5])))));
    const d = renderWgslProgram(k!, { ...SOFTWARE, quadLoads: true }).dispatches[0]!;
    expect(d.source).to.match(/var<storage, read> q\d+v_: array<vec4<f32>>/);
    expect(d.source).to.match(/let q(\d+)_ = q\1v_\[j_\];/);
    expect(d.source.match(/tanh_\(/g)!.length - WGSL_PRELUDE.match(/tanh_\(/g)!.length).to.equal(5); // four lanes + the tail
    expect(d.source).to.contain("if (i_ == 0) {").and.contain(`< ${2 ** 20 + 3}`);
    // The view is a second binding of the same parameter.
    const params = d.bindings.filter((b) => b >= 0);
    expect(new Set(params).size).to.be.lessThan(params.length);
    // No free binding for a view: scalar loads.
    const none = renderWgslProgram(k!, { ...SOFTWARE, quadLoads: true, storageBuffers: k!.params.length }).dispatches[0]!;
    expect(none.source).to.not.contain("vec4<f32>>");
  });

  it("without quads, the first pass takes splitUnroll elements per iteration in the plain loop's order, the rest one at a time", () => {
    const n = 2 ** 20 + 3, T = 8 * 64;
    const [k] = kernelsOf(np.sum(np.tanh(np.array(new Float32Array(n)).mul(np.array([0.5])))));
    const first = renderWgslProgram(k!, SOFTWARE).dispatches[0]!.source;
    // Four copies of the body at f_, f_ + T, f_ + 2T, f_ + 3T while the fourth exists, then a loop by T to n.
    expect(first).to.contain(`for (; f_ < ${n - 3 * T}; f_ += ${4 * T}) {`).and.contain(`for (; f_ < ${n}; f_ += ${T}) {`);
    for (let u = 1; u < 4; u++) expect(first).to.contain(`let g_ = f_ + ${u * T};`);
    const calls = (src: string) => src.match(/tanh_\(/g)!.length - WGSL_PRELUDE.match(/tanh_\(/g)!.length;
    expect(calls(first)).to.equal(5); // four copies + the remainder loop
    // splitUnroll 1 (hardware tuning without quads): the plain strided loop, the body once.
    const plain = renderWgslProgram(k!, { ...SOFTWARE, splitUnroll: 1 }).dispatches[0]!.source;
    expect(plain).to.contain(`for (var f_ = i_; f_ < ${n}; f_ += ${T}) {`).and.not.contain("g_");
    expect(calls(plain)).to.equal(1);
  });

  it("exp, expm1, tanh and sigmoid are branch-free (SIMD lanes would run both sides of a branch)", () => {
    for (const name of ["exp_", "expm1_", "tanh_", "expn_", "sigmoid_"]) {
      const body = new RegExp(`fn ${name}\\(x: f32[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(WGSL_PRELUDE)?.[1];
      expect(body, name).to.be.a("string");
      expect(body, name).to.not.match(/\bif\b|\breturn\b[^;]*;[\s\S]*\breturn\b/);
    }
  });

  it("long rows get a workgroup each (a tree of barriers); short rows one invocation each", () => {
    const [long] = kernelsOf(np.sum(np.sin(np.arange(640000, { dtype: "float32" }).reshape([64, 10000])), { axis: 1 }));
    const p1 = renderWgslProgram(long!, SOFTWARE);
    expect(p1.dispatches).to.have.length(1);
    expect(p1.dispatches[0]!.groups).to.deep.equal([64, 1, 1]);
    expect(p1.dispatches[0]!.source).to.contain("workgroupUniformLoad");
    const [short] = kernelsOf(np.sum(np.sin(np.arange(60000, { dtype: "float32" }).reshape([5000, 12])), { axis: 1 }));
    const p2 = renderWgslProgram(short!, SOFTWARE);
    expect(p2.dispatches[0]!.source).to.not.contain("workgroupBarrier");
  });

  it("more workgroups than 65535 use a 2-D grid", () => {
    expect(gridDims(70000, 65535)).to.deep.equal([65535, 2, 1]);
    expect(gridDims(65535, 65535)).to.deep.equal([65535, 1, 1]);
    const [k] = kernelsOf(np.array([1]).add(npUtil.fullRaw([65535 * 64 + 1], 1, "float32")));
    const d = renderWgslProgram(k!, SOFTWARE).dispatches[0]!;
    expect(d.groups).to.deep.equal([65535, 2, 1]);
    expect(d.source).to.contain("wid.y * 65535u");
  });

  it("a contraction: pack A, pack B, then register tiles reading the panels as vec4 with the epilogue", () => {
    const a = npUtil.fullRaw([64, 48], 1, "float32").add(np.array([1])), b = npUtil.fullRaw([48, 40], 1, "float32").add(np.array([2]));
    const kernels = kernelsOf(np.relu(np.matmul(a, b)));
    const mm = kernels.find((k) => k.name.startsWith("matmul_"))!;
    const prog = renderWgslProgram(mm, SOFTWARE);
    expect(prog.dispatches).to.have.length(3);
    // m and n multiples of 4, a row-major output: the epilogue runs per 4-column quad, one vec4 store
    expect(prog.dispatches[2]!.source).to.contain("array<vec4<f32>>").and.contain("fn epq_(").and.not.contain("fn epilogue_(");
    // each packing invocation stores a quad of its panel
    for (const d of prog.dispatches.slice(0, 2)) expect(d.source).to.contain("fn pk_(").and.match(/read_write> b\d+: array<vec4<f32>>/);
    // panels are padded to whole tiles of every batch
    for (const size of prog.paramSizes.values()) expect(size % 4).to.equal(0);
    // n = 42: the epilogue per element
    const c = npUtil.fullRaw([48, 42], 1, "float32").add(np.array([2]));
    const odd = renderWgslProgram(kernelsOf(np.relu(np.matmul(a, c))).find((k) => k.name.startsWith("matmul_"))!, SOFTWARE);
    expect(odd.dispatches[2]!.source).to.contain("fn epilogue_(").and.not.contain("fn epq_(");
  });

  it("few output tiles and a long k (a convolution's weight gradient) split k: partial tiles on many workgroups, then a finish in slice order", () => {
    // dW of a 3×3 conv 16→32 on 64×14×14 pixels: [144, 12544] @ [12544, 32].
    const a = npUtil.fullRaw([12544, 144], 1, "float32").add(np.array([1])), b = npUtil.fullRaw([12544, 32], 1, "float32").add(np.array([2]));
    const mm = kernelsOf(np.matmul(np.swapaxes(a, 0, 1), b).mul(0.5)).find((k) => k.name.startsWith("matmul_"))!;
    const prog = renderWgslProgram(mm, SOFTWARE);
    expect(prog.dispatches).to.have.length(4); // pack A, pack B, partial tiles, finish
    const [tile, finish] = [prog.dispatches[2]!, prog.dispatches[3]!];
    const groups = (d: typeof tile) => d.groups[0] * d.groups[1] * d.groups[2];
    // Unsplit, the tile phase ran on 3 workgroups (144 invocations of 8×4 tiles).
    expect(groups(tile)).to.be.at.least(SOFTWARE.minGroups);
    const S = Number(/s_ < (\d+)/.exec(finish.source)![1]), ks = Number(/k0_ = s_ \* (\d+)/.exec(tile.source)![1]);
    expect(S).to.be.greaterThan(1);
    expect(ks * (S - 1)).to.be.below(12544); // every slice holds some k
    expect(ks * S).to.be.at.least(12544); // and together all of it
    expect(tile.source).to.contain("part_").and.not.contain("fn epilogue_(");
    expect(finish.source).to.contain("fn epilogue_(").and.contain("* 0.5");
    expect(prog.scratch).to.deep.equal([{ size: S * 144 * 32, type: "f32" }]);
    // Many tiles: no split.
    const big = kernelsOf(np.matmul(npUtil.fullRaw([512, 64], 1, "float32").add(np.array([1])), npUtil.fullRaw([64, 512], 1, "float32").add(np.array([2]))));
    expect(renderWgslProgram(big.find((k) => k.name.startsWith("matmul_"))!, SOFTWARE).dispatches).to.have.length(3);
    expect(splitK(SOFTWARE, 144, 12544)).to.equal(4);
    expect(splitK(SOFTWARE, 144, 600)).to.equal(2); // at least SPLIT_K_GRAIN values of k per slice
    expect(splitK(SOFTWARE, 144, 300)).to.equal(1);
  });

  it("shared-memory tiles shrink until the staged chunks fit the device's workgroup memory", () => {
    const a = npUtil.fullRaw([256, 64], 1, "float32").add(np.array([1])), b = npUtil.fullRaw([64, 256], 1, "float32").add(np.array([2]));
    const mm = kernelsOf(np.matmul(a, b)).find((k) => k.name.startsWith("matmul_"))!;
    const staged = (t: WgslTuning) => {
      const src = renderWgslProgram(mm, t).dispatches[2]!.source;
      return [...src.matchAll(/var<workgroup> s[ab]_: array<vec4<f32>, (\d+)>/g)].reduce((n, m) => n + Number(m[1]) * 16, 0);
    };
    const shared = (workgroupStorage: number): WgslTuning =>
      ({ ...SOFTWARE, workgroupStorage, matmul: [{ upTo: Number.MAX_SAFE_INTEGER, strategy: "shared", tm: 32, tn: 32 }] });
    expect(staged(shared(1 << 20))).to.equal((256 + 256) * 16 * 4); // 32×8 rows and columns, 16 k per chunk
    expect(staged(shared(16384))).to.be.at.most(16384).and.greaterThan(0);
    expect(staged(shared(4096))).to.be.at.most(4096).and.greaterThan(0);
  });

  it("operations on constants only are kept out of WGSL's constant evaluation (1 / 0 is Infinity, not an error)", () => {
    const [k] = kernelsOf(np.exp(npUtil.fullRaw([2], 100, "float32")));
    expect(renderWgslProgram(k!, SOFTWARE).dispatches[0]!.source).to.contain("rtf_(");
    // arithmetic on two constants folds at lowering: 1 / 0 is the infinity constant, no division left
    const [d] = kernelsOf(np.divide(1, npUtil.fullRaw([2], 0, "float32")));
    const src = renderWgslProgram(d!, SOFTWARE).dispatches[0]!.source;
    expect(src).to.contain("kInf").and.not.match(/ \/ /);
  });

  it("every op, for every input dtype, calls only WGSL built-ins and functions the prelude defines (no inherited C spelling)", () => {
    const defined = new Set([...WGSL_PRELUDE.matchAll(/\bfn (\w+)\(/g)].map((m) => m[1]!));
    for (const op of Object.keys(WGSL_ALU) as AluOp[]) {
      for (const dt of ["float32", "int32", "bool", "index"] as const) {
        const text = WGSL_ALU[op](["x", "y", "z"], { dtype: dt, in: dt, param: [2, 3] }, { math: (n) => n });
        for (const m of text.matchAll(/\b([A-Za-z_]\w*)\s*(<[^>]*>)?\(/g)) {
          expect(WGSL_BUILTINS.has(m[1]!) || defined.has(m[1]!), `${op}(${dt}) calls ${m[1]}, which WGSL and the prelude lack: ${text}`).to.equal(true);
        }
      }
    }
  });

  it("a module carries only the prelude functions it calls, and everything those call", () => {
    const source = (t: Tensor) => renderWgslProgram(kernelsOf(t)[0]!, SOFTWARE).dispatches[0]!.source;
    const fns = (src: string) => new Set([...src.matchAll(/^fn (\w+)\(/gm)].map((m) => m[1]!));
    const x = np.array(new Float32Array(8).fill(0.5)); // an input: not folded into constants (rtf_)
    const add = fns(source(x.add(1)));
    expect([...add]).to.deep.equal(["main"]); // was the whole prelude (~60 functions, ~25,000 characters)
    const exp = fns(source(np.exp(x)));
    for (const f of ["exp_", "expn_", "isnan_"]) expect(exp.has(f), f).to.equal(true);
    expect(exp.has("lgamma_") || exp.has("sin_")).to.equal(false);
    // Closed under calls: every prelude function's own module defines each prelude function it calls.
    const defined = [...WGSL_PRELUDE.matchAll(/^fn (\w+)\(/gm)].map((m) => m[1]!);
    for (const f of defined) {
      const text = preludeFor(`${f}(x)`);
      for (const m of text.matchAll(/\b(\w+_)\(/g)) expect(defined.includes(m[1]!) ? fns(text).has(m[1]!) : true, `${f} calls ${m[1]}`).to.equal(true);
    }
    expect(preludeFor(WGSL_PRELUDE).length).to.be.within(WGSL_PRELUDE.length - 10, WGSL_PRELUDE.length); // nothing lost in the cut
  });

  it("the base table holds operators only: a function name is never inherited", () => {
    for (const [op, r] of Object.entries(BASE_ALU) as [string, AluRender][]) {
      const text = r(["x", "y", "z"], { dtype: "float32", in: "float32", param: [2, 3] }, { math: (n) => `NAMED_${n}` });
      expect(text, op).not.to.contain("NAMED_");
    }
  });

  it("a compile error names the kernel, the dispatch, the op and the WGSL line", () => {
    const source = ["fn main() {", "  let t0 = b0[gid];", "  let t1 = cbrt(t0); // op exp", "}"].join("\n");
    const msg = compileMessages("elementwise_exp_1f2e", 0, 1, source, [
      { type: "error", lineNum: 3, linePos: 12, message: "unresolved call target 'cbrt'" } as GPUCompilationMessage,
      { type: "warning", lineNum: 2, linePos: 1, message: "unused" } as GPUCompilationMessage,
    ]);
    expect(msg).to.equal("elementwise_exp_1f2e, dispatch 1 of 1: WGSL line 3:12 (op exp): unresolved call target 'cbrt'\n  let t1 = cbrt(t0); // op exp");
  });

  it("each ALU line of a rendered kernel carries its op", () => {
    const [k] = kernelsOf(np.tanh(np.exp(np.array([1, 2, 3]))));
    const src = renderWgslProgram(k!, SOFTWARE).dispatches[0]!.source;
    expect(src).to.match(/exp_\(.*\/\/ op exp$/m);
    expect(src).to.match(/tanh_\(.*\/\/ op tanh$/m);
  });
});

/** WGSL's built-in functions and value constructors (WGSL §17, §16) a table entry may call. */
const WGSL_BUILTINS: ReadonlySet<string> = new Set([
  "abs", "acos", "acosh", "all", "any", "arrayLength", "asin", "asinh", "atan", "atan2", "atanh", "bitcast", "ceil", "clamp", "cos", "cosh",
  "countLeadingZeros", "countOneBits", "countTrailingZeros", "cross", "degrees", "determinant", "distance", "dot", "exp", "exp2", "extractBits",
  "faceForward", "firstLeadingBit", "firstTrailingBit", "floor", "fma", "fract", "frexp", "insertBits", "inverseSqrt", "ldexp", "length", "log",
  "log2", "max", "min", "mix", "modf", "normalize", "pow", "quantizeToF16", "radians", "reflect", "refract", "reverseBits", "round", "saturate",
  "select", "sign", "sin", "sinh", "smoothstep", "sqrt", "step", "tan", "tanh", "transpose", "trunc",
  "f32", "i32", "u32", "bool", "vec2", "vec3", "vec4",
]);
