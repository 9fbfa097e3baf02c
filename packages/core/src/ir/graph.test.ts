import { expect } from "chai";
import {
  np, makeGraph, printGraph, makeNode, constNode, optimizeGraph, eliminateCommonSubexpressions, eliminateDeadCode,
  interpret, interning, ShapeError, DTypeError, Tensor, type Node,
} from "../index.js";

const placeholder = (label: string, shape: number[], dtype: "float32" | "int32" = "float32"): Node =>
  makeNode("input", [], { label }, { shape, dtype });

describe("graph IR", () => {
  it("prints a small program in jaxpr-like form", () => {
    const a = placeholder("x", [3]);
    const b = placeholder("y", [3]);
    const m = makeNode("mul", [a, b], {});
    const two = makeNode("broadcast", [constNode(2, "float32")], { shape: [3], dims: [] });
    const s = makeNode("add", [m, two], {});
    const r = makeNode("reduceSum", [s], { axes: [0] });
    const text = printGraph(makeGraph([a, b], [r, m]));
    expect(text).to.equal(
      [
        "{ lambda ; a:f32[3] b:f32[3]. let",
        "    c:f32[3] = mul a b",
        "    d:f32[3] = broadcast[shape=(3) dims=()] 2.0:f32",
        "    e:f32[3] = add c d",
        "    f:f32[] = reduceSum[axes=(0)] e",
        "  in (f, c) }",
      ].join("\n"),
    );
  });

  it("lists realized buffers as constants before the semicolon", () => {
    const w = np.array([1, 2]);
    const x = placeholder("x", [2]);
    const text = printGraph(makeGraph([x], [makeNode("mul", [w.node, x], {})]));
    expect(text.split("\n")[0]).to.equal("{ lambda a:f32[2]; b:f32[2]. let");
    expect(text).to.contain("c:f32[2] = mul a b");
  });

  it("hash-conses structurally equal nodes into one object", () => {
    const x = placeholder("x", [4]);
    const m1 = makeNode("mul", [x, x], {});
    const m2 = makeNode("mul", [x, x], {});
    expect(m1).to.equal(m2);
    expect(Object.isFrozen(m1)).to.equal(true);
    expect(Object.isFrozen(m1.aval.shape)).to.equal(true);
    // Placeholders and data leaves are unique even with equal avals.
    expect(placeholder("x", [4])).to.not.equal(x);
  });

  it("builds graphs deduplicated (CSE) and without dead nodes (DCE)", () => {
    const t = np.array([1, 2, 3]);
    // Built while a graph is built (a transform's trace): shared as it is built.
    const y = interning(() => t.mul(2).add(t.mul(2)));
    const g = makeGraph([], [y.node]);
    expect(g.nodes.filter((n) => n.prim === "mul")).to.have.length(1);
    expect(eliminateCommonSubexpressions(g).nodes).to.have.length(g.nodes.length);
    // Built eagerly (not interned, so a synchronous loop does not pin it): CSE merges the twins.
    const eager = makeGraph([], [t.mul(3).add(t.mul(3)).node]);
    expect(eager.nodes.filter((n) => n.prim === "mul")).to.have.length(2);
    const merged = eliminateCommonSubexpressions(eager);
    expect(merged.nodes.filter((n) => n.prim === "mul" || n.prim === "const")).to.have.length(2);
    expect(Array.from(new Tensor(merged.outputs[0]!).dataSync())).to.deep.equal([6, 12, 18]);
    const x = placeholder("x", [3]);
    const dead = makeNode("exp", [x], {});
    void dead;
    const live = makeNode("neg", [x], {});
    expect(eliminateDeadCode(makeGraph([x], [live])).nodes.map((n) => n.prim)).to.deep.equal(["input", "neg"]);
  });

  it("folds constants and simplifies identities", () => {
    const x = placeholder("x", [3]);
    const lit = (v: number) => makeNode("broadcast", [constNode(v, "float32")], { shape: [3], dims: [] });
    // ((x * 1) + (2 * 3)) + -0, then neg(neg(.)) and a no-op reshape
    const six = makeNode("mul", [lit(2), lit(3)], {});
    const e1 = makeNode("add", [makeNode("mul", [x, lit(1)], {}), six], {});
    const e2 = makeNode("neg", [makeNode("neg", [makeNode("add", [e1, lit(-0)], {})], {})], {});
    const e3 = makeNode("reshape", [e2], { shape: [3] });
    const g = optimizeGraph(makeGraph([x], [e3]));
    expect(printGraph(g)).to.equal(
      [
        "{ lambda ; a:f32[3]. let",
        "    b:f32[3] = broadcast[shape=(3) dims=()] 6.0:f32",
        "    c:f32[3] = add a b",
        "  in (c) }",
      ].join("\n"),
    );
    // Values are unchanged by optimization.
    const env = new Map([[x, Float64Array.of(1, 2, 3)]]);
    expect(Array.from(interpret(g.outputs, env)[0]!)).to.deep.equal(Array.from(interpret([e3], env)[0]!));
  });

  it("does not apply unsafe algebra (x*0 stays, NaN must propagate)", () => {
    const x = placeholder("x", [2]);
    const z = makeNode("mul", [x, makeNode("broadcast", [constNode(0, "float32")], { shape: [2], dims: [] })], {});
    const g = optimizeGraph(makeGraph([x], [z]));
    expect(g.outputs[0]!.prim).to.equal("mul");
    const [v] = interpret(g.outputs, new Map([[x, Float64Array.of(NaN, 1)]]));
    expect(Number.isNaN(v![0]!)).to.equal(true);
  });

  it("keeps x + 0 and x - (-0) of floats (they turn -0 into +0) and drops x + (-0), x - 0 and integer x + 0", () => {
    // Found by the NumPy random programs (seed 102955 of a deep run): jit(x => np.add(x, 0)) kept a -0.
    const x = placeholder("x", [2]);
    const k = placeholder("k", [2], "int32");
    const lit = (v: number, dtype: "float32" | "int32" = "float32") => makeNode("broadcast", [constNode(v, dtype)], { shape: [2], dims: [] });
    const outs = [
      makeNode("add", [x, lit(0)], {}), makeNode("add", [lit(0), x], {}), makeNode("sub", [x, lit(-0)], {}),
      makeNode("add", [x, lit(-0)], {}), makeNode("add", [lit(-0), x], {}), makeNode("sub", [x, lit(0)], {}),
      makeNode("add", [k, lit(0, "int32")], {}), makeNode("sub", [k, lit(0, "int32")], {}),
    ];
    const g = optimizeGraph(makeGraph([x, k], outs));
    expect(g.outputs.map((o) => o.prim)).to.deep.equal(["add", "add", "sub", "input", "input", "input", "input", "input"]);
    const env = new Map([[x, Float64Array.of(-0, 1)], [k, Float64Array.of(-3, 4)]]);
    const got = interpret(g.outputs, env).map((v) => Array.from(v));
    expect(got.slice(0, 3).map((v) => Object.is(v[0], 0))).to.deep.equal([true, true, true]);
    expect(got.slice(3, 6).map((v) => Object.is(v[0], -0))).to.deep.equal([true, true, true]);
  });

  it("folds integer constants with integer semantics", () => {
    const seven = constNode(7, "int32");
    const two = constNode(-2, "int32");
    const g = optimizeGraph(makeGraph([], [makeNode("div", [seven, two], {}), makeNode("rem", [seven, two], {})]));
    expect(g.outputs.map((o) => (o as Node<"const">).params.value)).to.deep.equal([-4, -1]);
  });

  it("rejects invalid primitive applications when the node is built", () => {
    const a = placeholder("a", [2]);
    const b = placeholder("b", [3]);
    expect(() => makeNode("add", [a, b], {})).to.throw(ShapeError, /\[2\] and \[3\]/);
    const i = placeholder("i", [2], "int32");
    expect(() => makeNode("add", [a, i], {})).to.throw(DTypeError, /float32 and int32/);
    expect(() => makeNode("exp", [i], {})).to.throw(DTypeError);
    expect(() => makeNode("reshape", [a], { shape: [3] })).to.throw(ShapeError, /cannot reshape \[2\]/);
    expect(() => makeNode("transpose", [a], { perm: [1] })).to.throw(ShapeError, /permutation/);
  });

  it("topologically sorts very deep graphs without recursion", () => {
    const x = placeholder("x", []);
    let y: Node = x;
    for (let i = 0; i < 20000; i++) y = makeNode("neg", [y], {});
    const g = makeGraph([x], [y]);
    expect(g.nodes).to.have.length(20001);
    expect(g.nodes[0]).to.equal(x);
  });
});
