/**
 * Issue 17, item 3: a scan whose body is element-local runs as ONE device loop kernel
 * (targets/webgpu/wgsl-loop.ts): every invocation keeps its elements' carries in registers and
 * runs the whole loop. Values are checked bit for bit against the per-iteration device path (the
 * same kernels, one compute pass per iteration: `setLoopKernels(false)`) and within 1e-5 against
 * the cpu backend; structure: one dispatch and one submission for a 1,000-step scan, the split
 * path past the per-dispatch trip bound, and bodies that are not element-local keep the old path.
 */
import { expect } from "chai";
import { type Tensor, environ, forLoop, grad, jit, nn, np, scan, setBackend, webgpuRunStats, whileLoop } from "kiln";
import { setLoopKernels, setScanDeviceMinBytes } from "../../packages/backend/src/targets/webgpu/webgpu.js";
import { setLoopKernelMaxTrips } from "../../packages/backend/src/targets/webgpu/wgsl-loop.js";
import { setWebgpuObserver } from "../../packages/backend/src/targets/webgpu/webgpu-observe.js";
import { expectClose as close } from "./cpu-parity.js";
import { useWebgpu } from "./env.js";

type Fn = (...args: Tensor[]) => Tensor | Tensor[];

const read = async (out: Tensor | Tensor[]): Promise<number[][]> =>
  Promise.all([out].flat().map(async (t) => Array.from(await t.data())));

const LOOP_KERNEL = "scan as one device loop kernel", GROUP_LOOP = "scan as one device workgroup loop", GROUP_WHILE = "while on the device as one workgroup loop";

/** Whether `lower()` of `make()` on `args` shows a scan run as `how` (a loop kernel by default). */
function usesLoopKernel(make: () => Fn, args: () => Tensor[], how = LOOP_KERNEL): boolean {
  return jit(make()).lower(...args()).kernels.some((k) => k.source.includes(how));
}

/**
 * `make()` jitted three ways: on the cpu backend, on webgpu per iteration (loop kernels off) and
 * as a loop kernel. Expects the loop kernel's values to equal the per-iteration path's bit for bit
 * and the cpu's within 1e-5; returns the loop kernel's.
 */
async function threeWays(make: () => Fn, args: () => Tensor[], how = LOOP_KERNEL): Promise<number[][]> {
  setBackend("cpu");
  const cpu = await read(jit(make())(...args()));
  setBackend("webgpu");
  const was = setLoopKernels(false);
  let perIteration: number[][];
  try {
    perIteration = await read(jit(make())(...args()));
  } finally {
    setLoopKernels(was);
  }
  expect(usesLoopKernel(make, args, how), `runs as: ${how}`).to.equal(true);
  const loop = await read(jit(make())(...args()));
  expect(loop, "bit for bit the per-iteration device path").to.deep.equal(perIteration);
  close(loop, cpu);
  return loop;
}

/** Dispatches recorded while `f` runs (the profiler's observer), of the steps named `only` when given. */
async function dispatchesOf(f: () => Promise<unknown>, only?: string): Promise<number> {
  let n = 0;
  const was = setWebgpuObserver({ step: (s, d) => void (n += !only || s.name === only ? d : 0), submission: () => {} });
  try {
    await f();
  } finally {
    setWebgpuObserver(was);
  }
  return n;
}

const bench = () => (c0: Tensor) => scan((c: Tensor) => [c.mul(0.999).add(0.001), null], c0, null, { length: 1000 })[0] as Tensor;

describe("webgpu: element-local scans as one device loop kernel", function () {
  this.timeout(120_000);
  useWebgpu();
  // The per-iteration comparisons need small bodies on the device too.
  let was: number | null = null;
  before(() => void (was = setScanDeviceMinBytes(0)));
  after(() => setScanDeviceMinBytes(was));

  it("the benchmark scan (1,000 steps of [16]): one dispatch, one submission, no host step, the per-iteration path's values", async () => {
    const args = () => [np.linspace(0, 2, 16)];
    await threeWays(bench, args);
    const f = jit(bench());
    const x = args()[0]!;
    await (f(x) as Tensor).data(); // compiled and checked
    const s0 = webgpuRunStats();
    const dispatches = await dispatchesOf(() => (f(x) as Tensor).data());
    const s1 = webgpuRunStats();
    expect(dispatches).to.equal(1);
    expect(s1.submissions - s0.submissions).to.equal(1);
    expect(s1.loopKernels - s0.loopKernels).to.equal(1);
    expect(s1.hostSteps - s0.hostSteps).to.equal(0);
    expect(f.lower(x).stats.submissions).to.equal(1);
  });

  it("by default (a software adapter's thresholds) a small element-local scan runs on the device as a loop kernel", () => {
    const prev = setScanDeviceMinBytes(null);
    try {
      const kernels = jit(bench()).lower(np.zeros([16])).kernels;
      expect(kernels.every((k) => k.backend === "webgpu")).to.equal(true);
      expect(kernels.some((k) => /loop kernel[^]*for \(var lt_/.test(k.source))).to.equal(true);
    } finally {
      setScanDeviceMinBytes(prev);
    }
  });

  it("xs, consts and several ys, forwards and reversed", async () => {
    for (const reverse of [false, true]) {
      const make = () => (c0: Tensor, xs: Tensor, w: Tensor): Tensor[] => {
        const [c, ys] = scan((c: Tensor, x: Tensor) => {
          const next = np.tanh(c.mul(w).add(x));
          return [next, [next, next.mul(x).sub(1)]];
        }, c0, xs, { reverse });
        return [c as Tensor, ...(ys as Tensor[])];
      };
      await threeWays(make, () => [np.linspace(-1, 1, 8), np.arange(5 * 8).reshape([5, 8]).mul(0.01), np.full([8], 0.7)]);
    }
  });

  it("2-D carries with a broadcast row const and a scalar x per step", async () => {
    const make = () => (c0: Tensor, xs: Tensor, row: Tensor) =>
      scan((c: Tensor, x: Tensor) => { const n = c.mul(row).add(x); return [n, n.mul(2)]; }, c0, xs) as unknown as Tensor[];
    await threeWays(() => (c0, xs, row) => [make()(c0!, xs!, row!)].flat(), () => [np.ones([3, 4]), np.arange(6).mul(0.1), np.linspace(0.5, 1, 4)]);
  });

  it("outputs that are inputs: a y equal to its x row, a carry passed through, a y that is a const", async () => {
    const make = () => (c0: Tensor, k: Tensor, xs: Tensor, w: Tensor): Tensor[] => {
      const [[c, kept], ys] = scan(([c, kk]: Tensor[], x: Tensor) => [[c.add(x), kk], [x, w, c]], [c0, k], xs);
      return [c as Tensor, kept as Tensor, ...(ys as Tensor[])];
    };
    await threeWays(make, () => [np.zeros([4]), np.full([4], 2), np.arange(12).reshape([3, 4]), np.linspace(1, 2, 4)]);
    // A const y narrower than the carries: not the loop's width, so not a loop kernel; same values.
    const narrow = (): Fn => (c0, xs, w) => scan((c: Tensor, x: Tensor) => [c.add(x), w], c0!, xs!)[1] as Tensor;
    const args = () => [np.zeros([4]), np.ones([3, 4]), np.array([5, 6])];
    expect(usesLoopKernel(narrow, args)).to.equal(false);
    setBackend("cpu");
    const cpu = await read(jit(narrow())(...args()));
    setBackend("webgpu");
    expect(await read(jit(narrow())(...args()))).to.deep.equal(cpu);
  });

  it("length 1 and length 0", async () => {
    const make = (length: number) => () => (c0: Tensor, xs: Tensor): Tensor[] => {
      const [c, ys] = scan((c: Tensor, x: Tensor) => [c.add(x), c.mul(x)], c0, xs);
      return [c as Tensor, ys as Tensor];
    };
    await threeWays(make(1), () => [np.ones([4]), np.full([1, 4], 3)]);
    // Length 0 has nothing to loop over: the per-iteration path gives the carry back.
    setBackend("webgpu");
    const out = await read(jit(make(0)())(np.ones([4]), np.zeros([0, 4])));
    expect(out).to.deep.equal([[1, 1, 1, 1], []]);
  });

  it("a carry of 1 element and a carry of 10^5 elements (many workgroups)", async () => {
    await threeWays(() => (c0: Tensor) => scan((c: Tensor) => [np.sin(c).add(0.5), c], c0, null, { length: 40 }) as unknown as Tensor[], () => [np.array([0.3])]);
    const big = await threeWays(() => (c0: Tensor) => scan((c: Tensor) => [c.mul(0.9).add(1), null], c0, null, { length: 30 })[0] as Tensor, () => [np.arange(100_000).mul(1e-3)]);
    expect(big[0]!.length).to.equal(100_000);
  });

  it("mixed dtypes: an int32 counter, a float carry and a bool carry", async () => {
    const make = () => (c0: Tensor): Tensor[] => {
      const [[i, c, hit], ys] = scan(([i, c, hit]: Tensor[]) => {
        const next = c.add(i.astype("float32").mul(0.5));
        return [[i.add(1), next, np.logicalOr(hit, np.greater(next, 11))], [i, next]];
      }, [np.array(0, { dtype: "int32" }), c0, np.zeros([6], { dtype: "bool" })], null, { length: 7 });
      return [i as Tensor, c as Tensor, hit as Tensor, ...(ys as Tensor[])];
    };
    const [i, , hit, is] = await threeWays(make, () => [np.linspace(0, 1, 6)]);
    expect(i).to.deep.equal([7]);
    expect(is).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(hit!.some((h) => h === 1) && hit!.some((h) => h === 0)).to.equal(true);
  });

  it("a LIF population simulated with forLoop (nn dynamics: a HiddenState carried, spikes stacked)", async () => {
    environ.set({ dt: 0.5 });
    try {
      const lif = new nn.LIF(5, { tau: 4 });
      const make = () => (xs: Tensor) => {
        lif.initState(2);
        return forLoop((x: Tensor) => lif.update(x), xs) as Tensor;
      };
      const xs = () => [np.arange(60 * 2 * 5).reshape([60, 2, 5]).mul(0.004)];
      const [spikes] = await threeWays(make, xs);
      const count = spikes!.reduce((a, b) => a + b, 0);
      expect(count, "the population fires, but not always").to.be.within(1, spikes!.length - 1);
    } finally {
      environ.reset();
    }
  });

  it("grad through the scan: the forward and the backward (reverse, residuals as xs) scans are loop kernels", async () => {
    const make = () => grad((c0: Tensor, xs: Tensor) => {
      const [c, ys] = scan((c: Tensor, x: Tensor) => { const n = np.sin(c.mul(x)).add(c.mul(0.5)); return [n, n.mul(n)]; }, c0, xs);
      return (c as Tensor).sum().add((ys as Tensor).sum());
    }) as Fn;
    const args = () => [np.linspace(-1, 1, 8), np.arange(12 * 8).reshape([12, 8]).mul(0.01)];
    await threeWays(make, args);
    const loops = jit(make()).lower(...args()).kernels.filter((k) => k.source.includes("scan as one device loop kernel"));
    expect(loops.length).to.be.greaterThanOrEqual(2);
  });

  it("past the per-dispatch trip bound the loop runs as several dispatches of one pipeline, with the same values", async () => {
    const make = () => (c0: Tensor, xs: Tensor): Tensor[] => {
      const [[i, c], ys] = scan(([i, c]: Tensor[], x: Tensor) => {
        const n = c.mul(0.75).add(x).add(i.astype("float32"));
        return [[i.add(1), n], n];
      }, [np.array(0, { dtype: "int32" }), c0], xs, { reverse: true });
      return [i as Tensor, c as Tensor, ys as Tensor];
    };
    const args = () => [np.linspace(0, 1, 5), np.arange(10 * 5).reshape([10, 5]).mul(0.1)];
    const whole = await threeWays(make, args);
    const prev = setLoopKernelMaxTrips(3);
    try {
      const f = jit(make());
      const [c0, xs] = args();
      const lowered = f.lower(c0!, xs!).kernels.find((k) => k.source.includes("loop kernel"))!;
      expect(lowered.source).to.include("4 dispatch(es)");
      let split: number[][] = [];
      const dispatches = await dispatchesOf(async () => (split = await read(f(c0!, xs!))), "library_scan");
      expect(dispatches).to.equal(4);
      expect(split).to.deep.equal(whole);
      // Only the final carry used: the split still hands every carry on.
      const g = jit((c: Tensor, x: Tensor) => make()(c, x)[1]!);
      expect(await read(g(c0!, xs!))).to.deep.equal([whole[1]!]);
    } finally {
      setLoopKernelMaxTrips(prev);
    }
  });

  it("small bodies that read across elements (a sum, a flip, a small matmul, xs and ys, reversed) run as one workgroup loop", async () => {
    const bodies: ((c: Tensor, x: Tensor, w: Tensor) => [Tensor, Tensor])[] = [
      (c, x) => { const n = np.tanh(c.mul(0.7).add(x)); return [n, n.sum()]; },
      (c, x) => [np.flip(c).mul(0.5).add(x), c.max()],
      (c, x, w) => { const n = np.tanh(np.matmul(w, c)).add(x); return [n, n.mul(n)]; },
    ];
    for (const reverse of [false, true]) {
      for (const body of bodies) {
        const make = (): Fn => (c0, xs, w) => {
          const [c, ys] = scan((c: Tensor, x: Tensor) => body(c, x, w!), c0!, xs!, { reverse });
          return [c as Tensor, ys as Tensor];
        };
        await threeWays(make, () => [np.linspace(-1, 1, 8), np.arange(6 * 8).reshape([6, 8]).mul(0.01), np.eye(8).mul(0.5).add(0.01)], GROUP_LOOP);
      }
    }
    // An int32 counter and a mean over 100 elements (two per invocation); one dispatch.
    const counter = (): Fn => (c0) => {
      const [[i, c], ys] = scan(([i, c]: Tensor[]) => [[i.add(1), c.sub(c.mean()).add(i.astype("float32"))], c.sum()], [np.array(0, { dtype: "int32" }), c0!], null, { length: 50 });
      return [i as Tensor, c as Tensor, ys as Tensor];
    };
    const arg = () => [np.linspace(0, 1, 100)];
    await threeWays(counter, arg, GROUP_LOOP);
    const f = jit(counter());
    await read(f(...arg()));
    expect(await dispatchesOf(async () => read(f(...arg())), "library_scan")).to.equal(1);
  });

  it("a workgroup loop past the per-dispatch trip bound: several dispatches, the same values", async () => {
    const make = (): Fn => (c0, xs) => {
      const [c, ys] = scan((c: Tensor, x: Tensor) => { const n = c.sub(c.mean()).add(x); return [n, n.sum()]; }, c0!, xs!, { reverse: true });
      return [c as Tensor, ys as Tensor];
    };
    const args = () => [np.linspace(0, 1, 6), np.arange(10 * 6).reshape([10, 6]).mul(0.1)];
    const whole = await threeWays(make, args, GROUP_LOOP);
    const prev = setLoopKernelMaxTrips(4);
    try {
      const f = jit(make());
      let split: number[][] = [];
      expect(await dispatchesOf(async () => (split = await read(f(...args()))), "library_scan")).to.equal(3);
      expect(split).to.deep.equal(whole);
    } finally {
      setLoopKernelMaxTrips(prev);
    }
  });

  it("bodies too large for one workgroup keep the per-iteration path (a sum over 10^4 elements)", async () => {
    const make = (): Fn => (c0) => scan((c: Tensor) => [c.mul(0.5).add(c.sum().mul(1e-4)), null], c0!, null, { length: 3 })[0] as Tensor;
    const x = () => [np.linspace(0, 1, 10_000)];
    expect(usesLoopKernel(make, x) || usesLoopKernel(make, x, GROUP_LOOP)).to.equal(false);
    setBackend("cpu");
    const cpu = await read(jit(make())(...x()));
    setBackend("webgpu");
    close(await read(jit(make())(...x())), cpu);
  });

  it("a whileLoop with a reduction predicate runs as one workgroup loop: one read of a done flag, not one per iteration", async () => {
    const make = (): Fn => (c0) => whileLoop((c: Tensor) => np.less(c.sum(), 100), (c: Tensor) => np.tanh(c).add(c.mul(1.1)).add(0.25), c0!) as Tensor;
    const args = () => [np.linspace(-1, 1, 12)];
    await threeWays(make, args, GROUP_WHILE);
    const f = jit(make());
    await read(f(...args()));
    const s0 = webgpuRunStats();
    const dispatches = await dispatchesOf(async () => read(f(...args())), "library_while");
    const s1 = webgpuRunStats();
    expect(dispatches, "one dispatch").to.equal(1);
    expect(s1.loopFlagReads - s0.loopFlagReads).to.equal(1);
    expect(s1.predicateReads - s0.predicateReads).to.equal(0);
  });

  it("workgroup while loops: a counter with a float carry, zero iterations, and the split path past the trip bound", async () => {
    const counter = (): Fn => (c0) => {
      const [i, c] = whileLoop(([i]: Tensor[]) => np.less(i, 10), ([i, c]: Tensor[]) => [i.add(1), c.mul(2).sub(c.max())], [np.array(0, { dtype: "int32" }), c0!]) as Tensor[];
      return [i!, c!];
    };
    const args = () => [np.linspace(0, 1, 5)];
    const whole = await threeWays(counter, args, GROUP_WHILE);
    expect(whole[0]).to.deep.equal([10]);
    const never = (): Fn => (c0) => whileLoop((c: Tensor) => np.greater(c.sum(), 1e9), (c: Tensor) => c.add(1), c0!) as Tensor;
    expect(await threeWays(never, args, GROUP_WHILE)).to.deep.equal([Array.from(await args()[0]!.data())]);
    const prev = setLoopKernelMaxTrips(3);
    try {
      const f = jit(counter());
      const s0 = webgpuRunStats().loopFlagReads;
      expect(await read(f(...args()))).to.deep.equal(whole);
      expect(webgpuRunStats().loopFlagReads - s0, "ceil(11 predicate checks / 3)").to.equal(4);
    } finally {
      setLoopKernelMaxTrips(prev);
    }
  });

  it("a workgroup while loop of 10^4 iterations: a few flag reads, the per-iteration path's values", async () => {
    const count = (): Fn => (x0, steps) => (whileLoop(
      ([, k]: Tensor[]) => np.less(k!, steps!),
      ([x, k]: Tensor[]) => [x!.mul(0.999).add(x!.mean().mul(0.001)), k!.add(1)],
      [x0!, np.zeros([], { dtype: "int32" })],
    ) as Tensor[])[0]!;
    const args = () => [np.linspace(0, 1, 64), np.array(Int32Array.of(10_000)).reshape([])];
    await threeWays(count, args, GROUP_WHILE);
    const f = jit(count());
    await read(f(...args()));
    const s0 = webgpuRunStats();
    await read(f(...args()));
    const s1 = webgpuRunStats();
    expect(s1.predicateReads - s0.predicateReads).to.equal(0);
    // One read per dispatch: here ~240 iterations each (the mean runs serially in one invocation).
    expect(s1.loopFlagReads - s0.loopFlagReads).to.be.within(1, 100);
  });

  it("loops longer than the loop budget of an invocation (llvmpipe cuts loops silently past 65,535 iterations) run in full", async () => {
    // An exact count: a loop cut short would read less.
    const long = jit((c0: Tensor) => scan((c: Tensor) => [c.add(1), null], c0, null, { length: 150_000 })[0] as Tensor);
    expect(long.lower(np.zeros([4], { dtype: "int32" })).kernels.some((k) => /loop kernel[^]*[3-9] dispatch/.test(k.source))).to.equal(true);
    expect(await read(long(np.array([0, 1, 2, 3], { dtype: "int32" })))).to.deep.equal([[150_000, 150_001, 150_002, 150_003]]);
    const group = jit((c0: Tensor) => scan((c: Tensor) => [c.add(c.max().sub(c.max())).add(1), null], c0, null, { length: 100_000 })[0] as Tensor);
    expect(await read(group(np.array([0, 1, 2, 3], { dtype: "int32" })))).to.deep.equal([[100_000, 100_001, 100_002, 100_003]]);
  });
});
