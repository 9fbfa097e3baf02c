/** NumPy random programs on cpu with JavaScript kernels only (by default wasm starts at 4096 elements). */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { setWasmMinElements } from "@kiln/backend";
import { useCpu } from "../util.js";
import { compareOutput, npdiffSuite } from "./suite.js";
import { NPDIFF_DEVIATIONS, npdiffDeviationFor, renderNpdiffDeviations } from "./deviations.js";

describe("numpy programs: cpu (JS kernels)", () => {
  useCpu();
  before(() => setWasmMinElements(Infinity));
  after(() => setWasmMinElements());
  npdiffSuite("cpu");
});

describe("numpy programs: the harness", () => {
  const never = () => false;
  const got = (dtype: string, values: number[], shape = [values.length]) => ({ dtype, shape, values });

  it("flags a wrong dtype, shape, value, NaN position or sign of zero, and accepts float32 rounding", () => {
    const want = { d: "float32", s: [3], v: [1, "nan", "-0"] } as const;
    expect(compareOutput(want, got("float32", [1 + 1e-6, NaN, -0]), new Set(), never)).to.equal(null);
    expect(compareOutput(want, got("float16", [1, NaN, -0]), new Set(), never)).to.match(/dtype/);
    expect(compareOutput(want, got("float32", [1, NaN, -0], [1, 3]), new Set(), never)).to.match(/shape/);
    expect(compareOutput(want, got("float32", [1.001, NaN, -0]), new Set(), never)).to.match(/values \[0\]/);
    expect(compareOutput(want, got("float32", [1, 0, -0]), new Set(), never)).to.match(/values \[1\]/);
    expect(compareOutput(want, got("float32", [1, NaN, 0]), new Set(), never)).to.match(/values \[2\] 0 want -0/);
    expect(compareOutput({ d: "int32", s: [1], v: [7] }, got("int32", [8]), new Set(), never)).to.match(/values/);
    // An unstable element is not compared; an excused one is not reported.
    expect(compareOutput({ d: "int32", s: [1], v: [7] }, got("int32", [8]), new Set([0]), never)).to.equal(null);
    expect(compareOutput({ d: "int32", s: [1], v: [7] }, got("int32", [8]), new Set(), () => true)).to.equal(null);
  });

  it("a deviation excuses only the elements it describes", () => {
    const base = { backend: "cpu", mode: "eager", calls: ["add"], dtype: "int32", got: 0, want: -2147483648, undefinedCast: false } as const;
    expect(npdiffDeviationFor(base)).to.equal(null);
    expect(npdiffDeviationFor({ ...base, undefinedCast: true })?.id).to.equal("float-to-int-out-of-range");
    expect(npdiffDeviationFor({ ...base, dtype: "float32", got: 0, want: -0, calls: ["maximum"] })?.id).to.equal("max-min-zero-sign");
    expect(npdiffDeviationFor({ ...base, dtype: "float32", got: 0, want: NaN, foldable: true })).to.equal(null); // webgpu only
    expect(npdiffDeviationFor({ ...base, backend: "webgpu", dtype: "float32", got: 0, want: NaN, foldable: true })?.id).to.equal("webgpu-finite-math");
    expect(new Set(NPDIFF_DEVIATIONS.map((d) => d.id)).size).to.equal(NPDIFF_DEVIATIONS.length);
  });

  it("docs/numerics.md lists exactly the declared deviations", () => {
    const page = readFileSync(new URL("../../docs/numerics.md", import.meta.url), "utf8");
    const block = /<!-- npdiff-deviations:start -->\n([\s\S]*?)\n<!-- npdiff-deviations:end -->/.exec(page)?.[1];
    expect(block, "the npdiff-deviations block of docs/numerics.md").to.equal(renderNpdiffDeviations());
  });
});
