/**
 * Differential suite on cpu: random programs (eager, jit, jit replay, gradients) and the
 * special-value table against the float64 interpreter, plus the checks of the harness itself.
 */
import { expect } from "chai";
import { setBackend } from "@kiln/backend";
import { np } from "kiln";
import { type DType, Elementwise, type Prim, activeExecutor, interpret, isUnsigned, setExecutor, topoSort } from "kiln/internal";
import { DEFAULT_RUNS, programTests, seedsFor } from "./programs.js";
import { checkVjpRules } from "./harness.js";
import { generateProgram, programCode, programInputs, runProgram } from "./program.js";
import { mismatches, reference } from "./reference.js";
import { allSpecialCases, runSpecials } from "./check-specials.js";
import { tensor } from "../conformance/suite.js";
import { renderDeviations } from "./deviations.js";
import { readFileSync } from "node:fs";

describe("differential: cpu", () => {
  let previous = "cpu";
  before(() => {
    previous = activeExecutor().name;
    setBackend("cpu");
  });
  after(() => setExecutor(previous));

  describe("random programs", () => programTests("cpu"));

  it("vjp rules agree with central differences of the forward graph (smooth programs, float64)", function () {
    this.timeout(0);
    const bad = seedsFor("cpu").map(checkVjpRules).filter((m): m is string => m !== null);
    if (bad.length) expect.fail(bad.join("\n\n"));
  });

  it("special values through every primitive match the interpreter (or a documented deviation)", async function () {
    this.timeout(0);
    const r = await runSpecials(allSpecialCases());
    if (r.unexpected.length) expect.fail(r.unexpected.join("\n"));
  });
});

describe("differential: the harness", () => {
  it("generates the same program for a seed", () => {
    expect(programCode(generateProgram(123))).to.equal(programCode(generateProgram(123)));
    expect(programCode(generateProgram(123))).to.not.equal(programCode(generateProgram(124)));
  });

  it("the default programs cover every elementwise primitive and every movement, reduction, contraction and indexing primitive", () => {
    const seen = new Set<Prim>();
    for (let s = 0; s < 300; s++) {
      const p = generateProgram(s);
      for (const n of topoSort(runProgram(p, programInputs(p)).map((t) => t.node))) seen.add(n.prim);
    }
    // bitcast (Tensor.view) is left to its conformance rows, special values and test/tensor-view.test.ts:
    // a view of random program values would compare NaN payloads, which JS numbers do not carry.
    const wanted: Prim[] = [
      ...[...Elementwise].filter((p) => p !== "bitcast"),
      "reduceSum", "reduceProd", "reduceMax", "reduceMin", "argmax", "argmin", "cumsum", "sort",
      "reshape", "broadcast", "transpose", "slice", "flip", "pad", "concatenate", "matmul", "gather", "scatter", "scatterAdd", "eigh", "qr",
    ];
    expect(wanted.filter((p) => !seen.has(p))).to.deep.equal([]);
  });

  it("the default programs compute with uint8, uint32, float16 and bfloat16 values, and unsigned bitwise ops", () => {
    const dtypes = new Set<DType>(), unsignedOps = new Set<Prim>();
    for (let s = 0; s < DEFAULT_RUNS.cpu!; s++) {
      const p = generateProgram(s);
      for (const n of topoSort(runProgram(p, programInputs(p)).map((t) => t.node))) {
        if (n.prim === "data" || n.prim === "const") continue;
        dtypes.add(n.aval.dtype);
        if (isUnsigned(n.aval.dtype)) unsignedOps.add(n.prim);
      }
    }
    expect((["uint8", "uint32", "float16", "bfloat16"] as const).filter((d) => !dtypes.has(d))).to.deep.equal([]);
    const wanted: Prim[] = ["and", "or", "xor", "shl", "shrl", "add", "mul", "floorDiv", "rem", "reduceSum", "matmul"];
    expect(wanted.filter((p) => !unsignedOps.has(p))).to.deep.equal([]);
  });

  it("flags a wrong element, a wrong NaN position and a wrong int, and accepts rounding", () => {
    const x = tensor("float32", [4], (i) => [1, 2, NaN, 3][i]!);
    const ref = reference([x.exp().node]);
    const want = [Math.E, Math.exp(2), NaN, Math.exp(3)].map(Math.fround);
    expect(mismatches(ref, [Float32Array.from(want)])).to.deep.equal([]);
    expect(mismatches(ref, [Float32Array.from([want[0]!, want[1]! * 1.001, NaN, want[3]!])])).to.have.length(1);
    expect(mismatches(ref, [Float32Array.from([want[0]!, want[1]!, 0, want[3]!])])).to.have.length(1);
    const k = tensor("int32", [2], (i) => [5, 7][i]!);
    expect(mismatches(reference([k.mul(3).node]), [Int32Array.from([15, 22])])).to.have.length(1);
  });

  it("excuses an int whose value depends on float32 rounding (the reference moves under rounding)", () => {
    // 0.1 + 0.2 in float64 is 0.30000000000000004; × 10 → 3.0000000000000004 floors to 3,
    // but 1e8·(x - 0.3) of the float32-rounded sum is far from it: the element is unstable.
    const a = tensor("float32", [1], () => 0.1), b = tensor("float32", [1], () => 0.2);
    const t = a.add(b).sub(0.3).mul(1e8).astype("int32");
    const ref = reference([t.node]);
    expect(ref.unstable[0]![0]).to.equal(1);
  });
});

describe("differential: docs", () => {
  it("docs/numerics.md lists exactly the declared deviations, per backend", () => {
    const page = readFileSync(new URL("../../docs/numerics.md", import.meta.url), "utf8");
    const block = /<!-- deviations:start -->\n([\s\S]*?)\n<!-- deviations:end -->/.exec(page)?.[1];
    expect(block, "the deviations block of docs/numerics.md").to.equal(renderDeviations());
  });
});

describe("differential: the interpreter's int32 semantics (the spec)", () => {
  // These were float64 computations cast at the end, which lose bits once a product passes 2^53;
  // NumPy's int32 (and the interpreter's own `mul`, via Math.imul) wrap.
  const ints = (v: number[], shape = [v.length]) => tensor("int32", shape, (i) => v[i]!);
  const spec = (t: { node: import("kiln/internal").Node }) => Array.from(interpret([t.node])[0]!);

  it("matmul and dot wrap like int32 multiply-add", () => {
    const v = [-14, -20, -(2 ** 31), -19];
    expect(spec(np.dot(ints(v), ints(v)))).to.deep.equal([957]); // NumPy: np.dot(a, a) with a int32
    expect(spec(np.matmul(ints([2 ** 31 - 1], [1, 1]), ints([2 ** 31 - 1], [1, 1])))).to.deep.equal([1]);
  });

  it("prod wraps like int32 multiplication", () => {
    const v = [10, 1, -2, -17, 7, -19, 18, 1, -17, -20, -15, -11, 9, -12, -9, 19, 7, 16, -6, 4, -11, 10, -8, -6];
    expect(spec(np.prod(ints(v)))).to.deep.equal([v.reduce((a, b) => Math.imul(a, b), 1)]); // -1749549056
  });

  it("at[].add wraps like int32 addition", () => {
    const x = ints([2 ** 31 - 1, 0]);
    expect(spec(x.at(ints([0, 0])).add(1))).to.deep.equal([-(2 ** 31) + 1, 0]);
  });
});
