/**
 * Shared test assertions: compare a Tensor (or nested numbers) against expected values with a
 * tolerance, reporting the first mismatching index. Built on chai.
 */
import { expect } from "chai";
import { Tensor, grad, np } from "kiln";

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

/** A float64 tensor of distinct, non-integral values (no ties), deterministic per seed. */
export function sample(shape: readonly number[], seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.7 + 0.05 * i);
  return np.reshape(np.array(v, { dtype: "float64" }), [...shape]);
}

/**
 * grad of sum(f(x) * w) (fixed weights, so no symmetric cancellation) against central finite
 * differences in float64, at `sample(shape)`.
 */
export function checkGradFd(name: string, f: (x: Tensor) => Tensor, shape: number[]): void {
  const x = sample(shape);
  const loss = (t: Tensor) => {
    const y = f(t);
    return np.sum(np.multiply(y, sample(y.shape, 7)));
  };
  const g = Array.from((grad(loss)(x) as Tensor).dataSync());
  const values = Array.from(x.dataSync());
  const h = 1e-6;
  values.forEach((v, i) => {
    const at = (d: number) => loss(np.reshape(np.array(values.map((u, j) => (j === i ? v + d : u)), { dtype: "float64" }), shape)).itemSync();
    const fd = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(g[i]! - fd), `${name}: d/dx[${i}] = ${g[i]} vs finite difference ${fd}`).to.be.below(1e-5 * (1 + Math.abs(fd)));
  });
}
