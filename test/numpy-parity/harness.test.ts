/** The parity harness itself: it can fail (wrong dtype, shape, value, NaN, missing error). */
import { expect } from "chai";
import { TOLERANCES, check, compare, loadFixtures, type ParityCase } from "./fixtures.js";
import { PARITY_DEVIATIONS } from "./deviations.js";
import { useCpu } from "../util.js";

describe("numpy parity harness", () => {
  useCpu();
  const f32 = TOLERANCES.f32;

  it("compare flags a different dtype, shape, value or NaN position", () => {
    const want = { d: "float32", s: [2], v: [1, "nan"] } as const;
    expect(compare(want, { dtype: "float32", shape: [2], values: [1, NaN] }, f32)).to.equal(null);
    expect(compare(want, { dtype: "int32", shape: [2], values: [1, NaN] }, f32)).to.match(/dtype/);
    expect(compare(want, { dtype: "float32", shape: [1, 2], values: [1, NaN] }, f32)).to.match(/shape/);
    expect(compare(want, { dtype: "float32", shape: [2], values: [1.001, NaN] }, f32)).to.match(/values/);
    expect(compare(want, { dtype: "float32", shape: [2], values: [1, 0] }, f32)).to.match(/values/);
    expect(compare({ d: "int32", s: [], v: [3] }, { dtype: "int32", shape: [], values: [3.0000001] }, f32)).to.match(/values/);
  });

  it("a case with a wrong expectation fails, and an expected error must be raised", async () => {
    const good: ParityCase = { id: "t#0", fn: "add", args: [{ d: "int32", s: [2], v: [1, 2] }, { py: 3 }], tol: "f32", want: { d: "int32", s: [2], v: [4, 5] } };
    expect(await check(good, "eager", f32)).to.equal(null);
    expect(await check(good, "jit", f32)).to.equal(null);
    expect(await check({ ...good, want: { d: "int32", s: [2], v: [4, 6] } }, "jit", f32)).to.match(/values/);
    expect(await check({ ...good, want: { error: "ValueError" } }, "eager", f32)).to.match(/no error/);
  });

  it("fixtures record their NumPy version, and deviation ids are unique", () => {
    const files = loadFixtures();
    expect(files.size).to.be.greaterThan(3);
    for (const f of files.values()) expect(f.numpy).to.match(/^2\./);
    const ids = PARITY_DEVIATIONS.map((d) => d.id);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
