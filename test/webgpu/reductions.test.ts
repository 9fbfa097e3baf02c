/**
 * Reductions on webgpu against the float64 interpreter (the spec): full sums, maxima and argmax
 * of lengths around the quad and workgroup boundaries and past 2^20 (the split mapping), row and
 * column reductions of matrices both ways, int32 sums (exact), each with a fused elementwise
 * producer — under the adapter's own tuning and with vec4 quad loads forced on (the hardware
 * path, which software adapters do not take by default). Then the structure of W1: one kernel of
 * two dispatches (per-invocation partials, then their sum on the device), one submission and one
 * read per call. Reductions over an empty axis are literals (their identities), with no loop.
 */
import { expect } from "chai";
import { type Tensor, jit, np, webgpuRunStats } from "kiln";
import { interpret, npUtil } from "kiln/internal";
import { clearProgramCache } from "../../packages/backend/src/targets/webgpu/webgpu-programs.js";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { type WgslTuning } from "../../packages/backend/src/targets/webgpu/wgsl-module.js";
import { useWebgpu } from "./env.js";

/** Deterministic floats in [-1, 1) (a small LCG). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const LENGTHS = [1, 3, 4, 5, 1023, 1024, 1025, 2 ** 20 + 3];
const MATRICES: readonly [number, number][] = [[3, 30001], [30001, 3], [16, 4099], [300, 1025]];

interface Case {
  readonly name: string;
  /** The reduction (unrealized) and its error scale (null when exact), with the tolerance relative to it (default `RTOL`). */
  readonly build: () => { value: Tensor; scale: Tensor | null; rtol?: number };
}

/** A fused producer: what W1 reduces (tanh, sigmoid, a square). */
const producer = (x: Tensor) => np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(x).mul(0.1));

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of LENGTHS) {
    const x = () => np.array(values(n, n));
    out.push({ name: `sum of ${n}`, build: () => ({ value: np.sum(producer(x())), scale: np.sum(np.abs(producer(x()))) }) });
    out.push({ name: `int32 sum of ${n}`, build: () => ({ value: np.sum(x().mul(100).astype("int32").mul(3)), scale: null }) });
    if (n > 2 ** 20) continue; // the long case: sums only (the interpreter's float64 tanh of 2^20 values is slow)
    // The maximum is one of the terms, each computed by float32 tanh and sigmoid within a few ulps
    // (docs/webgpu.md "Numerics"), not bit for bit as the float64 interpreter rounds them.
    out.push({ name: `max of ${n}`, build: () => ({ value: np.max(producer(x())), scale: np.max(np.abs(producer(x()))), rtol: MAX_RTOL }) });
    out.push({ name: `argmax of ${n}`, build: () => ({ value: np.argmax(x().mul(3)), scale: null }) });
  }
  for (const [r, c] of MATRICES) {
    const m = () => np.array(values(r * c, r + c), { shape: [r, c] });
    for (const axis of [0, 1]) {
      out.push({ name: `sum over axis ${axis} of ${r}x${c}`, build: () => ({ value: np.sum(producer(m()), { axis }), scale: np.sum(np.abs(producer(m())), { axis }) }) });
      out.push({ name: `argmax over axis ${axis} of ${r}x${c}`, build: () => ({ value: np.argmax(m(), { axis }), scale: null }) });
    }
  }
  return out;
}

/** Float32 sums carry rounding: within 2^-24 · (terms per invocation + the tree's depth) of the magnitudes' sum, with room (3e-5). */
const RTOL = 3e-5;
/** A maximum of float32 terms: 16 ulp of the largest magnitude (the terms' own float32 errors). */
const MAX_RTOL = 2 ** -20;

async function check(c: Case): Promise<void> {
  const { value, scale, rtol = RTOL } = c.build();
  const [want, bound] = interpret(scale ? [value.node, scale.node] : [value.node]);
  const got = await value.data();
  expect(got.length, c.name).to.equal(want!.length);
  for (let i = 0; i < got.length; i++) {
    const tol = bound ? rtol * bound[i]! : 0;
    expect(Math.abs(Number(got[i]) - want![i]!), `${c.name}[${i}]: ${got[i]} vs ${want![i]}`).to.be.at.most(tol);
  }
}

describe("webgpu reductions against the float64 interpreter", function () {
  this.timeout(300_000);
  useWebgpu();

  for (const quads of [false, true]) {
    describe(quads ? "vec4 quad loads forced on" : "the adapter's tuning", () => {
      let saved: WgslTuning | null = null;
      before(() => {
        const ctx = currentGpu()!;
        saved = ctx.tuning;
        (ctx as { tuning: WgslTuning }).tuning = { ...saved, quadLoads: quads || saved.quadLoads };
        clearProgramCache(); // programs are cached by kernel, not by tuning
      });
      after(() => {
        const ctx = currentGpu();
        if (ctx && saved) (ctx as { tuning: WgslTuning }).tuning = saved;
        clearProgramCache();
      });
      for (const c of cases()) it(c.name, () => check(c));
    });
  }

  it("a split sum adds the same elements in the same order whatever the unrolling: the same bits, run to run", async () => {
    const ctx = currentGpu()!, saved = ctx.tuning;
    const sum = jit((t: Tensor) => np.sum(producer(t)));
    const x = np.array(values(2 ** 20 + 777, 3)).add(0);
    await x.data();
    const bits: number[] = [];
    try {
      for (const splitUnroll of [1, 2, 4, 1, 4]) {
        (ctx as { tuning: WgslTuning }).tuning = { ...saved, quadLoads: false, splitUnroll };
        clearProgramCache();
        sum.clearCache();
        bits.push(new Uint32Array(Float32Array.of(await (sum(x) as Tensor).item()).buffer)[0]!);
      }
    } finally {
      (ctx as { tuning: WgslTuning }).tuning = saved;
      clearProgramCache();
    }
    expect(new Set(bits).size, bits.map((b) => b.toString(16)).join(" ")).to.equal(1);
  });

  it("reductions over an empty axis are their identities, as literals: sums 0, products 1, max -inf, min +inf; mean, var and the nan* statistics NaN", async () => {
    const empty = np.zeros([3, 0]), none = np.zeros([0]);
    const got = async (t: Tensor) => Array.from(await t.data());
    expect(await got(np.sum(empty, { axis: 1 }))).to.deep.equal([0, 0, 0]);
    expect(await got(np.prod(empty, { axis: 1 }))).to.deep.equal([1, 1, 1]);
    // np.max/np.min refuse an empty reduction (as NumPy); the primitives have identities.
    const prim = (p: "reduceMax" | "reduceMin", t: Tensor) => npUtil.apply(p, [t], { axes: [1] });
    expect(await got(prim("reduceMax", empty))).to.deep.equal([-Infinity, -Infinity, -Infinity]);
    expect(await got(prim("reduceMin", empty))).to.deep.equal([Infinity, Infinity, Infinity]);
    expect(await got(np.sum(np.zeros([0], { dtype: "int32" })))).to.deep.equal([0]);
    expect(await got(np.nansum(none))).to.deep.equal([0]);
    // A 0 / 0 the shader compiler could see as one (zero-trip loops fused with the division) came out 0 on llvmpipe.
    for (const f of [np.mean, np.var, np.std, np.nanmean, np.nanvar, np.nanstd] as const) {
      expect(Number.isNaN(await f(none).item()), f.name).to.equal(true);
      expect((await got(f(empty, { axis: 1 }))).every(Number.isNaN), `${f.name} over axis 1`).to.equal(true);
    }
    // Under jit too, with ddof: 0 / max(0 - ddof, 0) on literals folds to NaN at lowering (llvmpipe's
    // finite math folded the division it was left with to 0).
    for (const f of [np.nanvar, np.nanstd] as const) {
      expect(Number.isNaN(await (jit((t: Tensor) => f(t))(none) as Tensor).item()), `jit ${f.name}`).to.equal(true);
      expect(Number.isNaN(await (jit((t: Tensor) => f(t, { ddof: 1 }))(none) as Tensor).item()), `jit ${f.name} ddof 1`).to.equal(true);
    }
    // The reduction is gone from the kernel: no loop over the empty axis is rendered.
    const low = jit((t: Tensor) => prim("reduceMax", np.tanh(t)).add(np.sum(t.mul(2), { axis: 1 }))).lower(empty);
    expect(low.kernels.map((k) => k.source).join("\n")).to.not.match(/\bfor \(/);
  });

  it("W1 compiles to the split form: per-invocation partials, their sum on the device, one submission and one read per call", async () => {
    const w1 = jit((t: Tensor) => np.sum(producer(t)));
    const x = np.array(values(2 ** 20, 7)).add(0);
    await x.data();
    const low = w1.lower(x);
    expect(low.kernels).to.have.length(1);
    const dispatches = low.kernels[0]!.source.split(/^\/\/ \S+: dispatch \d+ of \d+.*$/m).slice(1);
    expect(dispatches).to.have.length(2);
    expect(dispatches[0]).to.match(/part_\[o_ \* \d+ \+ i_\] = /).and.not.contain("workgroupBarrier");
    // The adapter's loads: vec4 quads (hardware), or splitUnroll elements per loop iteration.
    const t = currentGpu()!.tuning, copies = dispatches[0]!.match(/\btanh_\(/g)?.length ?? 0;
    if (t.quadLoads) expect(dispatches[0]).to.contain("vec4<f32>");
    else expect(copies - 1, "tanh_ calls beside its declaration").to.equal(t.splitUnroll > 1 ? t.splitUnroll + 1 : 1);
    expect(dispatches[1]).to.contain("var<storage, read> part_").and.match(/b0\[0\] = /);
    expect((low.stats as { submissions?: number }).submissions).to.equal(1);
    await (w1(x) as Tensor).item();
    const before = webgpuRunStats();
    for (let i = 0; i < 3; i++) await (w1(x) as Tensor).item();
    const after = webgpuRunStats();
    expect(after.submissions - before.submissions).to.equal(3);
    expect(after.reads - before.reads).to.equal(3);
  });
});
