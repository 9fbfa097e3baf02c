/**
 * Issue 17 item 3: solve (and inv), cholesky and the determinant pieces (detSign, logAbsDet behind
 * det/slogdet) as WGSL kernels (targets/webgpu/wgsl-linalg.ts). Values against the float64
 * interpreter for n = 1…64 in both mappings (one matrix per invocation up to n = 32, one per
 * workgroup of 8, 16, 32… invocations past it), batched past one workgroup; ill-conditioned inputs by backward error;
 * singular, non-positive-definite and NaN inputs give the host's inf/NaN; integer and float16
 * matrices behave as on cpu; gradients agree with cpu; and a jitted step that solves, factors and
 * takes a determinant has no host step and is one submission per call.
 */
import { expect } from "chai";
import { DTypeError, type Tensor, grad, jit, np, setBackend, webgpuRunStats } from "kiln";
import { interpret, npUtil } from "@kiln/core";
import { useWebgpu } from "./env.js";
import { expectClose, onBoth } from "./cpu-parity.js";

function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
}

/** `batch` random n×n matrices (entries in ±`scale`) plus `diag`·I: diag = n is well conditioned, diag = 0 pivots. */
function matrices(batch: number, n: number, seed: number, diag = n, scale = 1): Tensor {
  return np.array(values(batch * n * n, seed).map((v) => v * scale), { shape: [batch, n, n] }).add(np.eye(n).mul(diag));
}

/** Values on webgpu, the interpreter's (taken before the read: a read replaces the node by its data), and the host steps run. */
async function deviceAndSpec(outs: readonly Tensor[]): Promise<{ got: Float32Array[]; want: Float64Array[]; hostSteps: number }> {
  const want = interpret(outs.map((o) => o.node));
  const h0 = webgpuRunStats().hostSteps;
  const got = (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
  return { got, want, hostSteps: webgpuRunStats().hostSteps - h0 };
}

/** Element-wise: the same special value (Object.is: NaN, ±inf, ±0), else within rtol of max(1, |want|). */
function expectMatch(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number): void {
  expect(got.length, name).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    const ok = Object.is(g, w) || (Number.isFinite(w) && Math.abs(g - w) <= rtol * Math.max(1, Math.abs(w)));
    expect(ok, `${name}[${i}]: webgpu ${g}, interpreter ${w}`).to.equal(true);
  }
}

const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** max |Σ_j a[i][j] x[j][c] − b[i][c]| over one n×n, n×k system, and the scale ‖a‖·‖x‖ + ‖b‖ (∞-norms). */
function residual(a: ArrayLike<number>, x: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number): number {
  let worst = 0, aNorm = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += Math.abs(a[i * n + j]!);
    aNorm = Math.max(aNorm, row);
    for (let c = 0; c < k; c++) {
      let s = -b[i * k + c]!;
      for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j * k + c]!;
      worst = Math.max(worst, Math.abs(s));
    }
  }
  return worst / (aNorm * maxAbs(x) + maxAbs(b));
}

/** core/matrix.ts's luInPlace with every operation rounded to float32: the device's arithmetic, the host's pivoting rule. */
function slogdetFloat32(m: ArrayLike<number>, n: number): [number, number] {
  const a = Float32Array.from(m);
  let sign = 1;
  const f32 = Math.fround;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j]!, a[k * n + j]!];
      sign = -sign;
    }
    const piv = a[k * n + k]!;
    if (piv === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] = f32(a[i * n + k]! / piv));
      for (let j = k + 1; j < n; j++) a[i * n + j] = f32(a[i * n + j]! - f32(f * a[k * n + j]!));
    }
  }
  let log = 0;
  for (let i = 0; i < n; i++) {
    sign *= Math.sign(a[i * n + i]!);
    log += Math.log(Math.abs(a[i * n + i]!));
  }
  return [sign, log];
}

describe("webgpu: factorizations on the device", function () {
  this.timeout(120_000);
  useWebgpu();

  for (const n of [1, 2, 3, 7, 16, 33, 64]) {
    it(`n = ${n}, a batch of 3: solve, inv, cholesky, det, slogdet agree with the interpreter, on the device (${n <= 32 ? "a matrix per invocation" : "a matrix per workgroup"})`, async () => {
      const a = matrices(3, n, n);
      const b = np.array(values(3 * n * 2, n + 1), { shape: [3, n, 2] });
      const spd = np.matmul(a, np.swapaxes(a, -1, -2));
      const [sign, logAbs] = np.linalg.slogdet(a);
      const outs = [np.linalg.solve(a, b), np.linalg.inv(a), np.linalg.cholesky(spd), sign, logAbs, np.linalg.det(matrices(3, n, n, 1, 0.1))];
      const { got, want, hostSteps } = await deviceAndSpec(outs);
      ["solve", "inv", "cholesky", "sign", "logAbsDet", "det"].forEach((name, i) => expectMatch(`${name} n=${n}`, got[i]!, want[i]!, 2e-5));
      expect(hostSteps).to.equal(0);
    });
  }

  it("batches past one workgroup in both mappings: 150 matrices of 5×5, 3 of 40×40 (vector right-hand sides)", async () => {
    for (const [batch, n] of [[150, 5], [3, 40]] as const) {
      const a = matrices(batch, n, 7 * n);
      const outs = [np.linalg.solve(a, np.array(values(batch * n, 3), { shape: [batch, n, 1] })), np.linalg.slogdet(a)[1]!, np.linalg.cholesky(np.matmul(a, np.swapaxes(a, -1, -2)))];
      const { got, want, hostSteps } = await deviceAndSpec(outs);
      outs.forEach((_, i) => expectMatch(`output ${i}, [${batch}, ${n}, ${n}]`, got[i]!, want[i]!, 2e-5));
      expect(hostSteps).to.equal(0);
    }
  });

  it("random matrices that pivot at every step, n = 2 … 120 in every layout: backward error of a few float32 ulps (races between row owners show here)", async () => {
    const solveLayout = jit((a: Tensor, b: Tensor) => np.linalg.solve(a, b));
    const layouts = new Set<string>();
    for (const n of [2, 9, 16, 31, 33, 40, 47, 57, 64, 100, 120]) {
      const a = matrices(2, n, 100 + n, 0);
      const b = np.array(values(2 * n * 2, n), { shape: [2, n, 2] });
      const source = solveLayout.lower(a, b).kernels.find((k) => k.source.includes("library_solve"))!.source;
      layouts.add(source.includes("storageBarrier") ? `${/@workgroup_size\((\d+)\)/.exec(source)![1]} per matrix` : "serial");
      const [aData, bData, x] = await Promise.all([a.data(), b.data(), (solveLayout(a, b) as Tensor).data()]);
      for (let m = 0; m < 2; m++) {
        const at = (v: ArrayLike<number>, size: number) => Array.from(v).slice(m * size, (m + 1) * size);
        expect(residual(at(aData, n * n), at(x, n * 2), at(bData, n * 2), n, 2), `n = ${n}, matrix ${m}`).to.be.below(1e-5);
      }
    }
    expect([...layouts]).to.deep.equal(["serial", "8 per matrix", "16 per matrix", "32 per matrix"]);
  });

  it("ill-conditioned (Hilbert 6 and 7, a random 20×20 with cond 1e6): small backward error; slogdet as the host's LU in float32", async () => {
    const hilbert = (n: number) => Array.from({ length: n * n }, (_, e) => 1 / (Math.floor(e / n) + (e % n) + 1));
    // A random matrix with singular values 1 … 1e-6: u diag(s) vᵀ from two orthogonal factors, read back (the inputs must be one set of float32 numbers).
    const [u] = np.linalg.qr(matrices(1, 20, 11, 0).reshape([20, 20])) as Tensor[];
    const [v] = np.linalg.qr(matrices(1, 20, 12, 0).reshape([20, 20])) as Tensor[];
    const s = np.array(Array.from({ length: 20 }, (_, i) => 10 ** ((-6 * i) / 19)));
    const graded = Array.from(await np.matmul(u!.mul(s), np.transpose(v!)).data());
    for (const [name, data] of [["hilbert 6", hilbert(6)], ["hilbert 7", hilbert(7)], ["graded 20", graded]] as const) {
      const n = Math.round(Math.sqrt(data.length));
      const a = np.array(data, { shape: [n, n] });
      const aData = await a.data();
      const b = np.array(values(n * 3, 5), { shape: [n, 3] });
      const outs = [np.linalg.solve(a, b), ...np.linalg.slogdet(a)];
      const { got, want, hostSteps } = await deviceAndSpec(outs);
      expect(hostSteps, name).to.equal(0);
      // Partial pivoting in float32: a backward error of a few float32 ulps, whatever the conditioning.
      expect(residual(aData, got[0]!, await b.data(), n, 3), `${name}: backward error`).to.be.below(1e-5);
      // The host's pivoting rule: the same pivots as core/matrix.ts run in float32 (the float64
      // interpreter's log|det| differs by up to 0.9 here: these matrices are at float32's limit).
      const [sign32, log32] = slogdetFloat32(aData, n);
      expect(got[1]![0], `${name}: sign`).to.equal(sign32);
      expect(got[1]![0], `${name}: sign`).to.equal(want[1]![0]);
      expect(got[2]![0], `${name}: log|det|`).to.be.closeTo(log32, 1e-5 * Math.abs(log32));
    }
  });

  it("singular, non-positive-definite and NaN inputs give the host's inf/NaN, zeros and signs", async () => {
    const cases: number[][][] = [
      [[1, 2], [2, 4]], // exactly singular after one elimination
      [[0, 0], [0, 0]], // every pivot zero: no elimination, 0/0
      [[0, 1], [1, 0]], // needs the row swap: sign -1
      [[1, 0], [0, -0]], // a -0 pivot: det sign -0, as Math.sign
      [[2, 1, 1], [4, 2, 2], [1, 1, 3]], // singular 3×3 with a zero pivot mid-way
      [[1, NaN], [2, 3]], // NaN spreads
      [[NaN, 0], [0, 1]],
      [[1, 2], [Infinity, 3]],
    ];
    for (const c of cases) {
      const a = np.array(c, { dtype: "float32" });
      const n = c.length;
      const b = np.array(values(n, 1).map((x) => Math.round(x * 8)), { shape: [n, 1] });
      const outs = [np.linalg.solve(a, b), np.linalg.inv(a), ...np.linalg.slogdet(a), np.linalg.det(a), np.linalg.cholesky(a), np.linalg.cholesky(np.negative(a))];
      const { got, want, hostSteps } = await deviceAndSpec(outs);
      expect(hostSteps).to.equal(0);
      ["solve", "inv", "sign", "logAbsDet", "det", "cholesky", "cholesky(-a)"].forEach((name, i) => expectMatch(`${name} of ${JSON.stringify(c)}`, got[i]!, want[i]!, 1e-6));
    }
  });

  it("0×0 matrices (a batch of 3): det 1, slogdet (1, 0), inv and solve empty; the kernel compiles with no LU entries", async () => {
    const a = np.zeros([3, 0, 0]);
    const outs = [np.linalg.det(a), ...np.linalg.slogdet(a), np.linalg.inv(a), np.linalg.solve(a, np.zeros([3, 0, 2]))];
    const { got, want } = await deviceAndSpec(outs);
    expect(Array.from(got[0]!)).to.deep.equal([1, 1, 1]);
    expect(Array.from(got[1]!)).to.deep.equal([1, 1, 1]);
    expect(Array.from(got[2]!)).to.deep.equal([0, 0, 0]);
    ["det", "sign", "logAbsDet", "inv", "solve"].forEach((name, i) => expectMatch(name, got[i]!, want[i]!, 0));
  });

  it("integer matrices are rejected as on cpu (a DTypeError); an int32 or float16 solve primitive runs on the host, with cpu's values", async () => {
    const ai = np.array([[4, 1, 2], [1, 5, 3], [2, 3, 6]], { dtype: "int32" });
    const calls: Array<[string, () => unknown]> = [
      ["solve", () => np.linalg.solve(ai, np.array([1, 2, 3], { dtype: "int32" }))], ["inv", () => np.linalg.inv(ai)],
      ["det", () => np.linalg.det(ai)], ["slogdet", () => np.linalg.slogdet(ai)], ["cholesky", () => np.linalg.cholesky(ai)],
    ];
    for (const backend of ["cpu", "webgpu"]) {
      setBackend(backend);
      for (const [name, call] of calls) expect(call, `${name} on ${backend}`).to.throw(DTypeError, /expected float input, got int32/);
    }
    // So are the primitives' (an integer LU would truncate its multipliers).
    expect(() => npUtil.apply("solve", [ai, ai], {})).to.throw(DTypeError, /expected a float matrix/);
    // float16 matrices keep the host's float64 arithmetic (rounded once on store).
    const h = jit((a: Tensor, b: Tensor) => np.linalg.solve(a, b));
    const args = () => [ai.astype("float16"), np.array([1, 2, 3], { dtype: "float16" })] as const;
    const [cpu, gpu] = await onBoth(() => [h(...args())]);
    expect(gpu).to.deep.equal(cpu);
    const step = h.lower(...args()).kernels.find((k) => k.backend === "webgpu (host)");
    expect(step?.source).to.include("library kernel solve: float16 matrices run on the host");
  });

  it("past the loop budget (n = 200) solve runs on the host with the reason, with cpu's values", async () => {
    const a = matrices(1, 200, 3).reshape([200, 200]);
    const b = np.array(values(200, 4));
    const f = jit((m: Tensor, v: Tensor) => np.linalg.solve(m, v));
    const step = f.lower(a, b).kernels.find((k) => k.backend === "webgpu (host)");
    expect(step?.source).to.match(/library kernel solve: n = 200 needs \d+ loop iterations per invocation/);
    const [cpu, gpu] = await onBoth(() => [f(a, b)]);
    expectClose(gpu, cpu);
  });

  it("grad of slogdet and of solve agree with cpu, on the device", async () => {
    const a = matrices(2, 4, 21);
    const b = np.array(values(2 * 4 * 2, 22), { shape: [2, 4, 2] });
    const g = grad((m: Tensor, r: Tensor) => np.linalg.solve(m, r).mul(np.linalg.slogdet(m)[1]!.reshape([2, 1, 1])).sum(), { argnums: [0, 1] });
    const [cpu, gpu] = await onBoth(() => g(a, b) as Tensor[]);
    expectClose(gpu, cpu);
    const h0 = webgpuRunStats().hostSteps;
    await Promise.all((g(a, b) as Tensor[]).map((t) => t.data()));
    expect(webgpuRunStats().hostSteps - h0).to.equal(0);
  });

  it("a jitted step using solve + cholesky + det has no host step and is one submission per call", async () => {
    const step = jit((a: Tensor, b: Tensor) => {
      const spd = np.matmul(a, np.transpose(a)).add(np.eye(8));
      const l = np.linalg.cholesky(spd);
      return np.linalg.solve(l, b).sum().add(np.linalg.det(a));
    });
    const a = matrices(1, 8, 31).reshape([8, 8]);
    const b = np.array(values(8 * 2, 32), { shape: [8, 2] });
    const lowered = step.lower(a, b);
    expect(lowered.kernels.filter((k) => k.backend !== "webgpu").map((k) => k.backend)).to.deep.equal([]);
    expect(lowered.kernels.filter((k) => /library_(solve|cholesky|detSign|logAbsDet)/.test(k.source)).length).to.equal(4);
    expect(lowered.stats.submissions).to.equal(1);
    const first = await (step(a, b) as Tensor).item();
    const per: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s0 = webgpuRunStats().submissions;
      expect(await (step(a, b) as Tensor).item()).to.equal(first);
      per.push(webgpuRunStats().submissions - s0);
    }
    expect(per).to.deep.equal([1, 1, 1, 1, 1]);
    const [cpu] = await onBoth(() => [step(a, b) as Tensor]);
    expect(first).to.be.closeTo(cpu[0]![0]!, 1e-4 * Math.abs(cpu[0]![0]!));
  });
});
