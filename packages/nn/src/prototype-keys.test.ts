/**
 * Keyed records built from user keys (field names, state paths, pytree keys) keep `__proto__`,
 * `constructor` and `toString` as ordinary data keys: no prototype pollution, no dropped field.
 */
import { expect } from "chai";
import { ParamState, type Tensor, np, tree } from "@kiln/core";
import { Module, collectStates, treefyStates } from "./module.js";
import { Adam } from "./optim/adam.js";
import { SGD } from "./optim/sgd.js";

class Holder extends Module {
  // A record keyed "__proto__" (a computed key makes an own data property, as JSON.parse does).
  rec = { ["__proto__"]: { weight: new ParamState(np.ones([2]), { name: "evil" }) }, plain: new ParamState(np.zeros([1])) };
  call(): Tensor {
    return np.zeros([1]);
  }
}

describe("prototype keys in keyed records", () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).weight;
  });

  it("treefyStates over a record keyed __proto__ nests it as data and leaves Object.prototype alone", () => {
    const m = new Holder();
    const t = treefyStates(m, ParamState);
    expect((Object.prototype as Record<string, unknown>).weight).to.equal(undefined);
    expect(({} as Record<string, unknown>).weight).to.equal(undefined);
    const rec = Object.getOwnPropertyDescriptor(t, "rec")!.value as Record<string, unknown>;
    expect(Object.keys(rec).sort()).to.deep.equal(["__proto__", "plain"]);
    const evil = Object.getOwnPropertyDescriptor(rec, "__proto__")!.value as Record<string, unknown>;
    expect((evil.weight as ParamState).name).to.equal("evil");
    expect(Object.keys(t.toFlat()).sort()).to.deep.equal(["rec.__proto__.weight", "rec.plain"]);
  });

  it("states() lists a field keyed __proto__ (also at the top level of a record)", () => {
    expect(Object.keys(new Holder().states()).sort()).to.deep.equal(["rec.__proto__.weight", "rec.plain"]);
    const top = Object.defineProperty({}, "__proto__", { value: new ParamState(np.ones([1])), enumerable: true });
    const m = new (class extends Module {
      r = top;
      call() { return np.zeros([1]); }
    })();
    expect(Object.keys(m.states())).to.deep.equal(["r.__proto__"]);
    expect(Object.getPrototypeOf(m.states())).to.equal(Object.prototype);
    // At the root the path is the bare key: `out["__proto__"] = s` used to replace out's prototype.
    expect(Object.keys(collectStates(top, undefined, "states"))).to.deep.equal(["__proto__"]);
  });

  it("tree.unflatten preserves __proto__ keys and keeps the prototype", () => {
    const v = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, unknown>;
    const [leaves, def] = tree.flatten(v);
    const back = tree.unflatten<Record<string, unknown>>(def, leaves);
    expect(Object.getPrototypeOf(back)).to.equal(Object.prototype);
    expect(Object.keys(back).sort()).to.deep.equal(["__proto__", "a"]);
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")!.value).to.equal(1);
    expect(tree.map((x: number) => x * 10, v)).to.satisfy((o: object) => Object.getOwnPropertyDescriptor(o, "__proto__")!.value === 10);
  });

  it("optimizers train weights whose paths are toString, constructor and __proto__", () => {
    const makers = [(o: { lr: number }) => new SGD(o), (o: { lr: number }) => new Adam(o)];
    for (const [k, make] of makers.entries()) {
      const weights: Record<string, ParamState> = {};
      for (const p of ["toString", "constructor", "__proto__"]) {
        Object.defineProperty(weights, p, { value: new ParamState(np.ones([2])), enumerable: true });
      }
      const opt = make({ lr: 0.5 }).registerTrainableWeights(weights);
      const grads: Record<string, Tensor> = {};
      for (const p of Object.keys(weights)) Object.defineProperty(grads, p, { value: np.ones([2]), enumerable: true });
      opt.update(grads);
      for (const p of Object.keys(weights)) {
        const w = Object.getOwnPropertyDescriptor(weights, p)!.value as ParamState;
        expect(((w.value as Tensor).toArraySync() as number[])[0]).to.be.lessThan(1);
      }
      // Adam keeps two slots (m, v) per weight; SGD none.
      expect(Object.keys(opt.states()).filter((p) => p !== "step")).to.have.length(k === 1 ? 6 : 0);
    }
  });
});
