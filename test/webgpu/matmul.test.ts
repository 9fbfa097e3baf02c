/**
 * Contraction strategies on webgpu (targets/webgpu/wgsl-matmul.ts) and their per-adapter tuning
 * (targets/webgpu/webgpu-tune.ts). Each strategy is forced through the public tuner (a one-candidate
 * tuning table) and checked against float64 loops in plain JS over awkward shapes: batches, sizes
 * that are not multiples of the tiles, panels or the shared-memory k-chunk, fused prologues and
 * epilogues, a transposed operand. The tuner's report, table and persistence are checked too.
 */
import { expect } from "chai";
import { BackendUnavailableError, type Tensor, ValueError, jit, np, slice } from "kiln";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { clearWebgpuCache, destroyGpu, init, setBackend, setWgslSourceStore, tuneWebgpu, type MatmulChoice } from "@kiln/backend";
import { useWebgpu } from "./env.js";

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** float64 reference of relu(exp(0.5·a) @ bᵀ + 0.25) for a [B,m,k], b [B,n,k]. */
function reference(a: Float32Array, b: Float32Array, [B, m, k, n]: number[]): Float64Array {
  const out = new Float64Array(B * m * n);
  for (let t = 0; t < B; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += Math.exp(0.5 * a[(t * m + i) * k + p]!) * b[(t * n + j) * k + p]!;
        out[(t * m + i) * n + j] = Math.max(0, s + 0.25);
      }
    }
  }
  return out;
}

const f = (a: Tensor, b: Tensor) => np.maximum(np.matmul(np.exp(a.mul(0.5)), np.swapaxes(b, -1, -2)).add(0.25), 0);

/** Makes `choice` the device's only contraction strategy and drops compiled programs. */
async function force(choice: Omit<MatmulChoice, "upTo">): Promise<void> {
  const report = await tuneWebgpu({ sizes: [64], candidates: [choice] });
  expect(report.table).to.deep.equal([{ ...choice, upTo: Number.MAX_SAFE_INTEGER }]);
  clearWebgpuCache();
}

const SHAPES: [number, number, number, number][] = [[1, 64, 64, 64], [2, 33, 37, 65], [1, 130, 17, 70], [3, 20, 100, 36], [1, 96, 200, 40]];

describe("webgpu: contraction strategies and their tuning", function () {
  this.timeout(180_000);
  useWebgpu();

  const strategies: Omit<MatmulChoice, "upTo">[] = [
    { strategy: "direct", tm: 8, tn: 8 }, { strategy: "direct", tm: 4, tn: 16 },
    { strategy: "packed", tm: 8, tn: 8 }, { strategy: "packed", tm: 16, tn: 32 },
    { strategy: "shared", tm: 4, tn: 4 }, { strategy: "shared", tm: 8, tn: 4 },
  ];
  for (const choice of strategies) {
    it(`${choice.strategy} ${choice.tm}x${choice.tn}: fused matmuls match float64 on awkward shapes`, async () => {
      await force(choice);
      const step = jit(f);
      for (const shape of SHAPES) {
        const [B, m, k, n] = shape;
        const a = values(B * m * k, m + k), b = values(B * n * k, n * 7 + k);
        const got = await step(np.array(Array.from(a)).reshape([B, m, k]), np.array(Array.from(b)).reshape([B, n, k])).data();
        const want = reference(a, b, shape);
        let worst = 0;
        want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i]! - w) / (1 + Math.abs(w)))));
        expect(worst, `shape ${shape}`).to.be.below(2e-5);
      }
      const src = step.lower(np.zeros([2, 33, 37]), np.zeros([2, 65, 37])).kernels.map((kk) => kk.source).join("\n");
      const dispatches = Number(/dispatch 1 of (\d+)/.exec(src)?.[1]);
      expect(dispatches).to.equal(choice.strategy === "direct" ? 1 : 3);
      expect(src.includes("workgroupBarrier")).to.equal(choice.strategy === "shared");
      expect(src.includes("fn pa_(")).to.equal(choice.strategy === "direct");
    });
  }

  it("packed, few tiles and a long k: the tile phase is split over k (many workgroups), matches float64 and gives the same bits every run", async () => {
    await force({ strategy: "packed", tm: 16, tn: 16 });
    const step = jit(f);
    // [B, m, k, n]: a weight-gradient-like 9×16 and 37×10 (odd edges) with k in the thousands, k not a multiple of anything.
    for (const shape of [[1, 9, 6001, 16], [2, 37, 3001, 10]] as [number, number, number, number][]) {
      const [B, m, k, n] = shape;
      const a = values(B * m * k, m + k), b = values(B * n * k, n * 7 + k);
      const at = np.array(Array.from(a)).reshape([B, m, k]), bt = np.array(Array.from(b)).reshape([B, n, k]);
      const src = step.lower(at, bt).kernels.map((kk) => kk.source).join("\n");
      expect(Number(/dispatch 1 of (\d+)/.exec(src)?.[1]), `${shape}: pack A, pack B, partial tiles, finish`).to.equal(4);
      const tileGroups = /dispatch 3 of 4, workgroups \[(\d+),(\d+),(\d+)\]/.exec(src)!.slice(1).reduce((x, y) => x * Number(y), 1);
      expect(tileGroups, `${shape}: workgroups of the tile phase`).to.be.at.least(8);
      const got = await step(at, bt).data();
      // float32 sums of thousands of terms: the bound scales with the sum of the terms' magnitudes.
      for (let t = 0; t < B; t++) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0, mag = 0;
            for (let p = 0; p < k; p++) {
              const term = Math.exp(0.5 * a[(t * m + i) * k + p]!) * b[(t * n + j) * k + p]!;
              (s += term), (mag += Math.abs(term));
            }
            expect(got[(t * m + i) * n + j]!, `${shape} [${t},${i},${j}]`).to.be.closeTo(Math.max(0, s + 0.25), 1e-6 * (1 + mag));
          }
        }
      }
      const again = await step(at, bt).data();
      expect(Array.from(again), `${shape}: run to run`).to.deep.equal(Array.from(got));
    }
  });

  it("packed: panels packed a quad per invocation; the epilogue stores quads where m and n are multiples of 4, per element otherwise", async () => {
    await force({ strategy: "packed", tm: 16, tn: 16 });
    const step = jit(f);
    // [B, m, k, n] → whether the tile dispatch stores quads through epq_. Values: the strategies test above (same f, same shapes).
    for (const [shape, quads] of [[[3, 20, 100, 36], true], [[2, 33, 37, 65], false], [[1, 96, 200, 40], true], [[1, 64, 48, 42], false]] as const) {
      const [B, m, k, n] = shape;
      const a = values(B * m * k, 5), b = values(B * n * k, 6);
      const at = np.array(a, { shape: [B, m, k] }), bt = np.array(b, { shape: [B, n, k] }); // float32: on the device
      const kernel = step.lower(at, bt).kernels.find((kk) => kk.name.startsWith("matmul_"))!;
      expect(kernel.backend, `${shape}`).to.equal("webgpu");
      const dispatches = kernel.source.split(/\n(?=\/\/ matmul_)/);
      expect(dispatches, `${shape}`).to.have.length(3);
      for (const d of dispatches.slice(0, 2)) {
        expect(d, `${shape}: packing`).to.include("fn pk_(");
        expect(d, `${shape}: packing`).to.match(/read_write> b\d+: array<vec4<f32>>/);
      }
      expect(dispatches[2]!.includes("fn epq_("), `${shape}: quad epilogue`).to.equal(quads);
      expect(dispatches[2]!.includes("fn epilogue_("), `${shape}: scalar epilogue`).to.equal(!quads);
      const got = await step(at, bt).data();
      const want = reference(a, b, [...shape]);
      want.forEach((w, i) => expect(Math.abs(got[i]! - w) / (1 + Math.abs(w)), `${shape} [${i}]`).to.be.below(2e-5));
    }
  });

  it("direct: B is read as vec4s where its columns are contiguous and aligned, as scalars otherwise", async () => {
    await force({ strategy: "direct", tm: 8, tn: 8 });
    const cases: { name: string; f: (a: Tensor, b: Tensor) => Tensor; a: number[]; b: number[]; vec4: boolean; ref: (A: Float32Array, B: Float32Array, i: number, j: number, bt: number, dims: number[]) => number }[] = [
      {
        name: "batched a @ b + 1, n = 36", f: (a, b) => np.matmul(a, b).add(1), a: [3, 20, 24], b: [3, 24, 36], vec4: true,
        ref: (A, B, i, j, t, [m, k, n]) => 1 + Array.from({ length: k }, (_, p) => A[(t * m + i) * k + p]! * B[(t * k + p) * n + j]!).reduce((x, y) => x + y),
      },
      {
        name: "n = 38 (rows not 4-aligned)", f: (a, b) => np.matmul(a, b), a: [1, 17, 24], b: [1, 24, 38], vec4: false,
        ref: (A, B, i, j, _t, [, k, n]) => Array.from({ length: k }, (_, p) => A[i * k + p]! * B[p * n + j]!).reduce((x, y) => x + y),
      },
      {
        name: "b also read by the epilogue", f: (a, b) => np.matmul(a, b).add(b.get(slice(), slice(0, 4), slice()).sum({ axis: 1, keepdims: true })), a: [1, 20, 24], b: [1, 24, 20], vec4: false,
        ref: (A, B, i, j, _t, [, k, n]) => Array.from({ length: k }, (_, p) => A[i * k + p]! * B[p * n + j]!).reduce((x, y) => x + y) + [0, 1, 2, 3].reduce((x, r) => x + B[r * n + j]!, 0),
      },
    ];
    for (const c of cases) {
      const [B_, m, k] = c.a, n = c.b[2]!;
      const a = values(B_! * m! * k!, 3), b = values(B_! * k! * n, 4);
      const step = jit(c.f);
      const at = np.array(Array.from(a)).reshape(c.a), bt = np.array(Array.from(b)).reshape(c.b);
      const got = await step(at, bt).data();
      for (let t = 0; t < B_!; t++) {
        for (let i = 0; i < m!; i++) {
          for (let j = 0; j < n; j++) expect(got[(t * m! + i) * n + j]!, `${c.name} [${t},${i},${j}]`).to.be.closeTo(c.ref(a, b, i, j, t, [m!, k!, n]), 2e-5);
        }
      }
      expect(step.lower(at, bt).kernels.map((kk) => kk.source).join("\n").includes("fn pbv_("), c.name).to.equal(c.vec4);
    }
  });

  it("the tuner measures every candidate per size, keeps the fastest and drops those 3x slower at larger sizes", async () => {
    const candidates: Omit<MatmulChoice, "upTo">[] = [{ strategy: "direct", tm: 8, tn: 8 }, { strategy: "packed", tm: 8, tn: 8 }, { strategy: "packed", tm: 16, tn: 16 }];
    const report = await tuneWebgpu({ sizes: [128, 64], candidates });
    expect(report.source).to.equal("measured");
    expect(report.sizes.map((s) => s.n)).to.deep.equal([64, 128]);
    const first = report.sizes[0]!;
    expect(Object.keys(first.ms).sort()).to.deep.equal(["direct 8x8", "packed 16x16", "packed 8x8"]);
    for (const row of report.sizes) {
      const timed = Object.entries(row.ms).filter(([, ms]) => Number.isFinite(ms));
      for (const [, ms] of timed) expect(ms).to.be.above(0);
      expect(row.ms[row.best]).to.equal(Math.min(...timed.map(([, ms]) => ms)));
    }
    const best64 = Math.min(...Object.values(first.ms));
    for (const [name, ms] of Object.entries(first.ms)) {
      expect(name in report.sizes[1]!.ms, name).to.equal(ms <= 3 * best64);
    }
    // The table: winners by size, ascending bounds, the last open-ended; neighbours differ.
    const { table } = report;
    expect(table[table.length - 1]!.upTo).to.equal(Number.MAX_SAFE_INTEGER);
    for (let i = 1; i < table.length; i++) expect(table[i]!.upTo).to.be.above(table[i - 1]!.upTo);
    const label = (c: Omit<MatmulChoice, "upTo">) => `${c.strategy} ${c.tm}x${c.tn}`;
    expect(label(table[0]!)).to.equal(first.best);
    if (table.length === 1) expect(report.sizes[1]!.best).to.equal(first.best);
  });

  it("a candidate the device fails to compile is reported, not chosen; bad candidates are ValueErrors", async () => {
    const device = currentGpu()!.device;
    const original = device.createComputePipelineAsync.bind(device);
    let calls = 0;
    // The first candidate's pipelines fail, as a driver rejecting a shader would.
    device.createComputePipelineAsync = ((d: GPUComputePipelineDescriptor) =>
      calls++ === 0 ? Promise.reject(new Error("simulated compiler failure")) : original(d)) as typeof device.createComputePipelineAsync;
    try {
      const report = await tuneWebgpu({ sizes: [64], candidates: [{ strategy: "direct", tm: 4, tn: 4 }, { strategy: "packed", tm: 8, tn: 8 }] });
      expect(report.table).to.deep.equal([{ strategy: "packed", tm: 8, tn: 8, upTo: Number.MAX_SAFE_INTEGER }]);
      expect(report.failures).to.deep.equal({ "direct 4x4": "simulated compiler failure" });
      calls = 0;
      let err: unknown = null;
      try {
        await tuneWebgpu({ sizes: [64], candidates: [{ strategy: "direct", tm: 4, tn: 4 }] });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(BackendUnavailableError);
      expect((err as Error).message).to.contain("no contraction candidate ran").and.contain("simulated compiler failure");
    } finally {
      device.createComputePipelineAsync = original;
    }
    let bad: unknown = null;
    try {
      await tuneWebgpu({ sizes: [64], candidates: [{ strategy: "packed", tm: 6, tn: 8 }] });
    } catch (e) {
      bad = e;
    }
    expect(bad).to.be.instanceOf(ValueError);
    expect((bad as Error).message).to.contain("multiples of 4");
    clearWebgpuCache();
  });

  it("tuning results persist in the installed store and are reused by the next device", async () => {
    const entries = new Map<string, string>();
    setWgslSourceStore({ get: (k) => entries.get(k), set: (k, v) => void entries.set(k, v) });
    try {
      const planted: MatmulChoice[] = [{ upTo: 1000, strategy: "direct", tm: 4, tn: 8 }, { upTo: Number.MAX_SAFE_INTEGER, strategy: "shared", tm: 4, tn: 4 }];
      const fresh = async () => {
        destroyGpu();
        await init({ tune: false });
        setBackend("webgpu");
      };
      await fresh();
      // A corrupt or malformed entry is measured again and replaced.
      const key = "kiln-tune";
      const measured = await tuneWebgpu({ force: true });
      expect(measured.source).to.equal("measured");
      const stored = [...entries.keys()].filter((k) => k.startsWith(key));
      expect(stored).to.have.length(1);
      entries.set(stored[0]!, JSON.stringify({ adapter: "x", source: "measured", table: planted, sizes: [] }));
      await fresh();
      const reused = await tuneWebgpu();
      expect(reused.source).to.equal("store");
      expect(reused.table).to.deep.equal(planted);
      const mm = jit((a: Tensor, b: Tensor) => np.matmul(a, b));
      const src = mm.lower(np.zeros([64, 64]), np.zeros([64, 64])).kernels.map((kk) => kk.source).join("\n");
      expect(src).to.include("workgroupBarrier"); // 64³ > 1000: the planted shared-memory entry
      entries.set(stored[0]!, "{ not json");
      await fresh();
      expect((await tuneWebgpu()).source).to.equal("measured");
      entries.set(stored[0]!, JSON.stringify({ table: [{ upTo: 5, strategy: "bogus", tm: 3, tn: 4 }] }));
      await fresh();
      expect((await tuneWebgpu()).source).to.equal("measured");
    } finally {
      setWgslSourceStore(null);
    }
  });

  it("init({ tune: false }) keeps the adapter class's table: one direct dispatch for a small software-adapter matmul", async () => {
    destroyGpu();
    const [, gpu] = await init({ tune: false });
    setBackend("webgpu");
    const mm = jit((a: Tensor, b: Tensor) => np.matmul(a, b));
    const src = mm.lower(np.zeros([64, 64]), np.zeros([64, 64])).kernels.map((kk) => kk.source).join("\n");
    expect(Number(/dispatch 1 of (\d+)/.exec(src)?.[1])).to.equal(gpu!.software ? 1 : 3);
    expect(await mm(np.eye(64), np.full([64, 64], 2)).sum().item()).to.equal(64 * 64 * 2);
  });
});
