import { expect } from "chai";
import { IndexError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { gelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from "./activations.js";

const xs = [-30, -3, -1, -0.5, 0, 0.25, 1, 2.5, 30];
const f64 = (v: number[] | number[][]) => np.array(v, { dtype: "float64" });

describe("activations", () => {
  it("relu / tanh / sigmoid / silu match their float64 formulas", () => {
    expectClose(relu(xs), xs.map((x) => Math.max(x, 0)));
    expectClose(tanh(f64(xs)), xs.map(Math.tanh), { rtol: 1e-12, atol: 0 });
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    expectClose(sigmoid(f64(xs)), xs.map(sig), { rtol: 1e-12, atol: 1e-300 });
    expectClose(silu(f64(xs)), xs.map((x) => x * sig(x)), { rtol: 1e-12, atol: 1e-300 });
    expect(relu(np.array([-2, 3], { dtype: "int32" })).dtype).to.equal("int32");
    expect(silu(np.array([1], { dtype: "int32" })).dtype).to.equal("float32");
  });

  it("gelu defaults to the tanh approximation (jax.nn.gelu)", () => {
    const ref = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    expectClose(gelu(f64(xs)), xs.map(ref), { rtol: 1e-12, atol: 1e-300 });
    expectClose(gelu([1]), [0.8411920071], { rtol: 1e-6 });
    expectClose(gelu([[1, -1]], { approximate: true }), [[0.8411920071, -0.1588079929]], { rtol: 1e-6 });
    // The exact form differs from the approximation (its accuracy is tested in special.test.ts).
    expect(Math.abs(gelu([1], { approximate: false }).dataSync()[0]! - 0.8411920071)).to.be.greaterThan(1e-4);
  });

  it("softmax over the last axis matches exp(x)/Σexp(x); rows sum to 1", () => {
    const x = [[1, 2, 3], [-1, 0, 4]];
    const ref = x.map((r) => {
      const e = r.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    });
    expectClose(softmax(f64(x)), ref, { rtol: 1e-12, atol: 0 });
    expectClose(np.sum(softmax(x), { axis: -1 }), [1, 1]);
  });

  it("softmax of large logits stays finite; axis option (incl. negative and multiple axes)", () => {
    expectClose(softmax([1000, 1000]), [0.5, 0.5]);
    expectClose(softmax([1e30, 0, -1e30]), [1, 0, 0]);
    const x = [[1, 3], [2, 5]];
    const col = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    const [c0, c1] = [col(1, 2), col(3, 5)];
    const ref0 = [[c0[0]!, c1[0]!], [c0[1]!, c1[1]!]];
    expectClose(softmax(x, { axis: 0 }), ref0);
    expectClose(softmax(x, { axis: -2 }), ref0);
    const all = [1, 3, 2, 5].map(Math.exp);
    const tot = all.reduce((a, b) => a + b);
    expectClose(softmax(x, { axis: [0, 1] }), [[all[0]! / tot, all[1]! / tot], [all[2]! / tot, all[3]! / tot]]);
    expect(softmax(np.zeros([2, 0])).shape).to.deep.equal([2, 0]);
    expect(softmax(np.array([1, 2], { dtype: "int32" })).dtype).to.equal("float32");
  });

  it("logSoftmax is exact for large logits where log(softmax) is -inf", () => {
    const got = logSoftmax([1000, 0]);
    expectClose(got, [0, -1000]);
    expect(np.log(softmax([1000, 0])).dataSync()[1]).to.equal(-Infinity);
    const x = [[0.5, -2, 3], [10, 10, 10]];
    const ref = x.map((r) => {
      const m = Math.max(...r);
      const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
      return r.map((v) => v - lse);
    });
    expectClose(logSoftmax(f64(x)), ref, { rtol: 1e-12, atol: 1e-15 });
    // axis 0: each column normalized; column j of x is [x0j, x1j].
    const ref0 = [0, 1].map((i) => x[i]!.map((v, j) => v - Math.log(Math.exp(x[0]![j]!) + Math.exp(x[1]![j]!))));
    expectClose(logSoftmax(f64(x), { axis: 0 }), ref0, { rtol: 1e-12, atol: 1e-15 });
  });

  it("an out-of-range axis is an IndexError", () => {
    expect(() => softmax([1, 2], { axis: 1 })).to.throw(IndexError);
    expect(() => logSoftmax(3)).to.throw(IndexError);
  });
});
