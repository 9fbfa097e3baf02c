/**
 * The backend conformance suite: every primitive and a set of fused patterns, run on a named
 * backend and compared with the reference interpreter (float64, the executable spec). A new
 * backend runs it unchanged: `conformanceSuite("webgpu")`.
 *
 * Tolerances (|got - want| <= atol + rtol·|want|, NaN matches NaN, infinities exactly):
 *  - int32 and bool: exact.
 *  - float32: rtol 1e-5, atol 1e-6. The reference computes every intermediate in float64; a
 *    backend stores float32 at materialization points (each rounding is ≤ 6e-8 relative) and may
 *    sum in a different order. The CPU backend computes fused chains in float64 registers, so its
 *    error is one rounding per materialized value; a float32 GPU backend accumulates more and
 *    uses the `loose` tolerance of a case where one is given.
 *  - float64: rtol 1e-12, atol 1e-12 (summation order only).
 * A case may widen these (`tol`) where the math is ill-conditioned (linear solves, large sums).
 */
import { expect } from "chai";
import {
  type DType, type Node, type TypedArray, hostValues, type Prim, type Tensor as TensorT, PRIMITIVES, Tensor, hostDataNode, interpret,
  activeExecutor, realize, realizeSync, setExecutor, toTyped, bufferOf, topoSort,
} from "@kiln/core";

export interface Tol {
  readonly rtol: number;
  readonly atol: number;
}
export interface Case {
  readonly name: string;
  /** Builds the graph (lazily); several tensors are realized together in one executor call. */
  readonly build: () => TensorT | TensorT[];
  readonly tol?: Partial<Tol>;
  /** The case must fail with this error class and message fragment instead of computing. */
  readonly throws?: { readonly type: new (...a: never[]) => Error; readonly message: string };
}

/** Default tolerances per dtype (see the file comment); the differential suite uses them too. */
export const TOL: Record<DType, Tol> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float16: { rtol: 1e-3, atol: 1e-3 },
  bfloat16: { rtol: 8e-3, atol: 8e-3 },
  float64: { rtol: 1e-12, atol: 1e-12 },
  int32: { rtol: 0, atol: 0 },
  uint8: { rtol: 0, atol: 0 },
  uint32: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

// ------------------------------------------------------------------ deterministic data

/** mulberry32: a tiny seeded generator so every run sees the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A realized tensor from a generator (`f(i)` → element i). */
export function tensor(dtype: DType, shape: readonly number[], f: (i: number) => number): TensorT {
  const n = sizeOf(shape);
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = f(i);
  return new Tensor(hostDataNode(toTyped(vals, dtype), { shape, dtype }));
}

/** Values that break naive kernels: signed zeros, infinities, NaN, tiny and huge magnitudes. */
export const SPECIALS = [0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, NaN, Infinity, -Infinity, 1e-7, -3e-8, 40, -40, 1e30, -1e30];

let seed = 1;
/** Random floats in [lo, hi), with the special values mixed in when `specials` is set. */
export function floats(shape: readonly number[], opts: { dtype?: DType; lo?: number; hi?: number; specials?: boolean } = {}): TensorT {
  const r = rng(seed++);
  const { dtype = "float32", lo = -3, hi = 3, specials = false } = opts;
  return tensor(dtype, shape, (i) => (specials && i < SPECIALS.length ? SPECIALS[i]! : lo + (hi - lo) * r()));
}
export function ints(shape: readonly number[], lo = -20, hi = 20): TensorT {
  const r = rng(seed++);
  return tensor("int32", shape, () => lo + Math.floor((hi - lo) * r()));
}
export function bools(shape: readonly number[]): TensorT {
  const r = rng(seed++);
  return tensor("bool", shape, () => +(r() < 0.5));
}

// ------------------------------------------------------------------ comparison

/** One element within tolerance: NaN matches NaN, infinities exactly, else |g - w| <= atol + rtol·|w|. */
export function withinTol(g: number, w: number, tol: Tol): boolean {
  return Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w);
}

/** Compares realized values with the interpreter's, element by element, within the case's tolerance. */
function compareOutputs(c: Case, outs: readonly TensorT[], want: readonly Float64Array[], got: readonly ArrayLike<number>[], f32Tol?: Tol): void {
  outs.forEach((t, k) => {
    const dt = t.dtype;
    // Values, not storage: a float16 buffer holds half bits.
    const ref = hostValues(toTyped(want[k]!, dt), dt);
    const g0 = hostValues(got[k]! as TypedArray, dt);
    expect(g0.length, `${c.name}: output ${k} length`).to.equal(ref.length);
    const tol = { ...TOL[dt], ...(dt === "float32" && f32Tol ? f32Tol : {}), ...(dt === "float32" || dt === "float64" ? c.tol : {}) };
    for (let i = 0; i < ref.length; i++) {
      const g = g0[i]!, w = ref[i]!;
      if (!withinTol(g, w, tol)) {
        expect.fail(`${c.name}: output ${k} (${dt}[${t.shape}]) element ${i}: got ${g}, expected ${w} (rtol ${tol.rtol}, atol ${tol.atol})`);
      }
    }
  });
}

function outputsOf(c: Case): TensorT[] {
  const built = c.build();
  return Array.isArray(built) ? built : [built];
}

/**
 * The float32 tolerance of a case's graph on this backend: the widest of `contractionTol` (if it
 * has a matmul) and the `primitiveTol` of each primitive it contains; undefined for the default.
 */
function float32TolOf(nodes: readonly Node[], opts: SuiteOptions): Tol | undefined {
  if (!opts.contractionTol && !opts.primitiveTol) return undefined;
  const prims = new Set(topoSort(nodes, (n) => n.prim === "data").map((n) => n.prim));
  const tols = [...(prims.has("matmul") && opts.contractionTol ? [opts.contractionTol] : []), ...[...prims].flatMap((p) => opts.primitiveTol?.[p] ?? [])];
  if (tols.length === 0) return undefined;
  return { rtol: Math.max(...tols.map((t) => t.rtol)), atol: Math.max(...tols.map((t) => t.atol)) };
}

/** Realizes `outs` together on the active backend and compares each with the interpreter. */
export function checkCase(c: Case, opts: SuiteOptions = {}): void {
  const outs = outputsOf(c);
  if (c.throws) {
    expect(() => realizeSync(outs.map((t) => t.node), "conformance")).to.throw(c.throws.type as never, c.throws.message);
    return;
  }
  // The reference first: realization replaces the handles' graphs with buffers.
  const nodes: Node[] = outs.map((t) => t.node);
  const f32Tol = float32TolOf(nodes, opts);
  const want = interpret(nodes);
  const leaves = realizeSync(nodes, "conformance");
  compareOutputs(c, outs, want, leaves.map((n) => bufferOf(n)!.host!), f32Tol);
}

/**
 * `checkCase` for backends whose reads are asynchronous (webgpu): realizes, then reads every
 * output back with the executor's `read`.
 */
export async function checkCaseAsync(c: Case, opts: SuiteOptions = {}): Promise<void> {
  const outs = outputsOf(c);
  const nodes: Node[] = outs.map((t) => t.node);
  const f32Tol = float32TolOf(nodes, opts);
  if (c.throws) {
    let err: unknown = null;
    try {
      const leaves = await realize(nodes, "conformance");
      await Promise.all(leaves.map((n) => activeExecutor().read(bufferOf(n)!)));
    } catch (e) {
      err = e;
    }
    expect(err, `${c.name}: expected ${c.throws.type.name}`).to.be.instanceOf(c.throws.type as never);
    expect((err as Error).message).to.include(c.throws.message);
    return;
  }
  const want = interpret(nodes);
  const leaves = await realize(nodes, "conformance");
  const got = await Promise.all(leaves.map((n) => activeExecutor().read(bufferOf(n)!)));
  compareOutputs(c, outs, want, got, f32Tol);
}

export interface SuiteOptions {
  /** Read results with `await executor.read` (backends without synchronous readback). */
  readonly async?: boolean;
  /**
   * float32 tolerance of cases containing a contraction, for backends that accumulate dot products
   * in float32 (the reference accumulates in float64; the CPU backend's WebAssembly SIMD
   * microkernel and the GPU in float32): a sum of k products of magnitude ~|a||b| carries an error
   * of about sqrt(k)·2^-24·Σ|a·b|.
   */
  readonly contractionTol?: Tol;
  /**
   * float32 tolerances of cases containing a primitive, for backends whose math library is less
   * precise than float32 rounding (WebGL's sin/cos on SwiftShader); the widest applicable one wins.
   */
  readonly primitiveTol?: Partial<Record<Prim, Tol>>;
  /** Runs before the backend is made active (e.g. `await init()` to find a WebGPU adapter). */
  readonly setup?: (this: Mocha.Context) => unknown;
}

/**
 * Registers the suite for `backend`: one `it` per case, the backend active for the whole block.
 * `primitiveCases` must cover every primitive (its type makes a missing one a compile error).
 */
export function conformanceSuite(
  backend: string,
  primitiveCases: { readonly [P in Prim]: readonly Case[] },
  patternCases: readonly Case[],
  opts: SuiteOptions = {},
): void {
  const check = (c: Case) => (opts.async ? () => checkCaseAsync(c, opts) : () => checkCase(c, opts));
  describe(`backend conformance: ${backend}`, () => {
    // The backend active before the suite (the process default) is restored after it.
    let previous = "cpu";
    before(async function () {
      previous = activeExecutor().name;
      await opts.setup?.call(this);
      setExecutor(backend);
    });
    after(() => setExecutor(previous));

    it("has cases for every primitive", () => {
      const missing = (Object.keys(PRIMITIVES) as Prim[]).filter((p) => !primitiveCases[p] || primitiveCases[p].length === 0);
      expect(missing).to.deep.equal([]);
    });

    describe("primitives", () => {
      for (const p of Object.keys(primitiveCases) as Prim[]) {
        describe(p, () => {
          for (const c of primitiveCases[p]) it(c.name, check(c));
        });
      }
    });

    describe("fused patterns", () => {
      for (const c of patternCases) it(c.name, check(c));
    });
  });
}
