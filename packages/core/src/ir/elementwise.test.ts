/**
 * The row tables drive the interpreter: every row's reference runs, on every dtype its rule
 * accepts, through `interpret` (so a row wired to the wrong function, or a dtype path that
 * ignores the row's int32 variant, fails here), and every row accepts at least one dtype.
 */
import { expect } from "chai";
import {
  BINARY_OPS, BINARY_PRIMS, type BinaryRow, Commutative, DTypeError, type DType, UNARY_OPS, UNARY_PRIMS, type UnaryRow, costClassOf,
  interpret, np, npUtil,
} from "../index.js";
import { castScalar } from "../dtype.js";

const VALUES: { readonly [D in "float64" | "float32" | "int32" | "bool"]: readonly number[] } = {
  float64: [-2.5, -1, -0.3, -0, 0, 0.3, 0.5, 1, 1.5, 2.5, 7, NaN, Infinity, -Infinity],
  float32: [-2.5, -1, -0.3, -0, 0, 0.3, 0.5, 1, 1.5, 2.5, 7, NaN, Infinity, -Infinity],
  int32: [-(2 ** 31), -7, -2, -1, 0, 1, 2, 3, 7, 31, 2 ** 31 - 1],
  bool: [0, 1],
};
const DTYPES = Object.keys(VALUES) as (keyof typeof VALUES)[];

/** The value a node of `dtype` holds for the float64 number `v` (float32 rounds, int32 wraps). */
function stored(v: number, dtype: DType): number {
  return dtype === "float32" ? Math.fround(v) : dtype === "float64" ? v : castScalar(v, dtype);
}

/** Builds `build()` or returns null when the primitive's dtype rule rejects the operands. */
function tryBuild<T>(build: () => T): T | null {
  try {
    return build();
  } catch (e) {
    expect(e).to.be.instanceOf(DTypeError);
    return null;
  }
}

describe("elementwise rows: the interpreter runs each row's reference", () => {
  for (const p of UNARY_PRIMS) {
    it(`${p}`, () => {
      const row: UnaryRow = UNARY_OPS[p];
      let accepted = 0;
      for (const dtype of DTYPES) {
        const xs = VALUES[dtype].map((v) => stored(v, dtype));
        const out = tryBuild(() => npUtil.apply(p, [np.array(xs, { dtype })], {}));
        if (!out) continue;
        accepted++;
        const got = Array.from(interpret([out.node])[0]!);
        // Unary results are cast to int32 only: the interpreter does not cast a bool result, so the
        // primitive neg/abs/sign of bool operands (which np rejects) hold -1 as the function gives.
        const want = xs.map((x) => (out.dtype === "bool" ? row.f64(x) : stored(row.f64(x), out.dtype)));
        expect(got, `${p}(${dtype})`).to.deep.equal(want);
      }
      expect(accepted, `${p} accepts some dtype`).to.be.greaterThan(0);
    });
  }

  for (const p of BINARY_PRIMS) {
    it(`${p}`, () => {
      const row: BinaryRow = BINARY_OPS[p];
      let accepted = 0;
      for (const dtype of DTYPES) {
        const v = VALUES[dtype].map((x) => stored(x, dtype));
        // Every pair of values: a grid flattened into two operands.
        const as = v.flatMap((a) => v.map(() => a));
        const bs = v.flatMap(() => v);
        const out = tryBuild(() => npUtil.apply(p, [np.array(as, { dtype }), np.array(bs, { dtype })], {}));
        if (!out) continue;
        accepted++;
        const f = (dtype === "int32" && row.int32) || row.f64;
        const got = Array.from(interpret([out.node])[0]!);
        expect(got, `${p}(${dtype})`).to.deep.equal(as.map((a, i) => stored(f(a, bs[i]!), out.dtype)));
      }
      expect(accepted, `${p} accepts some dtype`).to.be.greaterThan(0);
    });
  }
});

describe("elementwise rows: derived facts", () => {
  it("Commutative holds the rows marked commutative, and they commute on every accepted dtype", () => {
    expect([...Commutative].sort()).to.deep.equal(["add", "and", "eq", "max", "min", "mul", "ne", "or"]);
    for (const p of Commutative) {
      const row = BINARY_OPS[p as keyof typeof BINARY_OPS] as BinaryRow;
      for (const f of [row.f64, row.int32].filter((g) => g !== undefined)) {
        for (const a of VALUES.int32) for (const b of VALUES.float64) expect(Object.is(f(a, b), f(b, a)) || (Number.isNaN(f(a, b)) && Number.isNaN(f(b, a))), `${p}(${a}, ${b})`).to.equal(true);
      }
    }
  });

  it("costClassOf reads the row, and is cheap for the row-less elementwise primitives", () => {
    expect(costClassOf("exp")).to.equal("transcendental");
    expect(costClassOf("rem")).to.equal("multistep");
    expect(costClassOf("add")).to.equal("cheap");
    expect(costClassOf("cast")).to.equal("cheap");
    expect(costClassOf("select")).to.equal("cheap");
  });
});
