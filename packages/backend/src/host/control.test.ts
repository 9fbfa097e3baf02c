import { expect } from "chai";
import { DataBuffer, DisposedError, type Node, makeControlCall, makeGraph, makeNode } from "@kiln/core";
import { type LibrarySpec } from "../schedule.js";
import { controlStep } from "./control.js";
import { HOST } from "../targets/index.js";

const f32 = (shape: number[]) => ({ shape, dtype: "float32" as const });
const ph = (label: string, shape: number[]) => makeNode("input", [], { label }, f32(shape));

describe("host control steps", () => {
  // A two-output while loop that runs zero times returns its operands: the arrays it was handed.
  // Its siblings (one library step per output) reuse the first one's evaluation; what they keep
  // must not be the caller's arrays, which the caller's plan reuses for other values afterwards.
  function zeroTripWhile() {
    const [a, b] = [ph("a", [3]), ph("b", [3])];
    const cond = makeGraph([a, b], [makeNode("const", [], { value: 0 }, { shape: [], dtype: "bool" }) as Node]);
    const body = makeGraph([a, b], [a, b]);
    const call = makeControlCall({ kind: "while", cond, body, numCarry: 2 });
    return (index: number): LibrarySpec => ({ name: "while", params: { call, index } } as unknown as LibrarySpec);
  }

  it("a kept result survives the caller reusing the operand arrays (siblings read in a later plan run)", () => {
    const spec = zeroTripWhile();
    const { while: run } = controlStep(HOST.runPlan);
    const a = new Float32Array([1, 2, 3]), b = new Float32Array([4, 5, 6]);
    const out0 = new Float32Array(3), out1 = new Float32Array(3);
    run(spec(0), [a, b], out0); // output 1 is not read by this plan
    a.fill(-7); b.fill(-9);      // the plan's slots hold other values now
    // another run of a plan with the same call, on the same values in other arrays
    run(spec(1), [new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])], out1);
    expect(Array.from(out0)).to.deep.equal([1, 2, 3]);
    expect(Array.from(out1)).to.deep.equal([4, 5, 6]);
  });

  it("siblings on different operand values evaluate again", () => {
    const spec = zeroTripWhile();
    const { while: run } = controlStep(HOST.runPlan);
    const out0 = new Float32Array(3), out1 = new Float32Array(3);
    run(spec(0), [new Float32Array([1, 1, 1]), new Float32Array([2, 2, 2])], out0);
    run(spec(1), [new Float32Array([3, 3, 3]), new Float32Array([4, 4, 4])], out1);
    expect(Array.from(out1)).to.deep.equal([4, 4, 4]);
  });

  it("a realized value a loop body reads is looked up per run: disposed later, the next run says so", () => {
    const w = new DataBuffer("float32", 3, new Float32Array([2, 3, 4]));
    const c = ph("c", [3]);
    const wNode = makeNode("data", [], { ref: w }, f32([3]));
    // a two-step scan whose body multiplies its carry by the realized value
    const loop = makeControlCall({ kind: "scan", body: makeGraph([c], [makeNode("mul", [c, wNode], {})]), numCarry: 1, numConsts: 0, length: 2, reverse: false });
    const { scan } = controlStep(HOST.runPlan);
    const out = new Float32Array(3);
    scan({ name: "scan", params: { call: loop, index: 0 } } as unknown as LibrarySpec, [new Float32Array([1, 1, 1])], out);
    expect(Array.from(out)).to.deep.equal([4, 9, 16]);
    w.release();
    expect(() => scan({ name: "scan", params: { call: loop, index: 0 } } as unknown as LibrarySpec, [new Float32Array([1, 1, 1])], out))
      .to.throw(DisposedError, /float32\[3\] used inside a control-flow op was disposed/);
  });
});
