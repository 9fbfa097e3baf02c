/**
 * The signal-extra functions under the transforms: gradients against central finite differences
 * (float64, eager), and jit and vmap against the eager per-example results.
 */
import { expect } from "chai";
import { type Tensor, jit, np, vmap } from "kiln";
import { checkGradFd, sample } from "./util.js";

type F = (x: Tensor) => Tensor;
const checkGrad = checkGradFd;

const f64 = (v: number[]) => np.array(v, { dtype: "float64" });
const idx = np.array([0, 2, 1, 2, 5], { dtype: "int32" });

const CASES: [string, F, number[]][] = [
  ["convolve full in a", (x) => np.convolve(x, f64([0.5, -1, 2])), [5]],
  ["convolve same in v", (v) => np.convolve(f64([1, -2, 0.5, 3]), v, { mode: "same" }), [3]],
  ["correlate valid, both", (x) => np.correlate(x, np.square(np.get(x, np.slice(1, 3)))), [4]],
  ["correlate same, shorter a", (x) => np.correlate(x, f64([1, 2, -1, 0.5]), { mode: "same" }), [2]],
  ["kaiser in beta", (b) => np.kaiser(6, np.add(np.abs(b), 1)), []],
  ["bincount weights", (w) => np.bincount(idx, { length: 4, weights: w }), [5]],
  ["applyOverAxes", (x) => np.applyOverAxes((t, ax) => np.sum(np.multiply(t, np.sin(t)), { axis: ax }), x, [0, -1]), [2, 3, 2]],
  ["applyAlongAxis", (x) => np.applyAlongAxis((r) => np.multiply(np.sum(np.square(r)), r), 1, x), [2, 3, 2]],
  ["histogram weights", (w) => np.histogram(f64([0.1, 0.9, 0.5, 0.7]), { bins: 2, range: [0, 1], weights: w })[0], [4]],
];

describe("np signal-extra under transforms", () => {
  describe("grad against central finite differences (float64)", () => {
    for (const [name, f, shape] of CASES) it(name, () => checkGrad(name, f, shape));
  });

  it("jit gives the eager results", () => {
    const f = (x: Tensor) => {
      const [c] = np.histogram(x, { bins: 3, range: [-2, 2] });
      return [np.convolve(x, np.hanning(3), { mode: "same" }), c, np.isin(np.round(x), [0, 1]), np.kaiser(4, 3)];
    };
    const x = sample([6]);
    const eager = f(x).map((t) => Array.from(t.dataSync()));
    const jitted = (jit(f)(x) as Tensor[]).map((t) => Array.from(t.dataSync()));
    expect(jitted).to.deep.equal(eager);
  });

  it("vmap gives the per-example results", () => {
    const f = (x: Tensor) => np.add(np.correlate(x, f64([1, -1, 2]), { mode: "full" }), np.bincount(np.astype(np.abs(np.round(x)), "int32"), { length: 6 }));
    const x = sample([3, 4]);
    const batched = Array.from((vmap(f)(x) as Tensor).dataSync());
    const rows = [0, 1, 2].flatMap((i) => Array.from(f(np.get(x, i)).dataSync()));
    batched.forEach((b, i) => expect(b).to.be.closeTo(rows[i]!, 1e-12));
    expect(batched.length).to.equal(rows.length);
  });
});

describe("np.applyAlongAxis (nested vmap)", () => {
  const b = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  const ends = (a: Tensor) => np.multiply(np.add(np.get(a, 0), np.get(a, -1)), 0.5);
  it("NumPy's documented examples", () => {
    // np.apply_along_axis(my_func, 0, b) -> [4, 5, 6]; axis 1 -> [2, 5, 8]
    expect(Array.from(np.applyAlongAxis(ends, 0, b).dataSync())).to.deep.equal([4, 5, 6]);
    expect(Array.from(np.applyAlongAxis(ends, 1, b).dataSync())).to.deep.equal([2, 5, 8]);
    // np.apply_along_axis(np.diag, -1, b): shape (3, 3, 3), result[i] = diag(b[i])
    const d = np.applyAlongAxis((r) => np.diag(r), -1, b);
    expect(d.shape).to.deep.equal([3, 3, 3]);
    expect(Array.from(np.get(d, 1).dataSync())).to.deep.equal([4, 0, 0, 0, 5, 0, 0, 0, 6]);
  });

  it("a vector-valued fn on a middle axis matches the per-slice loop", () => {
    const x = sample([2, 3, 4]);
    const fn = (r: Tensor) => np.stack([np.sum(r), np.max(r)]);
    const got = np.applyAlongAxis(fn, 1, x);
    expect(got.shape).to.deep.equal([2, 2, 4]);
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) {
      const want = Array.from(fn(np.get(x, i, np.slice(), k)).dataSync());
      const row = Array.from(np.get(got, i, np.slice(), k).dataSync());
      row.forEach((v, j) => expect(v).to.be.closeTo(want[j]!, 1e-12));
    }
    expect(() => np.applyAlongAxis(fn, 3, x)).to.throw(/axis/);
    expect(() => np.applyAlongAxis(3 as never, 0, x)).to.throw(TypeError);
  });
});
