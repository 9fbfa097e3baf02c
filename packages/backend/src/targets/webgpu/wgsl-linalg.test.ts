/**
 * The WGSL factorizations' mapping decisions (wgsl-linalg.ts), without a device: which layout a
 * size gets, that the loop budget's edge and a scratch past one storage binding throw (the step
 * then runs on the host), and what needs scratch. Values are tested on Dawn in
 * test/webgpu/linalg-device.test.ts.
 */
import { expect } from "chai";
import { type LibrarySpec } from "../../schedule.js";
import { renderLinalg } from "./wgsl-linalg.js";
import { type WgslTuning } from "./wgsl-module.js";

const SOFTWARE: WgslTuning = {
  threads: 64, groupThreads: 64, coopMin: 2048, minGroups: 8, splitGrain: 64, quadLoads: false, splitUnroll: 4, maxGroupsPerDim: 65535, matmulThreads: 64, workgroupStorage: 16384, storageBuffers: 8, matmul: [{ upTo: Number.MAX_SAFE_INTEGER, strategy: "packed", tm: 16, tn: 32 }],
};

function spec(name: string, batch: number, n: number, k = 1): LibrarySpec {
  const a = [batch, n, n];
  if (name === "solve") return { name, params: {}, inShapes: [a, [batch, n, k]], inDtypes: ["float32", "float32"], outShape: [batch, n, k], dtype: "float32" };
  return { name, params: {}, inShapes: [a], inDtypes: ["float32"], outShape: name === "cholesky" ? a : [batch], dtype: "float32" };
}

const render = (s: LibrarySpec) => renderLinalg(s, s.inShapes.map(() => "float32"), SOFTWARE)!;
/** "serial", or the invocations sharing one matrix. */
function layout(s: LibrarySpec): string {
  const { source } = render(s).dispatches[0]!;
  return source.includes("storageBarrier") ? /@workgroup_size\((\d+)\)/.exec(source)![1]! : "serial";
}

describe("WGSL factorizations: layouts and fallbacks", () => {
  it("a matrix per invocation up to n = 32, then the fewest invocations per matrix that fit the loop budget", () => {
    expect([1, 16, 32, 33, 64, 91, 92, 112, 113, 145].map((n) => layout(spec("solve", 1, n)))).to.deep.equal(
      ["serial", "serial", "serial", "8", "8", "8", "16", "16", "32", "64"]);
    expect(render(spec("solve", 130, 4)).dispatches[0]!.groups).to.deep.equal([3, 1, 1]); // 64 matrices per workgroup
    expect(render(spec("solve", 5, 40)).dispatches[0]!.groups).to.deep.equal([5, 1, 1]); // a workgroup per matrix
  });

  it("past the loop budget each op throws with its size (solve n = 146 for one right-hand side, inv n = 129, det n = 178, cholesky n = 218)", () => {
    for (const [name, n, k] of [["solve", 145, 1], ["solve", 128, 128], ["detSign", 177, 0], ["logAbsDet", 177, 0], ["cholesky", 217, 0]] as const) {
      expect(() => render(spec(name, 1, n, k)), `${name} n = ${n}`).not.to.throw();
      const past = n + 1;
      expect(() => render(spec(name, 1, past, k === 0 ? 0 : k === 1 ? 1 : past)), `${name} n = ${past}`)
        .to.throw(new RegExp(`library kernel ${name}: n = ${past} needs \\d+ loop iterations per invocation, past the 65535-iteration budget`));
    }
  });

  it("scratch: U and L for a solve, U for a determinant, none for cholesky; past one storage binding it throws", () => {
    expect(render(spec("solve", 3, 5)).scratch).to.deep.equal([{ size: 2 * 3 * 25, type: "f32" }]);
    expect(render(spec("detSign", 3, 5)).scratch).to.deep.equal([{ size: 3 * 25, type: "f32" }]);
    expect(render(spec("cholesky", 3, 5)).scratch).to.deep.equal([]);
    // 2^21 matrices of 4×4 (128 MiB): 256 MiB of solve scratch, 128 MiB (the limit) for a determinant.
    expect(() => render(spec("solve", 1 << 21, 4))).to.throw(/268435456 bytes of LU scratch exceed one storage binding/);
    expect(() => render(spec("detSign", 1 << 21, 4))).not.to.throw();
  });

  it("other dtypes throw (the host keeps them), other names are not factorizations", () => {
    const s = { ...spec("solve", 1, 3), dtype: "float16" as const };
    expect(() => renderLinalg(s, ["float16", "float16"], SOFTWARE)).to.throw(/float16 matrices run on the host/);
    expect(renderLinalg({ ...spec("detSign", 1, 3), name: "eigh" }, ["float32"], SOFTWARE)).to.equal(null);
    expect(render(spec("solve", 0, 3)).dispatches).to.deep.equal([]);
  });
});
