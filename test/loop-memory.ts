/**
 * Long loops watched for memory, shared by the per-backend suites (loop-memory.test.ts,
 * webgpu/loop-memory.test.ts): a loop body is run for a warm-up, then for many more steps, and
 * every gauge — heap and host bytes after a full collection, live DataBuffers, the wasm memory's
 * size, device buffers a pool created, compiled-kernel and plan caches, a jitted function's trace
 * cache — is read at both points. Growth between the two points is what a leak looks like however
 * fast the machine is; the warm-up fills the bounded caches first (kernels, plans, the literal table).
 */
import { expect } from "chai";
import {
  type Tensor, JIT_CACHE_SIZE, ParamState, State, checkpoint, cond, forLoop, grad, hessian, jacfwd, jacrev, jit, kernelCacheStats, memoryStats, nn, np, optim,
  prng, random, scan, tidy, vmap, whileLoop,
} from "kiln";
import { planCacheStats } from "@kiln/backend";
import { heap } from "../packages/backend/src/host/heap.js";

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;
/** Heap growth allowed inside a synchronous loop's job (no finalizer has run there). */
const IN_JOB_SLACK_MB = 4;

/** A gauge read before and after the measured steps; `slack` is the growth allowed (same unit). */
export interface Gauge {
  readonly name: string;
  readonly read: () => number;
  readonly slack: number;
}

/**
 * The gauges every backend has. Live buffers lag inside a synchronous loop for values nothing owns
 * (their finalizers need the event loop: eager-memory.test.ts), so they are read after yielding.
 */
export function commonGauges(): Gauge[] {
  return [
    { name: "heap (MB)", read: () => process.memoryUsage().heapUsed / MB, slack: 4 },
    { name: "host ArrayBuffers (MB)", read: () => process.memoryUsage().arrayBuffers / MB, slack: 4 },
    { name: "live DataBuffers", read: () => memoryStats().buffers, slack: 0 },
    { name: "wasm memory (pages)", read: () => (heap ? heap.memory.buffer.byteLength / 65536 : 0), slack: 0 },
    { name: "compiled JS kernels", read: () => kernelCacheStats().entries, slack: 0 },
    { name: "cached plans", read: () => planCacheStats().entries, slack: 0 },
  ];
}

/** One loop: `step(i)` is the body (synchronous where the backend reads synchronously). */
export interface Loop {
  readonly name: string;
  /** Builds the loop's values and returns its body; `extra` gauges are the loop's own (a jit's cache). */
  readonly setup: (sync: boolean) => { step: (i: number) => void | Promise<void>; gauges?: Gauge[]; check?: () => Promise<unknown> };
  /** The body awaits every step (`await x.data()` loops): run with `sync: false` on every backend. */
  readonly async?: boolean;
  /** Per-gauge slack overrides (by gauge name) for values whose count depends on the step's phase. */
  readonly slack?: Readonly<Record<string, number>>;
}

/** Collects garbage and lets finalizers run (they need a collection and a turn of the event loop). */
export async function settle(): Promise<void> {
  for (let k = 0; k < 3; k++) {
    gc?.();
    await new Promise<void>((r) => setImmediate(r));
  }
}

/**
 * Runs `loop` for `warmup` steps, reads the gauges, runs `steps` more, reads them again, and
 * expects every gauge within its slack. A synchronous loop runs without yielding between the two
 * points (what a user's `for` loop does); the gauges are read after `settle()`.
 * @example await watchLoop(LOOPS.jitted, { warmup: 200, steps: 10_000, sync: true, gauges: commonGauges() });
 */
export async function watchLoop(loop: Loop, opts: { warmup: number; steps: number; sync: boolean; gauges: readonly Gauge[] }): Promise<Record<string, [number, number]>> {
  if (!gc) throw new Error("loop-memory needs global.gc: run mocha with --expose-gc (.mocharc.json sets it)");
  const { step, gauges = [], check } = loop.setup(opts.sync);
  const all = [...opts.gauges, ...gauges];
  const run = async (from: number, to: number) => {
    if (opts.sync) for (let i = from; i < to; i++) step(i) as void;
    else for (let i = from; i < to; i++) await step(i);
  };
  await run(0, opts.warmup);
  await settle();
  const before = all.map((g) => g.read());
  // A synchronous loop is also watched from inside its job: V8 keeps every WeakRef target (and
  // FinalizationRegistry cleanups wait) until the job ends, so what only the event loop frees
  // grows here however flat the gauges read after settling.
  const heapInJob = () => (gc!(), process.memoryUsage().heapUsed / MB);
  let inJobBefore = 0, inJobAfter = 0;
  if (opts.sync) {
    inJobBefore = heapInJob();
    for (let i = opts.warmup; i < opts.warmup + opts.steps; i++) step(i) as void;
    inJobAfter = heapInJob();
  } else await run(opts.warmup, opts.warmup + opts.steps);
  await settle();
  const after = all.map((g) => g.read());
  if (opts.sync) {
    expect(inJobAfter - inJobBefore, `${loop.name}: heap inside the synchronous loop grew over ${opts.steps} steps (${inJobBefore.toFixed(1)} → ${inJobAfter.toFixed(1)} MB)`).to.be.at.most(IN_JOB_SLACK_MB);
  }
  const report: Record<string, [number, number]> = {};
  all.forEach((g, k) => {
    report[g.name] = [before[k]!, after[k]!];
    expect(after[k]! - before[k]!, `${loop.name}: ${g.name} grew over ${opts.steps} steps (${before[k]} → ${after[k]})`).to.be.at.most(loop.slack?.[g.name] ?? g.slack);
  });
  await check?.();
  return report;
}

/** Reads a scalar: synchronously where the backend can, else awaited. */
const readScalar = (t: Tensor, sync: boolean): number | Promise<number> => (sync ? t.itemSync() : t.item());

/** A read's completion as a step's result (undefined when it was synchronous). */
const drop = (v: number | Promise<number>): void | Promise<void> => (typeof v === "number" ? undefined : v.then(() => {}));

/**
 * One training step per optimizer kind, in turn: each optimizer owns a small Linear model's
 * ParamStates and its slot States (moments, step count), updated eagerly or by a jitted step.
 */
function optimizerLoop(sync: boolean, jitted: boolean): ReturnType<Loop["setup"]> {
  const makers = [
    (w: Record<string, ParamState>) => new optim.SGD(w, { lr: 0.1 }),
    (w: Record<string, ParamState>) => new optim.Momentum(w, { lr: 0.1 }),
    (w: Record<string, ParamState>) => new optim.Adam(w, { lr: 0.01 }),
    (w: Record<string, ParamState>) => new optim.AdamW(w, { lr: 0.01 }),
    (w: Record<string, ParamState>) => new optim.RMSProp(w, { lr: 0.01 }),
    (w: Record<string, ParamState>) => new optim.Adagrad(w, { lr: 0.01 }),
    (w: Record<string, ParamState>) => new optim.Adadelta(w, {}),
    (w: Record<string, ParamState>) => new optim.Lion(w, { lr: 0.001 }),
    (w: Record<string, ParamState>) => new optim.LAMB(w, { lr: 0.01 }),
  ];
  const x = np.linspace(-1, 1, 24).reshape([6, 4]), y = np.linspace(0, 1, 12).reshape([6, 2]);
  const first: number[] = [], last: number[] = [];
  const steps = makers.map((make) => {
    const model = new nn.Linear(4, 2);
    const params = model.states(ParamState) as Record<string, ParamState>;
    const opt = make(params);
    const body = () => {
      const [g, l] = grad(() => np.mean(np.square(model.call(x).sub(y))), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
      opt.update(g);
      return l;
    };
    return { run: jitted ? jit(body) : body, opt };
  });
  return {
    step: (i) => {
      const k = i % steps.length;
      const l = steps[k]!.run() as Tensor;
      const keep = (u: number) => {
        first[k] ??= u;
        last[k] = u;
      };
      if (i % (4 * steps.length) >= steps.length) return;
      const v = readScalar(l, sync);
      if (typeof v === "number") keep(v);
      else return v.then(keep);
    },
    gauges: jitted ? [{ name: "jit caches", read: () => steps.reduce((n, s) => n + (s.run as ReturnType<typeof jit>).cacheSize(), 0), slack: 0 }] : [],
    check: async () => {
      // Every optimizer trained: its loss went down.
      expect(last.length).to.equal(steps.length);
      last.forEach((u, k) => expect(u, `optimizer ${k}`).to.be.below(first[k]!));
    },
  };
}

/**
 * The loops: eager ops, a jitted call, an eager gradient step carrying its weights, eager State
 * updates with a live subscriber, a jitted State step with gradients, and subscribing/unsubscribing
 * every step. Small tensors: the point is the step count, not the arithmetic.
 */
export const LOOPS = {
  eager: {
    name: "eager ops",
    setup: (sync) => {
      const x = np.linspace(-1, 1, 64).reshape([8, 8]);
      let acc = 0;
      return {
        // a new scalar every step: literals are parameters, their table bounded
        step: (i) => {
          const v = readScalar(np.tanh(x.mul(i % 3000).add(1)).sum(), sync);
          if (typeof v === "number") acc += v;
          else return v.then((u) => void (acc += u));
        },
        check: async () => expect(acc).to.be.finite,
      };
    },
  },
  jitted: {
    name: "jitted calls",
    setup: (sync) => {
      const f = jit((a: Tensor, w: Tensor, s: Tensor) => np.tanh(np.matmul(a, w).mul(s)).sum());
      const a = np.linspace(-1, 1, 32).reshape([4, 8]), w = np.linspace(1, -1, 48).reshape([8, 6]);
      return {
        step: (i) => {
          const v = readScalar(f(a, w, np.array(1 + (i % 7) * 0.01)) as Tensor, sync);
          if (typeof v !== "number") return v.then(() => {});
        },
        gauges: [{ name: "jit cache", read: () => f.cacheSize(), slack: 0 }],
      };
    },
  },
  gradStep: {
    name: "eager grad steps carrying the weights",
    setup: (sync) => {
      const x = np.linspace(-2, 2, 24).reshape([6, 4]), y = np.linspace(0, 1, 6).reshape([6, 1]);
      const loss = (w: Tensor) => np.mean(np.square(np.tanh(np.matmul(x, w)).sub(y)));
      const g = grad(loss);
      let w = np.linspace(-0.5, 0.5, 4).reshape([4, 1]);
      let first = NaN, last = NaN;
      return {
        step: (i) => {
          w = w.sub((g(w) as Tensor).mul(0.1));
          const keep = (u: number) => {
            if (i === 0) first = u;
            last = u;
          };
          // The weights themselves are read every step. Read only through the loss, their pending
          // history is recomputed by band (realize.ts) and kept up to 128 levels (tensor.ts), and
          // every read's graph differs (a new eager plan each); reading w drops that history.
          if (sync) {
            w.dataSync();
            keep(loss(w).itemSync());
            return;
          }
          return w.data().then(() => loss(w).item()).then(keep);
        },
        check: async () => expect(last).to.be.below(first),
      };
    },
  },
  newGradEachStep: {
    name: "a new grad transform every step (jax.grad(f)(w) in a loop) with a State",
    setup: (sync) => {
      const x = np.linspace(-2, 2, 24).reshape([6, 4]), y = np.linspace(0, 1, 6).reshape([6, 1]);
      const b = new State(np.zeros([1]), { name: "b" });
      let w = np.linspace(-0.5, 0.5, 4).reshape([4, 1]);
      let first = NaN, last = NaN;
      return {
        step: (i) => {
          // Each call traces and derives anew: its graph nodes must not outlive the call (a table
          // of WeakRefs kept them all until the loop yielded: ~17 KB a call).
          const loss = (v: Tensor) => np.mean(np.square(np.tanh(np.matmul(x, v)).add(b.value as Tensor).sub(y)));
          const [gb, gw] = grad(loss, { gradStates: b, argnums: 0 })(w) as unknown as [Tensor, Tensor];
          w = w.sub(gw.mul(0.1));
          b.value = (b.value as Tensor).sub(gb.mul(0.1));
          if (sync) {
            w.dataSync();
            const u = loss(w).itemSync();
            if (i === 0) first = u;
            last = u;
            return;
          }
          return w.data().then(() => loss(w).item()).then((u) => {
            if (i === 0) first = u;
            last = u;
          });
        },
        check: async () => expect(last).to.be.below(first),
      };
    },
  },
  eagerState: {
    name: "eager State updates with a live subscriber",
    setup: (sync) => {
      const s = new State(np.zeros([16]), { name: "acc" });
      const x = np.linspace(0, 1, 16);
      let seen = 0;
      const sub = s.value$.subscribe(() => seen++);
      return {
        step: (i) => {
          s.value = (s.value as Tensor).mul(0.5).add(x);
          if (i % 16 === 0) {
            const v = readScalar((s.value as Tensor).sum(), sync);
            if (typeof v !== "number") return v.then(() => {});
          }
        },
        check: async () => {
          sub.unsubscribe();
          expect(seen).to.be.greaterThan(1);
          const v = await (s.value as Tensor).data();
          expect(v[15]!).to.be.closeTo(2, 1e-4);
        },
      };
    },
  },
  jittedStateGrad: {
    name: "a jitted State step with gradients (subscribed and unsubscribed every step)",
    setup: (sync) => {
      const w = new State(np.linspace(-0.5, 0.5, 8).reshape([8, 1]), { name: "w" });
      const loss = new State(np.array(0), { name: "loss" });
      const x = np.linspace(-1, 1, 40).reshape([5, 8]), y = np.linspace(0, 1, 5).reshape([5, 1]);
      const step = jit(() => {
        const [g, value] = grad(() => np.mean(np.square(np.matmul(x, w.value as Tensor).sub(y))), { gradStates: w, returnValue: true })() as [Tensor, Tensor];
        w.value = (w.value as Tensor).sub(g.mul(0.05));
        loss.value = value;
      });
      let last: Tensor | null = null;
      return {
        step: (i) => {
          const sub = loss.value$.subscribe((v) => (last = v as Tensor));
          step();
          sub.unsubscribe();
          if (i % 64 === 0) {
            const v = readScalar(last!, sync);
            if (typeof v !== "number") return v.then(() => {});
          }
        },
        gauges: [{ name: "jit cache", read: () => step.cacheSize(), slack: 0 }],
        check: async () => expect(await (loss.value as Tensor).item()).to.be.finite,
      };
    },
  },
  optimizersEager: {
    name: "eager training steps with every optimizer (SGD … LAMB) over ParamStates",
    setup: (sync) => optimizerLoop(sync, false),
  },
  optimizersJitted: {
    name: "jitted training steps with every optimizer (SGD … LAMB) over ParamStates",
    setup: (sync) => optimizerLoop(sync, true),
  },
  modules: {
    name: "nn modules' forward and grad over ParamStates (MLP, Conv2d, GRUCell), eager",
    setup: (sync) => {
      const mlp = new nn.MLP([4, 8, 2]), conv = new nn.Conv2d(2, 3, 3), cell = new nn.GRUCell(3, 4);
      const xs = [np.linspace(-1, 1, 12).reshape([3, 4]), np.linspace(-1, 1, 100).reshape([2, 5, 5, 2]), np.linspace(-1, 1, 6).reshape([2, 3])];
      const loss = [
        () => np.mean(np.square(mlp.call(xs[0]!))),
        () => np.mean(np.square(conv.call(xs[1]!))),
        () => np.mean(np.square(cell.call(cell.initialCarry([2]), xs[2]!)[1] as Tensor)),
      ];
      const params = [mlp, conv, cell].map((m) => m.states(ParamState) as Record<string, ParamState>);
      return {
        step: (i) => {
          const k = i % 3, p = params[k]!;
          const [g, l] = grad(loss[k]!, { gradStates: p, returnValue: true })() as [Record<string, Tensor>, Tensor];
          for (const [name, st] of Object.entries(p)) st.value = (st.value as Tensor).sub(g[name]!.mul(0.01));
          if (i % 16 === 0) return drop(readScalar(l, sync));
        },
      };
    },
  },
  transformEachStep: {
    name: "a transform called every step (vmap, scan, whileLoop, forLoop, cond, checkpoint, jacrev, jacfwd, hessian)",
    setup: (sync) => {
      const x = np.linspace(-1, 1, 8), m = x.reshape([2, 4]), x4 = np.linspace(-1, 1, 4), x3 = np.linspace(-1, 1, 3);
      const f = (v: Tensor) => np.sum(np.sin(v).mul(v));
      const bodies: ((i: number) => Tensor)[] = [
        (i) => np.sum(vmap((r: Tensor) => np.tanh(r.mul(1 + (i % 5))).sum())(m) as Tensor),
        (i) => (scan((c: Tensor, v: Tensor) => [c.add(v), c], np.array(i % 3), x) as [Tensor, Tensor])[0],
        (i) => whileLoop((c: Tensor) => np.less(c, 10), (c: Tensor) => c.add(1), np.array(i % 4)) as Tensor,
        (i) => np.sum(forLoop((v: Tensor) => v.mul(2), x.add(i % 3)) as Tensor),
        (i) => cond(np.array(i % 2 === 0), (v: Tensor) => v.add(1), (v: Tensor) => v.sub(1), np.array(3)) as Tensor,
        (i) => np.sum(grad(checkpoint((v: Tensor) => np.sin(np.tanh(v)).sum()))(x.mul(1 + (i % 3))) as Tensor),
        () => np.sum(jacrev(f)(x4) as Tensor),
        () => np.sum(jacfwd(f)(x4) as Tensor),
        () => np.sum(hessian(f)(x3) as Tensor),
      ];
      return { step: (i) => drop(readScalar(bodies[i % bodies.length]!(i), sync)) };
    },
  },
  jittedTransforms: {
    name: "jit(vmap) and scan/whileLoop/cond inside jit",
    setup: (sync) => {
      const fv = jit(vmap((r: Tensor, s: Tensor) => np.tanh(r.mul(s)).sum(), { inAxes: [0, null] }));
      const fc = jit((x0: Tensor, p: Tensor) => {
        const [c] = scan((c: Tensor, v: Tensor) => [c.add(v), c], x0, np.linspace(0, 1, 8)) as [Tensor, Tensor];
        const w = whileLoop((c: Tensor) => np.less(c, 10), (c: Tensor) => c.add(1), c) as Tensor;
        return cond(p, (a: Tensor) => a.add(1), (a: Tensor) => a.sub(1), w) as Tensor;
      });
      const m = np.linspace(-1, 1, 32).reshape([4, 8]);
      return {
        step: (i) => drop(readScalar(i % 2 ? np.sum(fv(m, np.array(1 + (i % 5))) as Tensor) : (fc(np.array(i % 3), np.array(i % 4 === 0)) as Tensor), sync)),
        gauges: [{ name: "jit caches", read: () => fv.cacheSize() + fc.cacheSize(), slack: 0 }],
      };
    },
  },
  randomness: {
    name: "prng.split and draws per step, and the stateful random.normal",
    // The carried key is read most steps; the draws every 8th (a draw left unread is garbage).
    setup: (sync) => {
      let key = prng.key(0);
      random.seed(1);
      let acc = 0;
      return {
        step: (i) => {
          const [carry, sub] = prng.split(key) as unknown as [Tensor, Tensor];
          key = carry;
          const v = i % 2 ? np.sum(prng.normal(sub, [4])) : np.sum(random.normal({ size: [4] }) as Tensor);
          if (i % 8 === 0) {
            const u = readScalar(v, sync);
            if (typeof u === "number") acc += u;
            else return u.then((w) => void (acc += w));
            return;
          }
          if (sync) key.dataSync();
          else return key.data().then(() => {});
        },
        check: async () => expect(acc).to.be.finite,
      };
    },
  },
  hostFunctions: {
    name: ".at().set()/.get() and np functions on host code (sort, unique with size, linalg solve/inv/eigh, fft)",
    setup: (sync) => {
      const a = np.linspace(-1, 1, 16).reshape([4, 4]).add(np.eye(4).mul(3));
      let x = np.zeros([16]);
      // Values vary with the step, shapes and indices (static: each its own kernel) cycle over two.
      const bodies: ((v: Tensor, s: number) => Tensor)[] = [
        (v, s) => (x = x.at(s).set(v.get(s) as Tensor)).at(s + 1).get() as Tensor,
        (v) => np.sort(v.mul(-1)),
        (v) => np.unique(np.floor(v), { size: 4 }) as Tensor,
        (v) => np.linalg.solve(a, v.reshape([2, 4]).get(0) as Tensor),
        (v, s) => np.linalg.inv(a.add(v.get(s) as Tensor)),
        (v, s) => np.linalg.eigh(a.add(a.T).add(v.get(s) as Tensor))[0],
        (v) => np.fft.fft(v).re,
      ];
      return {
        step: (i) => {
          const v = readScalar(np.sum(bodies[i % bodies.length]!(np.linspace(0, 1 + (i % 13) * 0.1, 8), i % 2)), sync);
          // x is carried: read it (as gradStep reads its weights), so that no read's graph holds its
    // history: every read's graph would differ, each plan joining the eager plan cache (512 plans).
          if (i % bodies.length !== 0) return drop(v);
          if (sync) x.dataSync();
          else return x.data().then(() => {});
        },
      };
    },
  },
  jitNewShapes: {
    name: `jit with a new input shape every step (its cache bounded at JIT_CACHE_SIZE = ${JIT_CACHE_SIZE} signatures)`,
    setup: (sync) => {
      // 96 shapes cycled: more than the cache holds, so every call past the warm-up traces anew
      // and evicts the least recently used signature; the warm-up compiles all 96 kernels.
      const f = jit((x: Tensor) => np.tanh(x).sum());
      return {
        step: (i) => drop(readScalar(f(np.ones([1 + (i % 96)])) as Tensor, sync)),
        gauges: [{ name: "jit cache", read: () => f.cacheSize(), slack: 0 }],
        check: async () => expect(f.cacheSize()).to.equal(JIT_CACHE_SIZE),
      };
    },
  },
  lowerEachStep: {
    name: "jit(...).lower() every step",
    setup: () => {
      const f = jit((x: Tensor) => np.tanh(x.mul(2)).sum());
      const x = np.ones([8]);
      let kernels = 0;
      return {
        step: () => void (kernels += f.lower(x).stats.kernels),
        gauges: [{ name: "jit cache", read: () => f.cacheSize(), slack: 0 }],
        check: async () => expect(kernels).to.be.greaterThan(0),
      };
    },
  },
  failingSteps: {
    name: "steps that throw every other iteration (tidy, a jitted grad step, an eager grad)",
    setup: (sync) => {
      const w = new State(np.ones([4]), { name: "w" });
      const f = jit((x: Tensor) => {
        const g = grad(() => np.sum(np.square((w.value as Tensor).mul(x))), { gradStates: w })() as Tensor;
        w.value = (w.value as Tensor).sub(g.mul(0.01));
        return np.sum(w.value as Tensor);
      });
      const x = np.ones([8]);
      let thrown = 0;
      return {
        step: (i) => {
          try {
            if (i % 2 === 0) return drop(readScalar(f(np.full([4], 0.5)) as Tensor, sync));
            if (i % 6 === 1) f(np.ones([2, 2])); // a ShapeError inside the trace
            else if (i % 6 === 3) tidy(() => { x.mul(i % 9).add(1); throw new Error("step failed"); });
            else grad((v: Tensor) => { np.sum(v.mul(v)); throw new Error("step failed"); })(x.mul(i % 5));
          } catch {
            thrown++;
          }
        },
        gauges: [{ name: "jit cache", read: () => f.cacheSize(), slack: 0 }],
        check: async () => {
          expect(thrown).to.be.greaterThan(0);
          expect((await (w.value as Tensor).data())[0]).to.be.finite;
        },
      };
    },
  },
  subscribers: {
    name: "a State stream with many subscribers joining and leaving",
    setup: (sync) => {
      const s = new State(np.zeros([4]), { name: "s" });
      const subs: { unsubscribe(): void }[] = [];
      let seen = 0;
      return {
        step: (i) => {
          for (let k = 0; k < 4; k++) subs.push(s.value$.subscribe(() => seen++));
          s.value = (s.value as Tensor).add(1);
          while (subs.length > 8) subs.shift()!.unsubscribe();
          if (i % 32 === 0) return drop(readScalar((s.value as Tensor).sum(), sync));
        },
        check: async () => {
          for (const sub of subs.splice(0)) sub.unsubscribe();
          expect(seen).to.be.greaterThan(1000);
        },
      };
    },
  },
  awaitedReads: {
    name: "awaited reads every step (await x.data(), await x.item())",
    async: true,
    setup: () => {
      const x = np.linspace(-1, 1, 64);
      let acc = 0;
      return {
        step: async (i) => {
          const d = await np.tanh(x.mul(1 + (i % 5))).data();
          acc += d[3]! + (await np.sum(x.mul(i % 3)).item());
        },
        check: async () => expect(acc).to.be.finite,
      };
    },
  },
} as const satisfies Record<string, Loop>;
