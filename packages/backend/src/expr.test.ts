/** Index arithmetic of the expression builder: what movement ops compose into. */
import { expect } from "chai";
import { type Expr, ExprBuilder, divModOn, walkExprs } from "./expr.js";
import { mergeLoops } from "./lower.js";

describe("backend: index expressions", () => {
  it("a reshape round trip simplifies back to the loop variables", () => {
    const b = new ExprBuilder();
    const i = b.var(4), j = b.var(6);
    const linear = b.add(b.scale(i, 6), j);
    expect(b.idiv(linear, 6)).to.equal(i);
    expect(b.imod(linear, 6)).to.equal(j);
    expect(b.imod(b.idiv(linear, 6), 4)).to.equal(i);
  });

  it("divides a linear index by a multiple of one of its strides through that stride (im2col's delinearization)", () => {
    // p·196 + q with q < 196 is a [P, 196] linear index: divided by 196·9 it is p / 9, modulo
    // 196·9 it is (p mod 9)·196 + q — no divide left on q, none on the sum.
    const b = new ExprBuilder();
    const p = b.var(144), q = b.var(196);
    const linear = b.add(b.scale(p, 196), q);
    expect(b.idiv(linear, 196 * 9)).to.equal(b.idiv(p, 9));
    expect(b.imod(linear, 196 * 9)).to.equal(b.add(b.scale(b.imod(p, 9), 196), q));
    expect(divModOn([b.idiv(linear, 196 * 9), b.imod(linear, 196 * 9)], q)).to.equal(0);
    // When the low part can reach the stride, nothing is factored (q may carry into p).
    const wide = b.add(b.scale(p, 196), b.var(200));
    expect(divModOn([b.idiv(wide, 196 * 9)], p)).to.equal(1);
  });

  it("(f / c)·c + f % c folds back to f", () => {
    const b = new ExprBuilder();
    const f = b.var(24);
    const rebuilt = b.add(b.scale(b.idiv(f, 6), 6), b.imod(f, 6));
    expect(rebuilt).to.equal(f);
    const scaled = b.add(b.scale(b.idiv(f, 6), 12), b.scale(b.imod(f, 6), 2));
    expect(scaled).to.equal(b.scale(f, 2));
  });

  it("keeps a divide that does not cancel, and pulls multiples of the divisor out of it", () => {
    const b = new ExprBuilder();
    const i = b.var(4), j = b.var(6);
    const e = b.idiv(b.add(b.scale(i, 8), j), 4); // 2i + j/4
    expect(e.op).to.equal("sum");
    expect(divModOn([e], j)).to.equal(1);
    expect(divModOn([e], i)).to.equal(0);
    expect(b.idiv(b.idiv(j, 2), 3)).to.equal(b.idiv(j, 6));
  });

  it("ranges decide comparisons and clamps at build time", () => {
    const b = new ExprBuilder();
    const i = b.var(5);
    expect(b.alu("lt", [i, b.int(5)], "bool")).to.deep.include({ op: "const", value: 1 });
    expect(b.alu("lt", [i, b.int(4)], "bool").op).to.equal("alu");
    expect(b.clamp(i, 0, 4)).to.equal(i);
    expect(b.clamp(b.addConst(i, -1), 0, 4)).to.deep.include({ op: "alu", alu: "clamp", lo: 0, hi: 4 });
  });

  it("a clamp to one value, or of a range wholly past one bound, is that constant (one index for every pad offset)", () => {
    // The transposes of a 2-wide window's unit slices read the cotangent at clamp(a - k, 0, 0) for
    // a in [0, 2): folded, both offsets read it at the same index, and it is computed once.
    const b = new ExprBuilder();
    const a = b.var(2);
    expect(b.clamp(a, 0, 0)).to.equal(b.int(0));
    expect(b.clamp(b.addConst(a, -1), 0, 0)).to.equal(b.clamp(a, 0, 0));
    expect(b.clamp(b.addConst(a, 5), 0, 3)).to.equal(b.int(3));
    expect(b.clamp(b.addConst(a, -5), 0, 3)).to.equal(b.int(0));
  });

  it("interns equal expressions and never shares loop variables", () => {
    const b = new ExprBuilder();
    const i = b.var(3);
    expect(b.add(i, b.int(2))).to.equal(b.addConst(i, 2));
    expect(b.var(3)).not.to.equal(i);
  });

  it("merges adjacent loops only where every access stays affine", () => {
    const b = new ExprBuilder();
    const rowMajor = mergeLoops(b, [40, 60], (idx) => b.load(0, b.dot(idx, [60, 1]), "float32"));
    expect(rowMajor.vars.map((v) => v.extent)).to.deep.equal([2400]);
    const transposed = mergeLoops(b, [40, 60], (idx) => b.load(0, b.dot(idx, [1, 40]), "float32"));
    expect(transposed.vars.map((v) => v.extent)).to.deep.equal([40, 60]);
    // Strides (40, 800, 1): merging (1, 2) needs stride(1) = 40 and (0, 1) needs stride(0) = 24000.
    const crossed = mergeLoops(b, [20, 30, 40], (idx) => b.load(0, b.dot(idx, [40, 800, 1]), "float32"));
    expect(crossed.vars.map((v) => v.extent)).to.deep.equal([20, 30, 40]);
    // [a, b, c] where axes 1 and 2 are contiguous but axis 0 is not: merges (1, 2) only.
    const partly = mergeLoops(b, [20, 30, 40], (idx) => b.load(0, b.dot(idx, [1, 20 * 40, 20]), "float32"));
    expect(partly.vars.map((v) => v.extent)).to.deep.equal([20, 1200]);
    // Tiny nests are not worth a trial: one variable per axis.
    expect(mergeLoops(b, [4, 6], (idx) => b.load(0, b.dot(idx, [6, 1]), "float32")).vars.length).to.equal(2);
  });

  it("never emits a divide or modulo of a negative index (renderers' % truncates toward zero)", () => {
    const b = new ExprBuilder();
    const i = b.var(12);
    const flipped = b.addConst(b.scale(i, -1), 11);
    const axes = [6, 3, 1].map((st, e) => b.imod(b.idiv(flipped, st), [2, 2, 3][e]!));
    const index = b.dot(axes, [6, 3, 1]);
    walkExprs([index], (e) => {
      if (e.op === "alu" && (e.alu === "idiv" || e.alu === "imod")) expect(e.args[0]!.lo, `${e.alu} argument`).to.be.at.least(0);
    });
    // Quotient and remainder shifted by a multiple of the divisor still mean floor and mod.
    const eval_ = (e: Expr, v: number): number =>
      e.op === "const" ? e.value
      : e.op === "var" ? v
      : e.op === "sum" ? e.terms.reduce((s, [t, k]) => s + k * eval_(t, v), e.offset)
      : e.op === "alu" && e.alu === "idiv" ? Math.trunc(eval_(e.args[0]!, v) / e.param[0]!)
      : e.op === "alu" && e.alu === "imod" ? eval_(e.args[0]!, v) % e.param[0]!
      : NaN;
    for (let v = 0; v < 12; v++) expect(eval_(b.idiv(flipped, 6), v)).to.equal(Math.floor((11 - v) / 6));
    for (let v = 0; v < 12; v++) expect(eval_(b.imod(b.idiv(flipped, 3), 2), v)).to.equal(Math.floor((11 - v) / 3) % 2);
    expect(Array.from({ length: 12 }, (_, v) => eval_(index, v))).to.deep.equal(Array.from({ length: 12 }, (_, v) => 11 - v));
  });

  it("a modulo of an unbounded index is x - c·floor(x / c) (no multiple of c can lift it)", () => {
    const b = new ExprBuilder();
    const data = b.alu("cast", [b.load(0, b.var(3), "float32")], "index");
    expect(data.lo).to.equal(-Infinity);
    const m = b.imod(data, 4);
    expect(m.op).to.equal("sum");
    const parts = (m as Extract<Expr, { op: "sum" }>).terms.map(([t, k]) => [t.op === "alu" ? t.alu : t.op, k]);
    expect(parts).to.deep.include.members([["cast", 1], ["idiv", -4]]);
  });

  it("float arithmetic and max/min on two constants fold to the constant (IEEE values, float32 rounding, zero signs)", () => {
    const b = new ExprBuilder();
    const c = (v: number) => b.const(v, "float32");
    const folded = (e: ReturnType<ExprBuilder["alu"]>) => (e.op === "const" ? e.value : "not folded");
    expect(folded(b.alu("div", [c(0), b.alu("max", [b.alu("sub", [c(0), c(1)], "float32"), c(0)], "float32")], "float32"))).to.be.NaN;
    expect(folded(b.alu("div", [c(1), c(0)], "float32"))).to.equal(Infinity);
    expect(folded(b.alu("add", [c(0.1), c(0.2)], "float32"))).to.equal(Math.fround(0.1 + 0.2));
    expect(Object.is(folded(b.alu("max", [c(-0), c(0)], "float32")), 0)).to.equal(true);
    expect(Object.is(folded(b.alu("min", [c(0), c(-0)], "float32")), -0)).to.equal(true);
    expect(folded(b.alu("max", [c(NaN), c(1)], "float32"))).to.be.NaN;
    // integers keep their operation (wrapping is the renderer's)
    expect(b.alu("add", [b.const(2147483647, "int32"), b.const(1, "int32")], "int32").op).to.equal("alu");
  });
});
