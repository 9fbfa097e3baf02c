/**
 * np.unwrap against NumPy 2.4's outputs (pasted literals), the ±period/2 boundary, discont and
 * period options, axes, gradients against finite differences, vmap, jit and typed errors.
 */
import { expect } from "chai";
import { IndexError, ValueError, type Tensor, jit, np, vmap } from "kiln";
import { checkGradFd, expectClose } from "./util.js";

const f64 = (v: readonly number[]) => np.array([...v], { dtype: "float64" });

describe("np.unwrap", () => {
  it("matches NumPy (values from numpy 2.4 np.unwrap)", () => {
    expectClose(np.unwrap(f64([0, 3, 6.5, 0.5])), [0, 3, 0.21681469282041377, 0.5], { atol: 1e-14 });
    expectClose(np.unwrap(f64([0.5, 7.0, 13.6, 1.2, -5.3])), [0.5, 0.7168146928204138, 1.0336293856408271, 1.2, 0.9831853071795866], { atol: 1e-13 });
    expectClose(np.unwrap([0, 1, 4, 9], { period: 4 }), [0, 1, 0, 1], { atol: 1e-6 });
    expectClose(np.unwrap(f64([0, 4, 8])), [0, -2.2831853071795862, -4.5663706143591725], { atol: 1e-14 });
    expectClose(np.unwrap(f64([0, 4, 8]), { discont: 5 }), [0, 4, 8], { atol: 0 });
    // A jump of exactly ±period/2 is left alone (its sign is kept).
    expectClose(np.unwrap(f64([0, Math.PI, 0, -Math.PI, 0])), [0, Math.PI, 0, -Math.PI, 0], { atol: 1e-15 });
  });

  it("along either axis of a matrix (numpy 2.4 values)", () => {
    const m = np.array([[0, 3, 6.5, 9.6], [1, -2.5, 3.5, 0.1]], { dtype: "float64" });
    expectClose(np.unwrap(m), [[0, 3, 0.21681469282041377, 3.3168146928204134], [1, 3.7831853071795862, 3.5, 6.383185307179586]], { atol: 1e-13 });
    expectClose(np.unwrap(m, { axis: 0 }), [[0, 3, 6.5, 9.6], [1, 3.7831853071795862, 3.5, 12.666370614359172]], { atol: 1e-13 });
    expect(np.unwrap([1, 2, 3]).dtype).to.equal("float32");
    expectClose(np.unwrap([5]), [5], { atol: 0 });
  });

  it("gradients match finite differences; vmap and jit agree", () => {
    checkGradFd("unwrap", (x) => np.unwrap(np.multiply(x, 3)), [2, 5]);
    const m = np.array([[0, 3, 6.5, 9.6], [1, -2.5, 3.5, 0.1]], { dtype: "float64" });
    const want = Float64Array.from(np.unwrap(m).dataSync());
    expectClose(vmap((row: Tensor) => np.unwrap(row))(m) as Tensor, want, { atol: 1e-13 });
    expectClose(jit((x: Tensor) => np.unwrap(x))(m) as Tensor, want, { atol: 1e-13 });
  });

  it("bad input is a typed error", () => {
    expect(() => np.unwrap(3)).to.throw(ValueError);
    expect(() => np.unwrap([1, 2], { axis: 1 })).to.throw(IndexError);
    expect(() => np.unwrap([1, 2], { period: 0 })).to.throw(ValueError);
    expect(() => np.unwrap([1, 2], { discont: NaN })).to.throw(ValueError);
  });
});
