/**
 * Library kernels as WGSL (targets/webgpu/wgsl-library.ts): argmax/argmin, cumsum and the scatters on
 * sizes past one workgroup, every axis position, with ties, NaNs, repeated and out-of-range
 * indices, against float64/JS loops. They must run on the device (no host steps).
 */
import { expect } from "chai";
import { type Tensor, jit, np, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

function values(n: number, seed: number, levels = 0): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = (s / 2 ** 32) * 2 - 1;
    return levels ? Math.floor((u + 1) * levels) : Math.fround(u); // few levels: many ties
  });
}

describe("webgpu: library kernels on the device", function () {
  this.timeout(60_000);
  useWebgpu();

  it("argmax/argmin along each axis of [37, 300] with ties: the first extreme, as NumPy", async () => {
    const [R, C] = [37, 300];
    const v = values(R * C, 5, 7);
    const x = np.array(v, { dtype: "int32" }).reshape([R, C]);
    const s0 = webgpuRunStats().hostSteps;
    const rows = Array.from(await np.argmax(x, { axis: 1 }).data());
    const cols = Array.from(await np.argmin(x.astype("float32"), { axis: 0 }).data());
    for (let r = 0; r < R; r++) {
      const line = v.slice(r * C, (r + 1) * C);
      expect(rows[r], `row ${r}`).to.equal(line.indexOf(Math.max(...line)));
    }
    for (let c = 0; c < C; c++) {
      const line = Array.from({ length: R }, (_, r) => v[r * C + c]!);
      expect(cols[c], `column ${c}`).to.equal(line.indexOf(Math.min(...line)));
    }
    expect(webgpuRunStats().hostSteps).to.equal(s0);
  });

  it("cumsum forward and reversed along axes 0 and 1 of [50, 70]; int32 exact, float32 close", async () => {
    const [R, C] = [50, 70];
    const v = values(R * C, 9, 100);
    const xi = np.array(v, { dtype: "int32" }).reshape([R, C]);
    const got0 = Array.from(await np.cumsum(xi, { axis: 0 }).data());
    const got1 = Array.from(await np.cumsum(np.flip(xi, 1), { axis: 1 }).data());
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let r = 0; r < R; r++) expect(got0[r * C + c]).to.equal((acc += v[r * C + c]!));
    }
    for (let r = 0; r < R; r++) {
      let acc = 0;
      for (let c = 0; c < C; c++) expect(got1[r * C + c]).to.equal((acc += v[r * C + (C - 1 - c)]!));
    }
    const f = values(4096, 3);
    const gotF = await np.cumsum(np.array(f).mul(1)).data();
    let acc = 0;
    f.forEach((x, i) => {
      acc += x;
      expect(Math.abs(gotF[i]! - acc)).to.be.below(1e-4 * (1 + Math.abs(acc)));
    });
  });

  it("scatterAdd (the gradient of a gather) accumulates repeated indices and drops out-of-range ones, jitted", async () => {
    const [V, D, N] = [20, 33, 500];
    const idx = values(N, 11, 12).map((i) => i * 2 - 2); // in [-2, 22): some out of range
    const upd = values(N * D, 13);
    const scatter = jit((u: Tensor, i: Tensor) => np.zeros([V, D]).at(i).add(u));
    const s0 = webgpuRunStats().hostSteps;
    const got = await scatter(np.array(upd).reshape([N, D]), np.array(idx, { dtype: "int32" })).data();
    const want = new Float64Array(V * D);
    idx.forEach((p, j) => {
      // negative indices count from the end (np semantics); past the end: dropped
      const q = p < 0 ? p + V : p;
      if (q < 0 || q >= V) return;
      for (let d = 0; d < D; d++) want[q * D + d] += upd[j * D + d]!;
    });
    want.forEach((w, k) => expect(Math.abs(got[k]! - w), `element ${k}`).to.be.below(1e-4 * (1 + Math.abs(w))));
    const set = await np.zeros([V]).at(np.array([3, 3, 5], { dtype: "int32" })).set(np.array([1, 2, 3])).data();
    expect(set[3]).to.equal(2); // the last write wins, as on the CPU
    expect(set[5]).to.equal(3);
    expect(webgpuRunStats().hostSteps).to.equal(s0);
  });
});
