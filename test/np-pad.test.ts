/**
 * np.pad's modes against NumPy (tes./fixtures/pad/numpy.json, scripts/pad-fixtures.py), and under
 * the transforms: gradients against finite differences, jit and vmap against eager.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { type DType, type Tensor, ValueError, ShapeError, grad, jit, np, vmap } from "kiln";

type PadOptions = NonNullable<Parameters<typeof np.pad>[3]>;
import { checkGradFd } from "./util.js";

interface Case {
  x: unknown; dtype: DType; pw: never; mode: never; kw: Record<string, unknown>; out: unknown; shape: number[];
}
const CASES = JSON.parse(readFileSync(new URL("./fixtures/pad/numpy.json", import.meta.url), "utf8")) as Case[];
const CAMEL: Record<string, keyof PadOptions> = { reflect_type: "reflectType", stat_length: "statLength", end_values: "endValues", constant_values: "constantValues" };
const optsOf = (kw: Record<string, unknown>): PadOptions => Object.fromEntries(Object.entries(kw).map(([k, v]) => [CAMEL[k]!, v])) as PadOptions;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

describe("np.pad modes", () => {
  it(`matches NumPy on ${CASES.length} cases (every mode, widths past the axis length, odd reflection, statLength, endValues, ints)`, () => {
    for (const c of CASES) {
      const got = np.pad(np.array(c.x as number[], { dtype: c.dtype }), c.pw, c.mode, optsOf(c.kw));
      const what = `${c.mode} ${JSON.stringify(c.pw)} ${JSON.stringify(c.kw)} ${c.dtype}`;
      expect(got.shape, what).to.deep.equal(c.shape);
      expect(got.dtype, what).to.equal(c.dtype);
      const g = flat(got.toArraySync()), w = flat(c.out);
      g.forEach((v, i) => expect(Math.abs(v - w[i]!), `${what} [${i}]: ${v} vs ${w[i]}`).to.be.at.most(1e-5 * Math.max(1, Math.abs(w[i]!))));
    }
  });

  it("the mode is the third positional argument or the option 'mode'; constant stays one pad node", () => {
    const x = np.array([1, 2, 3]);
    expect(np.pad(x, 2, "reflect").toArraySync()).to.deep.equal([3, 2, 1, 2, 3, 2, 1]);
    expect(np.pad(x, [1, 1], { mode: "edge" }).toArraySync()).to.deep.equal([1, 1, 2, 3, 3]);
    expect(np.pad(x, [1, 2], { constantValues: 9 }).toArraySync()).to.deep.equal([9, 1, 2, 3, 9, 9]);
    expect(np.pad(x, 1, "wrap", {}).toArraySync()).to.deep.equal([3, 1, 2, 3, 1]);
    expect(np.pad(x, 1, "empty").toArraySync()).to.deep.equal([0, 1, 2, 3, 0]);
  });

  it("bad modes and options are ValueErrors that name them", () => {
    const x = np.array([1, 2, 3]);
    expect(() => np.pad(x, 1, "mirror" as never)).to.throw(ValueError, /mode must be one of .*"reflect".*mirror/);
    expect(() => np.pad(x, 1, "edge", { constantValues: 1 })).to.throw(ValueError, /'constantValues' applies to mode constant/);
    expect(() => np.pad(x, 1, "reflect", { reflectType: "weird" as never })).to.throw(ValueError, /reflectType/);
    expect(() => np.pad(x, 1, "mean", { statLength: -1 })).to.throw(ValueError, /statLength/);
    expect(() => np.pad(x, 1, "mean", { statLength: 0 })).to.throw(ValueError, /statLength of 0/);
    expect(() => np.pad(x, 1, { mode: "edge" }, { mode: "wrap" })).to.throw(ValueError, /mode is given once/);
    expect(() => np.pad(x, 1, "edge", { modes: 1 } as never)).to.throw(ValueError, /unknown option 'modes'/);
    expect(() => np.pad(np.zeros([0, 2]), 1, "edge")).to.throw(ValueError, /empty axis 0/);
    expect(np.pad(np.zeros([0, 2]), 1).shape).to.deep.equal([2, 4]);
    expect(() => np.pad(np.zeros([2, 2]), [[1, 1], [1, 1], [1, 1]], "edge")).to.throw(ShapeError, /3 \[before, after\] pairs/);
  });

  it("every mode differentiates (finite differences), and jit and vmap give the eager values", () => {
    const modes: [string, PadOptions][] = [
      ["constant", { constantValues: 2 }], ["edge", {}], ["reflect", {}], ["symmetric", { reflectType: "odd" }], ["wrap", {}],
      ["linear_ramp", { endValues: 1 }], ["maximum", {}], ["minimum", { statLength: 2 }], ["mean", {}], ["median", {}],
    ];
    const x = np.array([[0.3, -1.2, 2.5, 0.9], [1.7, 0.4, -0.6, 3.1], [-2.2, 1.1, 0.8, -0.3]]);
    for (const [mode, opts] of modes) {
      const f = (t: Tensor) => np.sum(np.sin(np.pad(t, [[2, 1], [3, 5]], mode as never, opts)));
      checkGradFd(`pad ${mode}`, (t) => np.pad(t, [[2, 1], [3, 5]], mode as never, opts), [3, 4]);
      const eager = np.pad(x, [[2, 1], [3, 5]], mode as never, opts).toArraySync();
      expect(jit((t: Tensor) => np.pad(t, [[2, 1], [3, 5]], mode as never, opts))(x).toArraySync(), mode).to.deep.equal(eager);
      const rows = vmap((r: Tensor) => np.pad(r, [3, 5], mode as never, opts))(x).toArraySync() as number[][];
      rows.forEach((r, i) => expect(r, `${mode} row ${i}`).to.deep.equal(np.pad(x.get(i), [3, 5], mode as never, opts).toArraySync()));
      expect(grad(f)(x).shape).to.deep.equal([3, 4]);
    }
  });
});
