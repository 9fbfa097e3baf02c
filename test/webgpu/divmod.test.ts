/**
 * Floor division and remainder agree with NumPy's divmod on every backend: the interpreter (the
 * spec), cpu (generated JavaScript) and webgpu (WGSL). float32 expectations printed by NumPy 2.4
 * (np.floor_divide, np.remainder on float32 arrays).
 */
import { expect } from "chai";
import { type Tensor, np, setBackend } from "kiln";
import { activeExecutor, setExecutor } from "@kiln/core";
import { useWebgpu } from "./env.js";

const inf = Infinity;
const A = [1, 3, 0.7, inf, -inf, 1, -1, 1, -1, 0, -0, 0.5, -0.5, -0.5, 5, -5, 0, NaN, 1, -4, 4, 1e-20, 7];
const B = [0.1, 0.3, 0.1, 2, 2, -inf, inf, inf, -inf, -1, 1, 2, 2, -2, 0, 0, 0, 1, NaN, 2, -2, -1, inf];
const Q = [9, 9, 6, NaN, NaN, -1, -1, 0, 0, -0, -0, 0, -1, 0, inf, -inf, NaN, NaN, NaN, -2, -2, -1, 0];
const R = [
  0.09999998658895493, 0.2999998927116394, 0.09999997913837433, NaN, NaN, -inf, inf, 1, -1, -0, 0, 0.5, 1.5, -0.5,
  NaN, NaN, NaN, NaN, NaN, 0, -0, -1, 7,
];

const same = (got: ArrayLike<number>, want: readonly number[], what: string) =>
  Array.from(got).forEach((g, i) => expect(Object.is(g, want[i]), `${what}: ${A[i]} and ${B[i]} give ${Object.is(g, -0) ? "-0" : g}`).to.equal(true));

async function checkDivmod(): Promise<void> {
  const a = np.array(A), b = np.array(B);
  const q: Tensor = np.floorDivide(a, b), r: Tensor = np.remainder(a, b);
  same(await q.data(), Q, "floorDivide");
  same(await r.data(), R, "remainder");
  // a == b * (a // b) + a % b wherever both are finite.
  const back = Array.from(await np.add(np.multiply(b, q), r).data());
  back.forEach((v, i) => Number.isFinite(Q[i]!) && Number.isFinite(R[i]!) && Number.isFinite(B[i]!) && expect(v).to.be.closeTo(Math.fround(A[i]!), 1e-6));
}

describe("floorDivide / remainder: NumPy's divmod on every backend", () => {
  let previous = "cpu";
  before(() => void (previous = activeExecutor().name));
  after(() => setExecutor(previous));
  it("interpreter", async () => {
    setExecutor("interpreter");
    await checkDivmod();
  });
  it("cpu", async () => {
    setBackend("cpu");
    await checkDivmod();
  });
  describe("webgpu", () => {
    useWebgpu();
    it("webgpu", checkDivmod);
    it("division by a constant zero is ±inf or NaN on the device, not what LLVM folds it to (NumPy parity: var with ddof = n)", async () => {
      const x = np.array([3.375, -1, -2.625]);
      expect(Array.from(await np.var(x, { ddof: 3 }).data())).to.deep.equal([inf]);
      expect(Array.from(await np.var(x, { ddof: 5 }).data())).to.deep.equal([inf]);
      expect(Array.from(await np.divide(np.sum(x), 0).data())).to.deep.equal([-inf]);
      expect(Array.from(await np.divide(np.array([1, -1, 0, NaN]), 0).data())).to.deep.equal([inf, -inf, NaN, NaN]);
      expect(Array.from(await np.divide(np.array([1, -1]), -0).data())).to.deep.equal([-inf, inf]);
      // 0/0 stays NaN when the zero dividend is itself a constant the compiler sees (an empty sum)
      expect(Array.from(await np.mean(np.zeros([0])).data())).to.deep.equal([NaN]);
      expect(Array.from(await np.var(np.array([[7], [20]], { dtype: "int32" }), { axis: 1, ddof: 1 }).data())).to.deep.equal([NaN, NaN]);
    });

    it("an integer tensor divided by 0 is ±inf or NaN too (the divisor a cast of an integer constant: NumPy random programs)", async () => {
      // np.divide(uint32, 0) casts both to float32; the cast of the constant 0u folds to the literal 0.0.
      expect(Array.from(await np.divide(np.array([0, 34], { dtype: "uint32" }), 0).data())).to.deep.equal([NaN, inf]);
      expect(Array.from(await np.divide(np.array([1, -2, 0], { dtype: "int32" }), 0).data())).to.deep.equal([inf, -inf, NaN]);
      expect(Array.from(await np.ceil(np.divide(np.array([3, 0], { dtype: "uint8" }), 0)).data())).to.deep.equal([inf, NaN]);
    });

    it("0 / x and 0 - x keep IEEE's NaNs and zero signs (the literal zero is read at run time: LLVM folded them to 0 and -x)", async () => {
      const x = np.array([0, 2, -3, Infinity, -0]);
      const show = (v: ArrayLike<number>) => Array.from(v, (e) => (Object.is(e, -0) ? "-0" : e));
      expect(show(await np.divide(0, x).data())).to.deep.equal([NaN, 0, "-0", 0, NaN]);
      expect(show(await np.subtract(0, x).data())).to.deep.equal([0, -2, 3, -inf, 0]);
      expect(show(await np.divide(0, np.array([0, 2], { dtype: "int32" })).data())).to.deep.equal([NaN, 0]);
    });
  });
});
