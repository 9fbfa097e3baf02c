/**
 * Reductions on webgpu against the float64 interpreter (the spec): full sums, maxima and argmax
 * of lengths around the quad and workgroup boundaries and past 2^20 (the split mapping), row and
 * column reductions of matrices both ways, int32 sums (exact), each with a fused elementwise
 * producer — under the adapter's own tuning and with vec4 quad loads forced on (the hardware
 * path, which software adapters do not take by default). Then the structure of W1: one kernel of
 * two dispatches (per-invocation partials, then their sum on the device), one submission and one
 * read per call.
 */
import { expect } from "chai";
import { type Tensor, jit, np, webgpuRunStats } from "kiln";
import { interpret } from "kiln/internal";
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
