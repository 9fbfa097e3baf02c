/**
 * Test assertions for kiln's unit tests, inside core so that a package's tests need nothing above
 * it (core's tests used to import test/util.ts, which loads the whole umbrella). Not part of the
 * built package: packages/core/tsconfig.json excludes it, and `@kiln/core/testing` resolves only
 * under the workspace's `kiln-source` condition. test/util.ts re-exports it for the cross-package
 * suites.
 */
import { expect } from "chai";
import { Tensor } from "./tensor.js";

/** Nested JS numbers/booleans, as `toArray()` gives or a test writes expected values. */
export type Nested = number | boolean | Nested[];

function flat(v: Nested | Float32Array | Float64Array | Int32Array | Uint8Array): number[] {
  if (typeof v === "number") return [v];
  if (typeof v === "boolean") return [+v];
  if (ArrayBuffer.isView(v)) return Array.from(v as Float64Array);
  return (v as Nested[]).flatMap((e) => flat(e));
}

function shapeOfNested(v: Nested): number[] {
  const s: number[] = [];
  let c: Nested = v;
  while (Array.isArray(c)) {
    s.push(c.length);
    c = c[0] as Nested;
  }
  return s;
}

/**
 * Asserts `actual` is close to `expected` elementwise: |a - e| <= atol + rtol * |e|.
 * NaN matches NaN; infinities must match exactly. When `actual` is a Tensor and `expected` is
 * nested arrays, the shapes must agree too.
 */
export function expectClose(actual: Tensor | Nested, expected: Nested | Float64Array, opts: { rtol?: number; atol?: number } = {}): void {
  const { rtol = 1e-5, atol = 1e-6 } = opts;
  let a: number[];
  if (actual instanceof Tensor) {
    if (!ArrayBuffer.isView(expected)) expect(actual.shape, "shape").to.deep.equal(shapeOfNested(expected as Nested));
    a = Array.from(actual.dataSync() as Float32Array);
  } else a = flat(actual);
  const e = flat(expected as Nested);
  expect(a.length, "number of elements").to.equal(e.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = e[i]!;
    if (Number.isNaN(y)) {
      expect(Number.isNaN(x), `element ${i}: expected NaN, got ${x}`).to.equal(true);
      continue;
    }
    if (!Number.isFinite(y)) {
      expect(x, `element ${i}`).to.equal(y);
      continue;
    }
    const ok = Math.abs(x - y) <= atol + rtol * Math.abs(y);
    expect(ok, `element ${i}: got ${x}, expected ${y} (rtol ${rtol}, atol ${atol})\nactual:   ${a.slice(0, 20)}\nexpected: ${e.slice(0, 20)}`).to.equal(true);
  }
}
