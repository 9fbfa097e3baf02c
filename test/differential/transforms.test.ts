/**
 * Transform identities on random programs (transforms.ts) on every backend: cpu (and the rules
 * themselves in the float64 interpreter), cpu with every kernel as wasm split across 3 threads,
 * webgpu (Dawn) and gpujs (GPU.js in Node). Plus the checks of the checker itself.
 */
import { expect } from "chai";
import { destroyGpu, init, setBackend, wasmKernelStats } from "@kiln/backend";
import { type Tensor, jit, np, vmap } from "kiln";
import { activeExecutor, setExecutor } from "kiln/internal";
import { forceWasmSplit } from "./wasm-split-env.js";
import { useWebgpu } from "../webgpu/env.js";
import { transformIdentityTests } from "./transform-programs.js";
import { type IdentityRow, TRANSFORM_IDENTITIES, checkIdentityOn, checkIdentityRule } from "./transforms.js";
import { generateProgram } from "./program.js";

/** Makes `name` active for the describe block (set up by `setup`), restoring the previous backend after it. */
function onBackend(setup: () => void | Promise<void>, teardown: () => void = () => {}): void {
  let previous = "cpu";
  before(async () => {
    previous = activeExecutor().name;
    await setup();
  });
  after(() => {
    teardown();
    setExecutor(previous);
  });
}

describe("differential transforms: cpu", () => {
  onBackend(() => setBackend("cpu"));
  transformIdentityTests("cpu", { rules: true });
});

describe("differential transforms: cpu, every kernel as wasm, split across 3 threads", () => {
  let restore = () => {}, calls = 0;
  onBackend(() => {
    restore = forceWasmSplit();
    calls = wasmKernelStats().calls;
  }, () => restore());
  transformIdentityTests("wasm");
  describe("afterwards", () => {
    it("the kernels above ran as wasm", () => expect(wasmKernelStats().calls - calls).to.be.greaterThan(500));
  });
});

describe("differential transforms: webgpu", () => {
  useWebgpu();
  transformIdentityTests("webgpu");
});

describe("differential transforms: gpujs", () => {
  onBackend(async () => {
    await init({ tune: false });
    destroyGpu(); // GPU.js alone
    setBackend("gpujs");
  });
  transformIdentityTests("gpujs");
});

describe("differential transforms: the checker", () => {
  onBackend(() => setBackend("cpu"));

  // A "vmap" that is off by one example: each batch entry is the next example's (wrapping), what
  // a batching rule that mis-indexes the batch axis looks like from outside. Both checks must see it.
  const WRONG: Record<string, IdentityRow> = {
    shiftedBatch: (p) => {
      const id = TRANSFORM_IDENTITIES.nestedVmap(p)!;
      return { got: () => id.want().map((t) => np.roll(t, 1, { axis: 0 })), want: id.want };
    },
    shiftedBatchJitted: (p) => {
      const id = TRANSFORM_IDENTITIES.nestedVmap(p)!;
      return { got: () => jit(() => id.want().map((t) => np.roll(t, 1, { axis: 0 })))() as Tensor[], want: id.want, jitted: true };
    },
  };

  it("flags a wrong transform in the interpreter, and a wrong jitted one on the backend (program 5004)", async () => {
    const p = generateProgram(5004);
    expect(checkIdentityRule(p, "shiftedBatch", WRONG)).to.match(/identity shiftedBatch \(float64 interpreter\)/);
    // the backend check holds a graph without jit to its own reference: it computes this wrong graph right
    expect(await checkIdentityOn(p, "shiftedBatch", "cpu", WRONG)).to.equal(null);
    expect(await checkIdentityOn(p, "shiftedBatchJitted", "cpu", WRONG)).to.match(/identity shiftedBatchJitted \(cpu\)/);
  });

  it("passes the true identities of the same program", async () => {
    const p = generateProgram(5004);
    expect(checkIdentityRule(p, "vmap")).to.equal(null);
    expect(await checkIdentityOn(p, "vmap", "cpu")).to.equal(null);
  });

  it("every identity applies to some of the default programs", () => {
    const seen = new Set<string>();
    for (let s = 5000; s < 5080; s++) for (const [name, row] of Object.entries(TRANSFORM_IDENTITIES)) if (row(generateProgram(s))) seen.add(name);
    expect(Object.keys(TRANSFORM_IDENTITIES).filter((n) => !seen.has(n))).to.deep.equal([]);
  });

  it("a vmap over a program equals its per-example loop on a hand-written case", () => {
    // the row's own arithmetic, checked once by hand: inAxes [1, { rest: [null] }], outAxes [-1]
    const f = (x: Tensor, more: { rest: Tensor[] }) => [x.mul(more.rest[0]!)];
    const x = np.array([[1, 2], [3, 4]]), w = np.array([10, 20]);
    const [y] = vmap(f, { inAxes: [1, { rest: [null] }], outAxes: [-1] })(x, { rest: [w] }) as Tensor[];
    expect(y!.toArraySync()).to.deep.equal([[10, 20], [60, 80]]);
  });
});
