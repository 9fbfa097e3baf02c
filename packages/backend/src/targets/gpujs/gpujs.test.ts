/**
 * The GPU.js target: every ALU rule GPU.js runs compiles there and computes what the same
 * expression computes in JavaScript; the exactness rule sends int32, float64, bitwise,
 * special-function and oversized kernels to the host; packed contractions render as dot loops; selection, modes and the typed
 * errors (`jit(...).lower()` on gpujs: test/gpujs.test.ts).
 */
import { expect } from "chai";
import { BackendUnavailableError, ValueError, activeExecutor, np, npUtil, setExecutor, slice } from "@kiln/core";
import { type AluOp, type ExprDType } from "../../expr.js";
import { scheduleGraph } from "../../schedule.js";
import { backends, init, setBackend } from "../../select.js";
import { destroyGpu } from "../webgpu/webgpu-device.js";
import { GPUJS, GPUJS_ALU, isHostOnly } from "./gpujs-alu.js";
import { GPUJS_MAX_ELEMENTS, type GpujsKernelSource, renderGpujs } from "./gpujs-render.js";
import { acquireGpujs, currentGpujs, destroyGpujs, gpujsBlockingReadMs, gpujsMode, gpujsStats } from "./gpujs-runtime.js";
import { ReadTimes, readBlocks } from "./gpujs-read.js";
import { gatherBlocks } from "./gpujs-tiled.js";

const isInput = (n: { prim: string }) => n.prim === "data";
const kernelOf = (t: { node: never }) => scheduleGraph([t.node], isInput).plan.steps[0]!.kernel!;

/** Operands of every rule: specials included (float32 in GPU.js; the JS side rounds its inputs alike). */
const XS = [1.5, -2.5, 0.5, -0, 3, 1e-3, 0.75, -0.25, 2.5, -1.5, 100, 0.1];
const YS = [2, -1.5, 0.25, 1, -3, 7, 0.5, 2, 2.5, -0.5, 0.03, 1];
const ARG_DTYPES: Partial<Record<AluOp, ExprDType>> = { and: "bool", or: "bool", xor: "bool", not: "bool", idiv: "index", imod: "index" };

describe("gpujs target", () => {
  let previous = "cpu";
  before(async () => {
    previous = activeExecutor().name;
    expect(await acquireGpujs()).to.not.equal(null);
  });
  after(() => {
    setExecutor(previous);
    destroyGpujs();
  });

  it("every ALU rule GPU.js runs compiles there and matches the expression in JavaScript", () => {
    const gpu = currentGpujs()!;
    const n = XS.length;
    for (const op of Object.keys(GPUJS_ALU) as AluOp[]) {
      const rule = GPUJS_ALU[op];
      if (isHostOnly(rule)) continue;
      const dt = ARG_DTYPES[op] ?? "float32";
      const xs = dt === "bool" ? XS.map((v) => +(v > 0)) : dt === "index" ? XS.map((_, i) => i * 3) : XS;
      const ys = dt === "bool" ? YS.map((v) => +(v > 0)) : YS;
      const expr = rule(["x", "y", "z"], { dtype: dt, in: dt, param: [2, 3] }, GPUJS);
      const body = `const x = b1[this.thread.x]; const y = b2[this.thread.x]; const z = b1[this.thread.x] + 1.0; return ${expr};`;
      const got = gpu.createKernel(`function (b1, b2) { ${body} }`, { output: [n], tactic: "precision" })(new Float32Array(xs), new Float32Array(ys)) as Float32Array;
      const js = new Function("x", "y", "z", `return ${expr};`) as (x: number, y: number, z: number) => number;
      for (let i = 0; i < n; i++) {
        const x = Math.fround(xs[i]!), y = Math.fround(ys[i]!);
        const want = Math.fround(js(x, y, Math.fround(x + 1)));
        const ok = got[i] === want || (Number.isNaN(want) ? Number.isNaN(got[i]) : Math.abs(got[i]! - want) <= 1e-6 + 2e-6 * Math.abs(want));
        expect(ok, `${op}(${x}, ${y}) = ${expr}: GPU.js ${got[i]}, JS ${want}`).to.equal(true);
      }
    }
  });

  it("the exactness rule: int32, float64, bitwise, special-function and oversized kernels run on the host", () => {
    const f = np.array([1, 2, 3]);
    const i = np.array([1, 2, 3], { dtype: "int32" });
    const host = (t: unknown) => renderGpujs(kernelOf(t as { node: never }));
    expect(host(np.add(i, i))).to.have.property("host").that.matches(/int32/);
    expect(host(np.add(f.astype("float64"), 1))).to.have.property("host").that.matches(/float64/);
    expect(host(npUtil.apply("shl", [i, i], {}))).to.have.property("host");
    expect(host(npUtil.apply("erf", [f], {}))).to.have.property("host").that.matches(/special function/);
    expect(host(np.matmul(np.ones([64, 64], { dtype: "float64" }), np.ones([64, 64], { dtype: "float64" })))).to.have.property("host").that.matches(/float64/);
    // float32 contractions run as one dot loop per output (small ones lower to reductions)
    expect(host(np.matmul(np.ones([64, 64]), np.ones([64, 64])))).to.have.property("source").that.matches(/let acc = 0\.0;\n  for \(let v\d+ = 0; v\d+ < 64;/);
    expect(host(np.matmul(np.ones([3, 4]), np.ones([4, 2])))).to.have.property("source");
    expect(host(np.zeros([GPUJS_MAX_ELEMENTS]).add(1))).to.have.property("host").that.matches(/2\^24/);
    // and what it can run, it renders as one function of the thread index
    const r = host(np.sum(np.exp(np.ones([4, 5])), 1));
    expect(r).to.have.property("source").that.matches(/this\.thread\.x/);
  });

  it("runs kernels on GPU.js with bool results exact and int32 kernels on the host", async () => {
    await init({ tune: false });
    setBackend("gpujs");
    const runs = gpujsStats().runs;
    const x = np.array([-1.5, 0, NaN, 2, Infinity, -0]);
    expect(Array.from(np.greater(x, 0).dataSync())).to.deep.equal([0, 0, 0, 1, 1, 0]);
    expect(Array.from(np.tanh(x).dataSync())).to.deep.equal(Array.from(new Float32Array([-0.9051482536448664, 0, NaN, 0.9640275800758169, 1, -0])));
    expect(gpujsStats().runs - runs).to.equal(2);
    // a long sum is blocked by the scheduler (chunks [s, min(s + c, n))) and runs in two passes:
    // one thread per chunk (a constant trip count with a guard), then one combining the partials
    const long = np.arange(5000).astype("float32").mul(0.5);
    const sum = np.sum(long);
    const r = renderGpujs(kernelOf(sum as never)) as GpujsKernelSource;
    expect(r.partials?.source).to.match(/const split_c = this\.thread\.x;[^]*for \(let v\d+_k = 0; v\d+_k < 1024; /);
    expect(r.partials?.size).to.equal(5);
    expect(r.source).to.match(/function \w+\(bp\) \{[^]*for \(let split_c = 0; split_c < 5; /);
    expect(r.inputs).to.deep.equal([]); // the combining kernel reads only the partials (no second upload of the input)
    expect(sum.itemSync()).to.equal(0.5 * (4999 * 5000) / 2);
    expect(gpujsStats().runs - runs).to.equal(4); // one kernel in two passes: arange·0.5 fuses into the sum
    const big = np.array([2 ** 30, 3], { dtype: "int32" });
    expect(Array.from(np.add(big, big).dataSync())).to.deep.equal([-(2 ** 31), 6]); // wraps: computed on the host
    expect(gpujsStats().runs - runs).to.equal(4);
    destroyGpu();
  });

  it("round is half to even and keeps the sign of a zero result, as NumPy (round(-0.125) was +0)", async () => {
    await init({ tune: false });
    setBackend("gpujs");
    const runs = gpujsStats().runs;
    const got = Array.from(np.round(np.array([-0.125, -0.5, 0.5, -1.5, 2.5, -0, 0.3, -2.75])).dataSync());
    expect(got.map((v) => (Object.is(v, -0) ? "-0" : v))).to.deep.equal(["-0", "-0", 0, -2, 2, "-0", 0, -3]);
    expect(gpujsStats().runs - runs).to.equal(1);
    destroyGpu();
  });

  it("in the CPU modes, a contraction's dot form has a 2-D output (rows on this.thread.y) and reads its operands at base + k·stride", async () => {
    const t = (shape: number[], seed = 0) => np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i + seed) % 7) - 3), { shape });
    const dot = (x: unknown) => renderGpujs(kernelOf(x as { node: never }), { tiled: false }) as GpujsKernelSource;
    const plain = dot(np.matmul(t([33, 36]), t([36, 70])));
    expect(plain.width).to.equal(70);
    expect(plain.source).to.include("const row = this.thread.y % 33;").and.include("const col = this.thread.x;");
    // A's row and B's column once per thread; the loop reads at base + k·stride, without the
    // packing's clamps and edge guards (the identity for every thread: its row is below m)
    const loop = plain.source.slice(plain.source.indexOf("for ("), plain.source.indexOf("\n  }\n"));
    // (B's column index written with this.thread.x itself: GPU.js's webasm indexes with its integer lane vector)
    expect(plain.source).to.match(/const t\d+_at = row \* 36;/);
    expect(loop).to.match(/= b\d\[t\d+_at \+ v\d+\];/).and.match(/= b\d\[this\.thread\.x \+ v\d+ \* 70\];/);
    expect(loop).to.not.match(/Math\.|\?/);
    // batched, transposed B: the batch and the column in the bases, B stepped by 1 along k
    const bt = dot(np.matmul(t([3, 33, 36]), np.transpose(t([3, 70, 36]), [0, 2, 1])));
    expect(bt.width).to.equal(70);
    expect(bt.source).to.match(/_at = v\d+ \* 1188 \+ row \* 36;/).and.match(/= b\d\[v\d+ \* 2520 \+ this\.thread\.x \* 36 \+ v\d+\];/);
    // on WebGL's dot form (a fallback there), outputs stay 1-D
    expect(renderGpujs(kernelOf(np.matmul(t([33, 36]), t([36, 70])) as never), { tiled: true, blockRows: 4, directFetch: true })).to.not.have.property("width");
    await init({ tune: false });
    setBackend("gpujs");
    for (const [a, b] of [[t([33, 36], 1), t([36, 70], 2)], [t([3, 33, 36], 3), np.transpose(t([3, 70, 36], 4), [0, 2, 1])], [t([1, 90]), t([90, 1], 5)]] as const) {
      const got = Array.from(np.matmul(a, b).dataSync());
      setBackend("cpu");
      const want = Array.from(np.matmul(a, b).dataSync());
      setBackend("gpujs");
      expect(got).to.deep.equal(want);
    }
  });

  it("on WebGL, contractions whose operands are plain loads render tiled: 4×4 blocks in four render targets, then the epilogue per texel", () => {
    const t = (shape: number[]) => np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3), { shape });
    const tiled = (x: unknown) => renderGpujs(kernelOf(x as { node: never }), { tiled: true }) as GpujsKernelSource;
    const block = (x: unknown) => tiled(x).partials!.natives![0]!.source;
    const aligned = tiled(np.tanh(np.matmul(t([66, 36]), t([36, 68])).add(t([68]))));
    expect(aligned.lanes).to.equal(4);
    // the epilogue kernel reads its four outputs from the block target of their row
    expect(aligned.source).to.match(/\(b\d, bk0, bk1, bk2, bk3\) \{\n  const d = tile_out\(\);[^]*return \[t\d+_0, t\d+_1, t\d+_2, t\d+_3\];/);
    expect(aligned.natives![0]!.source).to.match(/return s == 0 \? tx_bk0\(t\) : s == 1 \? tx_bk1\(t\) : s == 2 \? tx_bk2\(t\) : tx_bk3\(t\);/);
    // the block kernel: a kernel map of 4 targets over ⌈66/4⌉ · 68/4 threads, rows past m repeating row m − 1
    const blocks = aligned.partials!;
    expect([blocks.size, blocks.lanes, blocks.targets?.length]).to.deep.equal([17 * 68, 4, 3]);
    // each pass is passed only the inputs it reads (GPU.js uploads every host array it gets): the operands, then the bias
    expect([blocks.inputs.length, aligned.inputs.length]).to.deep.equal([2, 1]);
    expect(blocks.source).to.match(/^function \w+_block\(b\d, b\d\) \{/);
    expect(blocks.source).to.match(/const c0 = tile_block\(\);\n  tile_r1\(tile_row1\(\)\);[^]*return c0;/);
    const glsl = block(np.tanh(np.matmul(t([66, 36]), t([36, 68])).add(t([68]))));
    expect(glsl).to.match(/int ea3 = 0 \+ bt \* 0 \+ min\(ib \* 4 \+ 3, 65\) \* 36;/);
    // per four steps of k: four texels of A (its rows), four of B (its rows), 64 multiply-adds —
    // at texel coordinates stepped per thread where the layouts allow (`direct`), else at wrapped
    // coordinates (the same fetches)
    // two steps of q per iteration (own scopes), then the odd ninth; 8 fetches per step in both loops
    const direct = glsl.slice(glsl.indexOf("|| direct) {"), glsl.indexOf("} else {")), flat = glsl.slice(glsl.indexOf("} else {"));
    expect(direct).to.include("for (int q2 = 0; q2 < 8; q2 += 2) {");
    expect(direct.match(/int q = [^;]+;/g)).to.deep.equal(["int q = q2;", "int q = q2 + 1;", "int q = 8;"]);
    expect([direct.match(/texture\(user_b\d, vec2\(f[ab]\d/g)?.length, flat.match(/texture\(user_b\d, vec2\(fract\(\(u[ab]\d \+ q[ab]\)\), \(floor\(\(u[ab]\d \+ q[ab]\)\) \+ 0\.5\) \* s[ab]\.y\)\)/g)?.length]).to.deep.equal([24, 24]);
    // threads whose rows cross the texture's edge: wrapped coordinates, U = (t + 0.5) / w per thread, stepped per q
    // … for buffers of at most 2^20 texels: a larger A (2056×2048) reads by flat index there, B still wrapped
    const big = block(np.matmul(t([2056, 2048]), t([2048, 64])));
    const bigElse = big.slice(big.indexOf("} else {"));
    expect([/vec4 a0 = tx_b\d\(\(ea0 >> 2\) \+ q\);/.test(bigElse), /fract\(\(ua0/.test(big), /mat4 y = mat4\(texture\(user_b\d, vec2\(fract\(\(ub0 \+ qb\)\)/.test(bigElse)]).to.deep.equal([true, false, true]);
    expect(glsl).to.match(/float ua0 = \(float\(ea0 >> 2\) \+ 0\.5\) \* sa\.x;[^]*float sq = float\(68\) \* sb\.x;\n  float ub0 = \(float\(\(eb >> 2\) \+ 0\) \+ 0\.5\) \* sb\.x;/);
    expect(glsl).to.match(/direct = direct && pa0\.x \+ 9 <= user_b\dSize\.x && [^]*int dyb = 68 \/ user_b\dSize\.x;\n  direct = direct && dyb \* user_b\dSize\.x == 68;/);
    expect(glsl).to.match(/if \(\(user_b\dSize\.x % 9 == 0 && 68 % user_b\dSize\.x == 0\) \|\| direct\) \{\n    for \(int q2 = 0; q2 < 8; q2 \+= 2\) \{\n      \{\n        int q = q2;\n        int p = q \* 4;\n        float qa = float\(q\) \* sa\.x;\n        vec4 a0 = texture\(user_b\d, vec2\(fa0\.x \+ qa, fa0\.y\)\);[^]*\} else \{[^]*vec4 a0 = texture\(user_b\d, vec2\(fract\(\(ua0 \+ qa\)\)[^]*float qb = float\(q\) \* sq;\n        mat4 y = mat4\(texture\(user_b\d, vec2\(fract\(\(ub0 \+ qb\)\)[^]*c3 \+= y \* a3;/);
    // where the textures' widths alone make every thread direct (A's rows start at multiples of k/4 = 9 texels, B moves
    // 68 texels per step), that test comes first: GPU.js declares the sizes as constants, so the shader compiler
    // folds it and drops the wrapped loop; no such test where A's rows start at any texel (a column slice: offset 1 texel)
    expect(/if \(\(user_b\dSize\.x % 9 == 0 && 68 % user_b\dSize\.x == 0\) \|\| direct\) \{/.test(glsl)).to.equal(true);
    expect(block(np.matmul(t([3, 32, 36]), t([36, 64])))).to.match(/if \(\(user_b\dSize\.x % 9 == 0 && 64 % user_b\dSize\.x == 0\) \|\| direct\) \{/);
    expect(block(np.matmul(np.transpose(t([36, 32])), t([36, 64])))).to.match(/if \(\(64 % user_b\dSize\.x == 0\) \|\| direct\) \{/);
    const sliced = block(np.matmul(t([64, 44]).get(slice(), slice(4, 40)), t([36, 64])));
    expect(sliced).to.include("direct = direct && pa0.x + 9 <= ");
    expect(sliced).to.match(/\n  if \(direct\) \{\n/);
    // the direct loop reads each texel with texture() at its center, normalized coordinates computed once per thread
    expect(glsl).to.match(/vec2 sa = 1\.0 \/ vec2\(user_b\dSize\);\n  vec2 fa0 = \(vec2\(pa0\) \+ 0\.5\) \* sa;/);
    expect(direct).to.not.include("texelFetch");
    // the flat-index loop's reads stay texelFetch (normalized coordinates would cost two divisions per fetch)
    expect(glsl).to.match(/vec4 tx_b\d\(int t\) \{ return texelFetch\(user_b\d, at_b\d\(t\), 0\); \}/);
    expect(glsl).to.match(/ivec2 at_b\d\(int t\) \{ int w = user_b\dSize\.x; [^}]*return ivec2\(t - y \* w, y\); \}/);
    // directFetch: false renders the flat-index loop alone
    const flatOnly = (renderGpujs(kernelOf(np.matmul(t([66, 36]), t([36, 68])) as unknown as { node: never }), { tiled: true, directFetch: false }) as GpujsKernelSource).partials!.natives![0]!.source;
    expect(flatOnly).to.not.include("direct");
    expect(flatOnly.split("for (int q2 = 0; q2 < 8; q2 += 2)").length).to.equal(2);
    // k = 35: A's rows do not start texels (element reads) and three steps of k remain after the texel loop
    const oddK = block(np.matmul(t([33, 35]), t([35, 64])));
    expect(oddK).to.match(/vec4 a0 = vec4\(ld_b\d\(/);
    expect(oddK).to.match(/for \(int p = 32; p < 35; p\+\+\)/);
    // B stored transposed (columns of B as texels along k); A stored transposed (rows i … i+3 in a texel)
    // (at wrapped coordinates with directFetch, U = (t + 0.5) / w per thread; by flat index without)
    const flatSrc = (x: unknown) => (renderGpujs(kernelOf(x as { node: never }), { tiled: true, directFetch: false }) as GpujsKernelSource).partials!.natives![0]!.source;
    expect(flatSrc(np.matmul(t([33, 36]), np.transpose(t([64, 36]))))).to.match(/mat4 y = transpose\(mat4\(tx_b\d/);
    expect(flatSrc(np.matmul(np.transpose(t([36, 32])), t([36, 64])))).to.match(/mat4 at0 = transpose\(mat4\(tx_b\d[^]*vec4 a3 = at0\[3\];/);
    expect(block(np.matmul(t([33, 36]), np.transpose(t([64, 36]))))).to.match(/float ubc0 = \(float\(\(eb \+ 0\) >> 2\) \+ 0\.5\) \* sb\.x;[^]*float qbc = float\(q\) \* sb\.x;\n\s*mat4 y = transpose\(mat4\(texture\(user_b\d, vec2\(fract\(\(ubc0 \+ qbc\)\)/);
    expect(block(np.matmul(np.transpose(t([36, 32])), t([36, 64])))).to.match(/float sqa = float\(32\) \* sa\.x;\n  float uc0_0 = \(float\(\(ea0 >> 2\) \+ 0\) \+ 0\.5\) \* sa\.x;[^]*mat4 at0 = transpose\(mat4\(texture\(user_b\d, vec2\(fract\(\(uc0_0 \+ qac\)\)[^]*vec4 a3 = at0\[3\];/);
    // where the context has 8 draw buffers: 8×4 blocks, eight targets, A stored transposed as two texels of rows per step
    const eight = (x: unknown) => renderGpujs(kernelOf(x as { node: never }), { tiled: true, blockRows: 8 }) as GpujsKernelSource;
    const rows8 = eight(np.tanh(np.matmul(t([66, 36]), t([36, 68])).add(t([68]))));
    expect([rows8.partials!.size, rows8.partials!.targets?.length]).to.deep.equal([9 * 68, 7]);
    expect(rows8.source).to.match(/\(b\d, bk0, bk1, bk2, bk3, bk4, bk5, bk6, bk7\) \{/);
    expect(rows8.natives![0]!.source).to.match(/int s = i - \(i \/ 8\) \* 8;\n  return s == 0 \? tx_bk0\(t\) : [^]* : tx_bk7\(t\);/);
    expect(rows8.partials!.natives![0]!.source).to.match(/int ea7 = 0 \+ bt \* 0 \+ min\(ib \* 8 \+ 7, 65\) \* 36;[^]*c7 \+= y \* a7;/);
    expect(eight(np.matmul(np.transpose(t([36, 32])), t([36, 64]))).partials!.natives![0]!.source).to.match(/float uc1_0 = \(float\(\(ea4 >> 2\) \+ 0\) \+ 0\.5\) \* sa\.x;[^]*mat4 at1 = transpose\(mat4\(texture\(user_b\d, vec2\(fract\(\(uc1_0 \+ qac\)\)[^]*vec4 a7 = at1\[3\];/);
    // the epilogue's bias along the columns: the four lanes' values are one aligned texel, fetched once per thread
    expect(rows8.natives!.map((f) => f.name)).to.have.length(2);
    expect(rows8.natives![1]!.source).to.match(/^vec4 ep_\w+\(\) \{[^]*int t = \(0 \+ bt \* 0 \+ li \* 0 \+ \(i - li \* 4\) \* 0 \+ tj \* 4\) >> 2;[^]*return texelFetch\(user_b\d, ivec2\(t - y \* w, y\), 0\);\n\}$/);
    expect(rows8.source).to.match(/const (ep_\w+)_v = \1\(\);[^]*= \1_v\[0\];[^]*= \1_v\[3\];/);
    expect(rows8.source).to.not.match(/b\d\[/);
    // a bias along the rows (the same value in all four lanes) keeps the per-lane read
    const rowBias = eight(np.matmul(t([66, 36]), t([36, 68])).add(t([66, 1])));
    expect([rowBias.natives!.length, /b\d\[/.test(rowBias.source)]).to.deep.equal([1, true]);
    // a fused prologue and the CPU modes keep the dot form
    expect(tiled(np.matmul(t([36, 40]), np.tanh(t([40, 36])))).lanes).to.equal(1);
    expect((renderGpujs(kernelOf(np.matmul(t([66, 36]), t([36, 68])) as never)) as GpujsKernelSource).lanes).to.equal(1);
  });

  it("on WebGL, n not a multiple of 4 (W3's last layer, n = 10) takes the tiled form: clamped columns in the last block, lanes gathered one by one", () => {
    const t = (shape: number[]) => np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3), { shape });
    const tiled = (x: unknown, blockRows: 4 | 8 = 4) => renderGpujs(kernelOf(x as { node: never }), { tiled: true, blockRows }) as GpujsKernelSource;
    for (const n of [10, 6, 3, 2]) {
      const n4 = Math.ceil(n / 4);
      // W3's forward: 128×256 · 256×n + bias
      const fwd = tiled(np.matmul(t([128, 256]), t([256, n])).add(t([n])), 8);
      expect(fwd.lanes, `n = ${n}`).to.equal(4);
      // ⌈128/8⌉ · ⌈n/4⌉ block threads of 8×4 (the block kernel's output counts 4 per thread)
      expect([fwd.partials!.size, fwd.partials!.lanes, fwd.partials!.targets?.length], `n = ${n}`).to.deep.equal([16 * n4 * 4, 4, 7]);
      expect(fwd.size, `n = ${n}`).to.equal(128 * n);
      const glsl = fwd.partials!.natives![0]!.source;
      expect(glsl, `n = ${n}`).to.include(`int bt = t / ${16 * n4}; int r = t - bt * ${16 * n4}; int ib = r / ${n4};`);
      // B (256×n, rows of n not starting texels) element by element, each column clamped to n − 1
      expect(glsl, `n = ${n}`).to.include(`int ebc3 = 0 + bt * 0 + min(j + 3, ${n - 1}) * 1;`);
      expect(glsl, `n = ${n}`).to.match(new RegExp(`mat4 y = mat4\\(vec4\\(ld_b\\d\\(ebc0 \\+ \\(p \\+ 0\\) \\* ${n}\\), ld_b\\d\\(ebc1 `));
      expect(glsl, `n = ${n}`).to.not.match(/ld_b\d\(eb \+/);
      // the epilogue: four outputs per thread, each read from the block texel of its own row and column
      const out = fwd.natives![0]!.source;
      expect(out, `n = ${n}`).to.include(`int t = (bt * 16 + i / 8) * ${n4} + j / 4; int s = i - (i / 8) * 8;`);
      expect(out, `n = ${n}`).to.match(/return \(s == 0 \? tx_bk0\(t\) : [^]* : tx_bk7\(t\)\)\[j & 3\];/);
      expect(out, `n = ${n}`).to.include(`return vec4(tile_lane(min(o + 0, ${128 * n - 1})), tile_lane(min(o + 1, ${128 * n - 1})), tile_lane(min(o + 2, ${128 * n - 1})), tile_lane(min(o + 3, ${128 * n - 1})));`);
      // the bias keeps its per-lane read (the lanes may span rows: no single texel)
      expect([fwd.natives!.length, /b\d\[/.test(fwd.source)], `n = ${n}`).to.deep.equal([1, true]);
      // W3's gradient of the weights: (128×256)ᵀ · 128×n, A's rows as texels of A stored transposed
      const grad = tiled(np.matmul(np.transpose(t([128, 256])), t([128, n])), 8).partials!.natives![0]!.source;
      expect(grad, `n = ${n}`).to.match(/int ebc0 = [^]*mat4 at1 = transpose\(mat4\(texture\(user_b\d, vec2\(fract\(\(uc1_0/);
      // B stored transposed (n columns as texels along k): clamped columns there too
      const bt = tiled(np.matmul(t([128, 256]), np.transpose(t([n, 256])))).partials!.natives![0]!.source;
      expect(bt, `n = ${n}`).to.match(/float ubc0 = \(float\(\(ebc0\) >> 2\) \+ 0\.5\) \* sb\.x;\n  float ubc1 = \(float\(\(ebc1\) >> 2\) \+ 0\.5\) \* sb\.x;/);
      const btFlat = (renderGpujs(kernelOf(np.matmul(t([128, 256]), np.transpose(t([n, 256]))) as never), { tiled: true, directFetch: false }) as GpujsKernelSource).partials!.natives![0]!.source;
      expect(btFlat, `n = ${n}`).to.match(/mat4 y = transpose\(mat4\((tx_b\d)\(\(\(ebc0\) >> 2\) \+ q\), \1\(\(\(ebc1\) >> 2\) \+ q\),/);
      expect(bt, `n = ${n}`).to.include(`int ebc2 = 0 + bt * 0 + min(j + 2, ${n - 1}) * 256;`);
    }
    // n = 1 is scheduled as a matrix-vector reduction (one dot per output), not a packed contraction
    expect(tiled(np.matmul(t([128, 256]), t([256, 1]))).lanes).to.equal(1);
    // n a multiple of 4 keeps the single-texel epilogue read and no column clamps (unchanged source)
    const four = tiled(np.matmul(t([128, 256]), t([256, 12])));
    expect(four.natives![0]!.source).to.not.include("tile_lane");
    expect(four.partials!.natives![0]!.source).to.not.include("ebc");
  });

  it("on WebGL, a plain product's layout pass is the identity (blockLayout), and gatherBlocks lays its block targets out as that pass does", () => {
    const t = (shape: number[]) => np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3), { shape });
    const tiled = (x: unknown, blockRows: 4 | 8 = 8) => renderGpujs(kernelOf(x as { node: never }), { tiled: true, blockRows }) as GpujsKernelSource;
    // plain products (batched, transposed, m and n not multiples of the block) carry their block layout
    expect(tiled(np.matmul(t([66, 36]), t([36, 68]))).blockLayout).to.deep.equal({ batch: 1, m: 66, n: 68, rows: 8 });
    expect(tiled(np.matmul(t([3, 35, 37]), t([37, 10])), 4).blockLayout).to.deep.equal({ batch: 3, m: 35, n: 10, rows: 4 });
    expect(tiled(np.matmul(np.transpose(t([128, 256])), t([128, 10]))).blockLayout).to.deep.equal({ batch: 1, m: 256, n: 10, rows: 8 });
    // an epilogue (a bias, tanh) is work of the layout pass; a prologue on the operands is the block pass's
    expect(tiled(np.matmul(t([66, 36]), t([36, 68])).add(t([68]))).blockLayout).to.equal(undefined);
    expect(tiled(np.tanh(np.matmul(t([66, 36]), t([36, 68])))).blockLayout).to.equal(undefined);
    expect(tiled(np.matmul(np.maximum(t([36, 40]), 0), t([40, 36]))).blockLayout).to.deep.equal({ batch: 1, m: 36, n: 36, rows: 8 });
    // gatherBlocks against the layout pass's own index arithmetic (outSource: texel (bt · mb + i / rows) · n4 + j / 4 of target i mod rows)
    for (const [batch, m, n, rows] of [[1, 8, 8, 8], [2, 5, 6, 4], [3, 35, 10, 8], [1, 1, 3, 4]] as const) {
      const mb = Math.ceil(m / rows), n4 = Math.ceil(n / 4), texels = batch * mb * n4;
      // target r's texel t, lane l holds a value naming its (r, t, l); padding rows and columns hold NaN-free junk too
      const targets = Array.from({ length: rows }, (_, r) => Float32Array.from({ length: texels * 4 + 8 }, (_, e) => r * 1e5 + e));
      const got = gatherBlocks({ batch, m, n, rows }, targets, new Float32Array(batch * m * n));
      const want = Float32Array.from({ length: batch * m * n }, (_, o) => {
        const bt = Math.floor(o / (m * n)), i = Math.floor(o / n) % m, j = o % n;
        const tx = (bt * mb + Math.floor(i / rows)) * n4 + Math.floor(j / 4);
        return targets[i % rows]![tx * 4 + (j % 4)]!;
      });
      expect([...got], `${batch}×${m}×${n}, ${rows} rows`).to.deep.equal([...want]);
    }
    expect(() => gatherBlocks({ batch: 1, m: 4, n: 4, rows: 4 }, [new Float32Array(16)], new Float32Array(16))).to.throw(RangeError, /1 block targets, expected 4/);
    expect(() => gatherBlocks({ batch: 1, m: 4, n: 8, rows: 4 }, Array.from({ length: 4 }, () => new Float32Array(4)), new Float32Array(32))).to.throw(RangeError, /at least 8/);
  });

  it("on WebGL, an elementwise prologue of exact ops with constants (relu) is applied to the fetched values in the block loop", () => {
    const t = (shape: number[]) => np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3), { shape });
    const tiled = (x: unknown, blockRows: 4 | 8 = 8) => renderGpujs(kernelOf(x as { node: never }), { tiled: true, blockRows }) as GpujsKernelSource;
    // W3's logits: relu(h)·W + b, n = 10 — A's texels (direct and flat-index loops) through relu, NaN kept
    const logits = tiled(np.matmul(np.maximum(t([128, 256]), 0), t([256, 10])).add(t([10])));
    expect(logits.lanes).to.equal(4);
    const glsl = logits.partials!.natives![0]!.source;
    expect(glsl).to.include("float tile_pro_a(float x) { x = mix(max(x, 0.0), x, x != x); return x; }");
    expect(glsl).to.include("vec4 tile_pro_a(vec4 x) { x = mix(max(x, 0.0), x, notEqual(x, x)); return x; }");
    expect(glsl).to.not.include("tile_pro_b");
    expect(glsl.match(/vec4 a\d = tile_pro_a\(texture\(user_b\d, vec2\(fa/g)?.length).to.equal(16);
    expect(glsl.match(/vec4 a\d = tile_pro_a\(texture\(user_b\d, vec2\(fract/g)?.length).to.equal(16);
    // W3's W₂ gradient: relu(h)ᵀ·g, A stored transposed — each column texel through relu before the transpose
    const grad = tiled(np.matmul(np.transpose(np.maximum(t([128, 256]), 0)), t([128, 10]))).partials!.natives![0]!.source;
    expect(grad).to.match(/mat4 at0 = transpose\(mat4\(tile_pro_a\(texture\(user_b\d+, vec2\(fract\(\(uc0_0/);
    // k = 37 (element reads and a k tail), 35 rows (the row guard), batched: steps in program order, on both operands
    const both = tiled(np.matmul(np.minimum(t([3, 35, 37]), 0.3), np.subtract(0.25, np.abs(t([37, 66])).mul(0.5))), 4).partials!.natives![0]!.source;
    expect(both).to.include("vec4 tile_pro_a(vec4 x) { x = mix(min(x, 0.30000001192092896), x, notEqual(x, x)); return x; }");
    expect(both).to.include("vec4 tile_pro_b(vec4 x) { x = abs(x); x = x * 0.5; x = 0.25 - x; return x; }");
    expect(both).to.match(/vec4 a0 = tile_pro_a\(vec4\(ld_b\d+\(/);
    expect(both).to.match(/for \(int p = 36; p < 37; p\+\+\) \{\n    vec4 yp = tile_pro_b\(vec4\([^]*c0 \+= tile_pro_a\(ld_b\d+\(ea0 \+ \(p\) \* 1\)\) \* yp;/);
    // plain loads render as before (no prologue functions); ops that are not exact with constants keep the dot form
    expect(tiled(np.matmul(t([64, 36]), t([36, 64]))).partials!.natives![0]!.source).to.not.include("tile_pro");
    expect(tiled(np.matmul(np.exp(t([36, 40])), t([40, 36]))).lanes).to.equal(1);
    expect(tiled(np.matmul(t([36, 40]).mul(t([36, 40])), t([40, 36]))).lanes).to.equal(1);
    expect(tiled(np.matmul(np.maximum(t([36, 40]), t([36, 40]).add(1)), t([40, 36]))).lanes).to.equal(1);
  });

  it("long reductions run in two passes with the blocked loop's sums (values on GPU.js's CPU mode)", async () => {
    await init({ tune: false });
    setBackend("gpujs");
    for (const n of [2048, 5000, 3 * 1024 + 1]) {
      const x = np.array(Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 16 - 3));
      const split = renderGpujs(kernelOf(np.sum(x) as never)) as GpujsKernelSource;
      expect(split.partials?.size, `n = ${n}`).to.equal(Math.ceil(n / 1024));
      // the blocked loop's order: float32 sums per chunk of 1024, then the chunk sums in order
      let want = 0;
      for (let s = 0; s < n; s += 1024) {
        let part = 0;
        for (let i = s; i < Math.min(s + 1024, n); i++) part = Math.fround(part + Math.fround(((i * 37) % 101) / 16 - 3));
        want = Math.fround(want + part);
      }
      expect(np.sum(x).itemSync(), `n = ${n}`).to.equal(want);
    }
    const rows = np.array(Float32Array.from({ length: 3 * 2500 }, (_, i) => i % 5), { shape: [3, 2500] });
    expect(Array.from(np.mean(rows, 1).dataSync())).to.deep.equal([2, 2, 2]);
    destroyGpu();
  });

  it("reports its mode, accepts GPU.js's cpu mode and refuses unknown modes with a ValueError", async () => {
    expect(backends().find((b) => b.name === "gpujs")).to.deep.include({ available: true, adapter: `GPU.js ${gpujsMode()}`, software: true });
    await acquireGpujs({ mode: "cpu" });
    expect(gpujsMode()).to.equal("cpu");
    setBackend("gpujs");
    expect(Array.from(np.multiply(np.array([1, 2]), 3).dataSync())).to.deep.equal([3, 6]);
    await acquireGpujs({ mode: "nope" as never }).then(() => expect.fail("accepted"), (e: unknown) => expect(e).to.be.instanceOf(ValueError));
    await acquireGpujs({ blockRows: 6 as never }).then(() => expect.fail("accepted"), (e: unknown) => expect(e).to.be.instanceOf(ValueError).with.property("message").that.matches(/blockRows must be 4 or 8/));
    for (const bad of [-1, Number.NaN, 1001, "5", null]) {
      await acquireGpujs({ blockingReadMs: bad as never }).then(
        () => expect.fail(`accepted ${String(bad)}`),
        (e: unknown) => expect(e).to.be.instanceOf(ValueError).with.property("message").that.matches(/blockingReadMs must be a number of milliseconds from 0 to 1000/),
      );
    }
    expect(gpujsBlockingReadMs(), "a refused value changes nothing").to.equal(16);
    await acquireGpujs({ blockingReadMs: 0 });
    expect(gpujsBlockingReadMs()).to.equal(0);
    await acquireGpujs({ blockingReadMs: 16 });
    destroyGpujs();
    expect(() => setBackend("gpujs")).to.throw(BackendUnavailableError, /gpujs/);
    await acquireGpujs();
  });

  describe("asynchronous reads: expected times and the blocking choice (gpujs-read.ts)", () => {
    it("ReadTimes keeps the least time seen, lets it grow by a quarter per read, and ignores reads asked for late", () => {
      const times = new ReadTimes<object>(), plan = {};
      expect(times.expect(plan)).to.equal(undefined);
      times.observe(plan, 100, 100, 110);
      expect(times.expect(plan)).to.equal(10);
      times.observe(plan, 200, 200, 206);
      expect(times.expect(plan), "a faster read lowers it").to.equal(6);
      times.observe(plan, 300, 300, 340);
      expect(times.expect(plan), "a slower one raises it by a quarter at most").to.equal(7.5);
      times.observe(plan, 400, 500, 501);
      expect(times.expect(plan), "asked 100 ms after submission: not a sample").to.equal(7.5);
      expect(times.expect({}), "per key").to.equal(undefined);
    });

    it("readBlocks: only work with a known time, expected to finish within the limit from now", () => {
      const now = performance.now();
      expect(readBlocks(now, undefined, 16)).to.equal(false);
      expect(readBlocks(now, 10, 16)).to.equal(true);
      expect(readBlocks(now, 40, 16)).to.equal(false);
      expect(readBlocks(now - 30, 40, 16), "submitted 30 ms ago: ~10 ms left").to.equal(true);
      expect(readBlocks(now, 10, 0), "blockingReadMs 0: fences").to.equal(false);
      expect(readBlocks(now - 5, 0, 0), "however short the work").to.equal(false);
    });
  });
});
