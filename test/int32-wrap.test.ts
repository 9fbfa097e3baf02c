/**
 * int32 contractions and products wrap like int32 arithmetic (NumPy's values), on every backend:
 * a float64 sum of products, or a float64 running product, loses bits once it passes 2^53, so
 * wrapping only the final result gives the wrong int32 (differential suite, entry 101). Expected
 * values are NumPy's, or exact BigInt arithmetic reduced modulo 2^32.
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { activeExecutor, setExecutor } from "kiln/internal";
import { destroyGpu } from "@kiln/backend";
import { requireWebgpu } from "./webgpu/env.js";
import { useCpu } from "./util.js";

/** x as a signed 32-bit integer (exact: BigInt). */
const wrap32 = (x: bigint) => Number(BigInt.asIntN(32, x));

/** Full-range int32 values from a seeded LCG (products far past 2^53). */
function int32s(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) | 0));
}

/** Exact [m,k] @ [k,n] of row-major int32 values, wrapped to int32. */
function matmulRef(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += BigInt(a[i * k + p]!) * BigInt(b[p * n + j]!);
      out.push(wrap32(s));
    }
  }
  return out;
}

const PROD_VALUES = [10, 1, -2, -17, 7, -19, 18, 1, -17, -20, -15, -11, 9, -12, -9, 19, 7, 16, -6, 4, -11, 10, -8, -6];

interface WrapCase {
  readonly name: string;
  readonly run: () => Tensor;
  readonly want: () => number[];
}

const i32 = (v: unknown) => np.array(v as number[], { dtype: "int32" });
const flat = async (t: Tensor) => Array.from(await t.data());

const CASES: readonly WrapCase[] = [
  {
    name: "np.dot of [-14,-20,-2^31,-19] with itself is 957 (NumPy), not 1024",
    run: () => { const a = i32([-14, -20, -2147483648, -19]); return np.dot(a, a); },
    want: () => [957],
  },
  {
    name: "np.matmul([[2^31-1]], [[2^31-1]]) is 1",
    run: () => np.matmul(i32([[2147483647]]), i32([[2147483647]])),
    want: () => [1],
  },
  {
    name: "np.prod of 24 small int32 values is -1749549056 (NumPy)",
    run: () => np.prod(i32(PROD_VALUES)),
    want: () => [-1749549056],
  },
  {
    name: "np.prod over an axis of full-range int32 values",
    run: () => np.prod(i32(int32s(12, 7)).reshape([3, 4]), { axis: 1 }),
    want: () => { const v = int32s(12, 7); return [0, 1, 2].map((r) => wrap32(v.slice(r * 4, r * 4 + 4).reduce((p, x) => BigInt.asIntN(32, p * BigInt(x)), 1n))); },
  },
  {
    name: "np.einsum('abcd,abcd->bcd') of full-range int32 values",
    run: () => { const x = i32(int32s(24, 3)).reshape([3, 2, 2, 2]); return np.einsum("abcd,abcd->bcd", x, x); },
    want: () => { const v = int32s(24, 3); return Array.from({ length: 8 }, (_, j) => wrap32([0, 1, 2].reduce((s, a) => s + BigInt(v[a * 8 + j]!) ** 2n, 0n))); },
  },
  {
    // Large enough for the packed, register-tiled contraction kernel (lower-contraction.ts), ragged edges included.
    name: "a [41,30] @ [30,37] contraction of full-range int32 values",
    run: () => np.matmul(i32(int32s(41 * 30, 11)).reshape([41, 30]), i32(int32s(30 * 37, 12)).reshape([30, 37])),
    want: () => matmulRef(int32s(41 * 30, 11), int32s(30 * 37, 12), 41, 30, 37),
  },
  {
    name: "a batched [2,5,6] @ [2,6,3] contraction of full-range int32 values",
    run: () => np.matmul(i32(int32s(60, 21)).reshape([2, 5, 6]), i32(int32s(36, 22)).reshape([2, 6, 3])),
    want: () => {
      const a = int32s(60, 21), b = int32s(36, 22);
      return [0, 1].flatMap((t) => matmulRef(a.slice(t * 30, t * 30 + 30), b.slice(t * 18, t * 18 + 18), 5, 6, 3));
    },
  },
];

function wrapSuite(): void {
  for (const c of CASES) {
    it(c.name, async () => {
      expect(await flat(c.run())).to.deep.equal(c.want());
      expect(await flat(jit(c.run)())).to.deep.equal(c.want(), "jit");
    });
  }
}

describe("int32 contractions and products wrap (cpu)", () => {
  useCpu();
  wrapSuite();
});

describe("int32 contractions and products wrap (webgpu)", () => {
  let previous = "";
  before(async function () {
    previous = activeExecutor().name;
    await requireWebgpu.call(this);
  });
  after(() => {
    setExecutor(previous);
    destroyGpu();
  });
  wrapSuite();
});
