/**
 * Async functions under transforms: rejected up front (declared async) or right after the trace
 * (a returned Promise), with an AsyncFunctionError — never an unhandled rejection that exits Node
 * or a traced value written into a State after its trace ended.
 */
import { expect } from "chai";
import { AsyncFunctionError, KilnError, State, StateError, Tensor, makeNode, np } from "@kiln/core";
import { checkpoint } from "./checkpoint.js";
import { cond, forLoop, scan, whileLoop } from "./control.js";
import { customJvp, customVjp } from "./custom.js";
import { grad, valueAndGrad } from "./grad.js";
import { jacrev } from "./jacobian.js";
import { jit } from "./jit.js";
import { jvp, linearize } from "./jvp.js";
import { StateFinder } from "./state-finder.js";
import { vjp } from "./vjp.js";
import { vmap } from "./vmap.js";

describe("transforms reject async functions", () => {
  it("API.md's concretization example written with await: jit/grad reject it when created", () => {
    const f = async (x: Tensor) => ((await x.sum().item()) > 0 ? x : x.neg());
    expect(() => jit(f)).to.throw(AsyncFunctionError, /async function.*itemSync\(\)/);
    expect(() => grad(f)).to.throw(AsyncFunctionError);
    expect(() => jit(f)).to.throw(KilnError);
  });

  it("every transform that takes a function rejects an async one", () => {
    const f = async (x: Tensor) => x;
    const x = np.array([1, 2]);
    const calls: [string, () => unknown][] = [
      ["valueAndGrad", () => valueAndGrad(f)], ["jacrev", () => jacrev(f)], ["vmap", () => vmap(f)],
      ["checkpoint", () => checkpoint(f)], ["StateFinder", () => StateFinder(f)], ["customVjp", () => customVjp(f)],
      ["customJvp", () => customJvp(f)], ["vjp", () => vjp(f, x)], ["jvp", () => jvp(f, [x], [x])], ["linearize", () => linearize(f, x)],
      ["cond", () => cond(true, f, (y: Tensor) => y, x)], ["whileLoop", () => whileLoop(async () => np.array(false), (c: Tensor) => c, x)],
      ["scan", () => scan((async (c: Tensor, y: Tensor) => [c, y]) as never, x, x)], ["forLoop", () => forLoop(f, x)],
    ];
    for (const [name, call] of calls) expect(call, name).to.throw(AsyncFunctionError);
  });

  it("a plain function returning a Promise: typed error after the trace, and its rejection is handled", () => {
    let handled = 0;
    // A thenable standing in for the Promise: the transform must attach a rejection handler to it.
    const thenable = { then: (_ok: unknown, onRejected?: unknown) => void (typeof onRejected === "function" && handled++) };
    expect(() => jit(() => thenable)()).to.throw(AsyncFunctionError, /returned a Promise/);
    expect(() => grad((_x: Tensor) => thenable)(np.array(1))).to.throw(AsyncFunctionError);
    expect(() => vmap((_x: Tensor) => thenable)(np.array([1]))).to.throw(AsyncFunctionError);
    expect(handled).to.equal(3);
  });

  it("a State write of a traced value after the trace ended is a StateError and leaves the State unchanged", () => {
    const s = new State(np.array([1, 2]), { name: "s" });
    const leaked = new Tensor(makeNode("input", [], { label: "leaked" }, { shape: [2], dtype: "float32" }));
    expect(() => (s.value = leaked.mul(2))).to.throw(StateError, /assigned a traced value after its trace ended/);
    expect((s.value as Tensor).toArraySync()).to.deep.equal([1, 2]);
  });
});
