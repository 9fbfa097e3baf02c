/**
 * The codegen trust boundary: every param of every primitive is validated when its node is built,
 * so a hostile value given to an exported constructor (`makeNode`, `constNode`) is a ValueError and
 * never reaches a kernel renderer (whose output runs through `new Function`).
 */
import { expect } from "chai";
import { ConcretizationError, KilnError, MAX_ELEMENTS, makeGraph, PRIMITIVES, type Prim, ShapeError, Tensor, ValueError, constNode, makeNode, np } from "../index.js";
import { INVALID, type ParamType } from "./params.js";

const g = globalThis as { pwned?: unknown };

// A hostile or careless stand-in for a param: code, objects with toString/valueOf, Symbols...
const HOSTILE: unknown[] = [
  "(globalThis.pwned=1)", "1", "", { valueOf: () => 1 }, { toString: () => "globalThis.pwned=1" }, [1], null, undefined,
  Symbol("s"), () => 1, 10n, true, 1.5, NaN, -1, Infinity,
];

// A valid value per param type name (only to fill the other params of a primitive).
function validFor(what: string): unknown {
  if (what === "a number") return 1;
  if (what === "a safe integer") return 0;
  if (what === "a boolean") return false;
  if (what.startsWith("a dtype")) return "float32";
  if (what === "a string") return "x";
  if (what.startsWith("an array")) return [0];
  if (what === "a buffer reference") return { id: 1 };
  return undefined; // a control call has no stand-in: the error may name it instead
}

describe("ir params: validated at node construction (trust boundary)", () => {
  afterEach(() => delete g.pwned);

  it("constNode refuses a string literal: new Tensor(constNode(code)) never runs the code", () => {
    expect(() => new Tensor(constNode("(globalThis.pwned=1)" as never, "float32")).dataSync()).to.throw(ValueError, /const: param value must be a number/);
    expect(() => constNode(1, "float31" as never)).to.throw(ValueError, /dtype/);
    expect(g.pwned).to.equal(undefined);
    // Non-finite numbers are legitimate literals.
    expect(Array.from(new Tensor(constNode(-Infinity, "float32")).dataSync())).to.deep.equal([-Infinity]);
  });

  it("every param of every primitive rejects hostile values with a ValueError naming the param", () => {
    let checked = 0;
    for (const prim of Object.keys(PRIMITIVES) as Prim[]) {
      const schema = PRIMITIVES[prim].params as Record<string, ParamType<unknown>>;
      for (const [name, type] of Object.entries(schema)) {
        for (const bad of HOSTILE) {
          if (type.parse(bad) !== INVALID) continue; // a valid value of this type (1.5 is a number)
          const params: Record<string, unknown> = {};
          for (const [k, t] of Object.entries(schema)) params[k] = k === name ? bad : validFor(t.what);
          const aval = PRIMITIVES[prim].infer ? undefined : { shape: [1], dtype: "float32" as const };
          expect(() => makeNode(prim, [], params as never, aval), `${prim}.${name} = ${String(typeof bad)}`).to.throw(ValueError, new RegExp(`${prim}: param (${name}|call) `));
          checked++;
        }
      }
    }
    expect(checked).to.be.greaterThan(200);
    expect(g.pwned).to.equal(undefined);
  });

  it("rejects unknown prims, unknown or accessor params, look-alike input nodes and bad avals", () => {
    const x = np.array([1, 2]).node;
    expect(() => makeNode("constructor" as Prim, [], {} as never)).to.throw(ValueError, /unknown primitive/);
    expect(() => makeNode("__proto__" as Prim, [], {} as never)).to.throw(ValueError, /unknown primitive/);
    expect(() => makeNode("neg", [x], { code: "1" } as never)).to.throw(ValueError, /unknown param code/);
    expect(() => makeNode("neg", [{ ...x }], {})).to.throw(ValueError, /inputs must be an array of graph nodes/);
    const getter = Object.defineProperty({}, "value", { get: () => 1, enumerable: true });
    expect(() => makeNode("const", [], getter as never, { shape: [], dtype: "float32" })).to.throw(ValueError, /param value is missing/);
    expect(() => makeNode("const", [], { value: 1 }, { shape: [-1], dtype: "float32" })).to.throw(ShapeError);
    expect(() => makeNode("const", [], { value: 1 }, { shape: [1.5], dtype: "float32" })).to.throw(ShapeError);
    expect(() => makeNode("const", [], { value: 1 }, { shape: [], dtype: "toString" as never })).to.throw(ValueError, /aval dtype/);
    expect(() => makeNode("iota", [], { axis: 0 })).to.throw(ValueError, /needs its aval/);
  });

  it("a node keeps a copy of its params: mutating the caller's array afterwards changes nothing", () => {
    const shape = [2, 2];
    const n = makeNode("reshape", [np.array([1, 2, 3, 4]).node], { shape });
    shape[0] = 4;
    expect(n.params.shape).to.deep.equal([2, 2]);
    expect(Object.isFrozen(n.params.shape)).to.equal(true);
    // Deeply frozen (immer's freeze): the params object too, so no rule can edit a node in place.
    expect(Object.isFrozen(n.params)).to.equal(true);
    expect(() => ((n.params as { shape: number[] }).shape as number[]).push(1)).to.throw(TypeError);
  });

  it("impossible sizes fail when the node is built, with a ShapeError (never an allocation or an endless loop)", () => {
    expect(() => np.zeros([2 ** 31])).to.throw(ShapeError, /more than the maximum of 2147483647/);
    expect(() => np.zeros([1e6, 1e6])).to.throw(ShapeError, /1000000000000 elements/);
    expect(() => np.ones([2 ** 16]).reshape([1, -1]).broadcastTo([2 ** 16, 2 ** 16])).to.throw(ShapeError);
    // Inferred shapes are checked too (the outer product of two legal vectors).
    const v = np.ones([2 ** 16]);
    expect(() => v.reshape([-1, 1]).mul(v)).to.throw(ShapeError, /maximum/);
    expect(MAX_ELEMENTS).to.equal(2 ** 31 - 1);
    expect(() => makeNode("const", [], { value: 0 }, { shape: [2 ** 53], dtype: "float32" })).to.throw(ShapeError);
  });

  it("errors are KilnErrors, not crashes", () => {
    expect(() => makeNode("neg", null as never, {})).to.throw(KilnError);
    expect(() => makeNode("neg", [], null as never)).to.throw(KilnError);
    expect(ConcretizationError).to.not.equal(undefined);
  });

  it("look-alike nodes and buffers are refused by every exported constructor (Tensor, makeGraph, makeNode)", () => {
    const fake = { id: 1, prim: "const", inputs: [], params: { value: "(globalThis.pwned=1)" }, aval: { shape: [], dtype: "float32" }, key: "x" };
    expect(() => new Tensor(fake as never)).to.throw(ValueError, /expected a graph node/);
    expect(() => makeGraph([], [fake as never])).to.throw(ValueError, /graph nodes/);
    expect(() => makeNode("neg", [fake as never], {})).to.throw(ValueError, /graph nodes/);
    expect(() => makeNode("data", [], { ref: { id: 1, host: "x" } } as never, { shape: [1], dtype: "float32" })).to.throw(ValueError, /DataBuffer/);
    expect(g.pwned).to.equal(undefined);
  });
});
