/**
 * The systematic hostile-input sweep: every exported function of the public namespaces (`np` and
 * its sub-namespaces, `lax`, `nn` functions and constructors, `prng`, `random`, `optim`, `tree`,
 * `data`, `scipySpecial`, the top-level transforms and utilities), every Tensor method and every
 * State/ParamState method is called with each hostile value in each argument position (and one
 * past the last), on top of a working call found for it. Each call must return normally or throw
 * a KilnError — never a TypeError/RangeError from inside kiln, a stack overflow, a hang or a
 * malformed result — and a call that throws must leave every State it could reach unchanged.
 * test/hostile.test.ts keeps the hand-written table; this file makes sure nothing is missed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as kiln from "kiln";
import { KilnError, ParamState, State, Tensor, nn, np, optim, prng, setBackend, getBackend, tree } from "kiln";

/** A call slower than this (ms) is reported as a hang. */
const SLOW_MS = 2000;

const cyclicArray: unknown[] = [1];
cyclicArray.push(cyclicArray);
const cyclicObject: Record<string, unknown> = { a: 1 };
cyclicObject.self = cyclicObject;
let deepArray: unknown = 1;
for (let i = 0; i < 200; i++) deepArray = [deepArray];

/**
 * The hostile values, built fresh per describe block (tensors are made on the active backend).
 * Labels name them in failure messages.
 */
function hostileValues(): [string, unknown][] {
  const disposed = np.ones([2, 3]);
  disposed.dispose();
  let otherBackend: Tensor;
  const before = getBackend();
  try {
    setBackend("interpreter");
    otherBackend = np.arange(6).reshape([2, 3]).astype("float32");
    otherBackend.dataSync();
  } finally {
    setBackend(before);
  }
  return [
    ["undefined", undefined], ["null", null], ["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity],
    ["-1", -1], ["1.5", 1.5], ["2**53", 2 ** 53], ["1e12", 1e12], ["[1e6, 1e6]", [1e6, 1e6]], ["[1e12]", [1e12]],
    ["[0, 0] (duplicate axes)", [0, 0]], ["[-9] (axis out of range)", [-9]], ["7", 7],
    ["'abc'", "abc"], ["''", ""], ["'__proto__'", "__proto__"], ["symbol", Symbol("s")], ["10n", 10n],
    ["{}", {}], ["{ valueOf }", { valueOf: () => 2 }], ["function", () => 2], ["true", true], ["false", false],
    ["ragged [[1, 2], [3]]", [[1, 2], [3]]], ["cyclic array", cyclicArray], ["cyclic object", cyclicObject], ["200-deep array", deepArray],
    ["[]", []], ["[NaN]", [NaN]], ["['2']", ["2"]],
    ["0-size tensor", np.zeros([0])], ["0-size [0, 3] tensor", np.zeros([0, 3])], ["disposed tensor", disposed],
    ["bool tensor", np.array([[true, false, true], [false, true, true]])], ["int32 tensor", np.array([[1, 2, 3], [4, 5, 6]], { dtype: "int32" })],
    ["tensor from the interpreter backend", otherBackend], ["a State", new State(np.ones([2, 3]))], ["scalar tensor", np.array(2)],
  ];
}

/**
 * What the States hold, to compare before and after a throwing call: the committed leaves by
 * identity (Tensors are immutable, so any write replaces one) and whether each is disposed. No
 * device read, so it works on webgpu, and `committedValue` does not mark the value as shared.
 */
function snapshot(states: readonly State[]): unknown[] {
  const leaves = states.flatMap((s) => tree.leaves(s.committedValue, (v) => v instanceof Tensor));
  return [...leaves, ...leaves.map((t) => t instanceof Tensor && t.isDisposed)];
}

const sameSnapshot = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

type Outcome = { failure?: string; value?: unknown };

/**
 * How many results per function are realized (computed): each new shape or dtype compiles kernels,
 * which would dominate the sweep's time; every result's shape is still checked.
 */
const REALIZE_PER_FUNCTION = 4;
/** Reads of results started on webgpu, awaited (and checked like Promise results) at the end. */
const asyncReads: Promise<void>[] = [];
const realized = new Map<string, number>();

/** Runs `f`, classifying what it did: a value, a KilnError (fine), or a failure message. */
function attempt(label: string, f: () => unknown, pending: Promise<void>[]): Outcome {
  const t0 = performance.now();
  let value: unknown;
  try {
    value = f();
    const fn = label.split(" with ")[0]!;
    const n = realized.get(fn) ?? 0;
    checkResult(value, n < REALIZE_PER_FUNCTION);
    realized.set(fn, n + 1);
  } catch (e) {
    const ms = performance.now() - t0;
    if (ms > SLOW_MS) return { failure: `${label}: took ${ms.toFixed(0)} ms before throwing` };
    if (e instanceof KilnError) return {};
    return { failure: `${label}: threw ${e instanceof Error ? `${e.name}: ${e.message.split("\n")[0]}` : String(e)}` };
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_MS) return { failure: `${label}: took ${ms.toFixed(0)} ms` };
  if (value instanceof Promise) {
    pending.push(
      value.then(
        (v) => checkResult(v),
        (e) => {
          if (!(e instanceof KilnError)) throw new Error(`${label}: rejected with ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        },
      ),
    );
  }
  return { value };
}

/** A returned Tensor must have a well-formed shape and (when small, and `realize`) realize or throw a KilnError. */
function checkResult(out: unknown, realize = true): void {
  if (out instanceof Promise || typeof out === "function") return;
  let leaves: unknown[];
  try {
    leaves = tree.leaves(out, (v) => v instanceof Tensor);
  } catch {
    return; // not a pytree (a Module, a Dataset): nothing to realize
  }
  for (const t of leaves) {
    if (!(t instanceof Tensor) || t.isDisposed) continue;
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`result has a malformed shape [${t.shape.join(", ")}]`);
    if (realize && t.size <= 4096) {
      // webgpu reads device memory only asynchronously: the read is awaited with the Promises.
      if (getBackend() === "webgpu") asyncReads.push(t.data().then(() => undefined));
      else t.dataSync();
    }
  }
}

// Constructors that take any trailing arguments (layers) or are not called by users (data.Dataset's
// and data.Batches' are internal: datasets come from Dataset.fromArrays), and the abstract bases.
const OPEN_CONSTRUCTORS = new Set(["nn.Sequential", "data.Dataset", "data.Batches", "nn.Module", "nn.init.Initializer"]);
// Abstract bases a JS caller can still `new`: each must say so (their subclasses are swept).
const ABSTRACT = new Set(["nn.Dynamics", "nn.Neuron", "nn.SynOut", "optim.Optimizer"]);

// Functions whose only job is global configuration or device lifetime: called with hostile values
// (and restored afterwards) but never probed for a working call, which would change the process.
const CONFIG = new Set(["setBackend", "setCpuThreads", "setWasmMinElements", "setWebgpuHostPlanLimit", "setWgslSourceStore", "gpujsMode"]);
// Not called at all: they start or stop devices (init, tuneWebgpu, destroyGpu*), or read process-wide counters only.
const NOT_CALLED = new Set(["init", "tuneWebgpu", "destroyGpu", "destroyGpujs"]);

/** Everything callable in the public namespaces, with a dotted label. */
function surface(): { label: string; fn: (...a: unknown[]) => unknown; isClass: boolean }[] {
  const out: { label: string; fn: (...a: unknown[]) => unknown; isClass: boolean }[] = [];
  const seen = new Set<unknown>();
  const walk = (prefix: string, ns: Record<string, unknown>, depth: number) => {
    for (const key of Object.keys(ns).sort()) {
      // RxJS's own fields of an exported Observable (stateStreamErrors$._subscribe, which subscribed
      // the hostile function to the error stream for good) are not kiln's API, nor are kiln's `_` fields.
      if (key.startsWith("_")) continue;
      const v = ns[key];
      const label = prefix ? `${prefix}.${key}` : key;
      if (typeof v === "function") {
        if (seen.has(v) || NOT_CALLED.has(key)) continue;
        seen.add(v);
        const isClass = /^class\b/.test(Function.prototype.toString.call(v));
        // Errors and the abstract bases are not operations.
        if (isClass && (v === Error || (v as { prototype: unknown }).prototype instanceof Error)) continue;
        if (/Error$/.test(key)) continue;
        out.push({ label, fn: v as (...a: unknown[]) => unknown, isClass });
      } else if (v && typeof v === "object" && !Array.isArray(v) && depth < 3 && !seen.has(v) && !(v instanceof State) && !(v instanceof Tensor)) {
        seen.add(v);
        walk(label, v as Record<string, unknown>, depth + 1);
      }
    }
  };
  walk("", kiln as unknown as Record<string, unknown>, 0);
  return out;
}

/**
 * Runs the sweep on the active backend over the functions `select` accepts (and, with `methods`,
 * the Tensor, State and optimizer methods) and returns one line per escape kind (empty: none).
 * @example expect(await sweep()).to.deep.equal([]);
 */
export async function sweep(select: (label: string) => boolean = () => true, methods = true): Promise<string[]> {
  const cpu0 = process.cpuUsage();
  const HOSTILE = hostileValues();
  const xf = np.array([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
  const sq = np.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]], { dtype: "float32" });
  const v3 = np.array([1, 2, 3], { dtype: "float32" });
  const iv = np.array([0, 1, 1], { dtype: "int32" });
  const key = prng.key(0);
  const fsum = (a: Tensor) => np.sum(a);
  const fid = (a: Tensor) => a;
  // Working calls tried in order; the first that returns becomes the base the hostile value replaces into.
  const BASES: unknown[][] = [
    [xf], [xf, xf], [xf, 1], [xf, 0], [sq], [sq, sq], [sq, v3], [v3], [v3, v3], [v3, 1], [iv], [iv, iv],
    [[xf, xf]], [2], [2, 3], [[2, 3]], [3, 2, 2], [0, 1, 3], [key], [key, [2]], [key, 2], [key, v3],
    [fsum], [fid], [{ lr: 0.1 }], [new nn.Linear(3, 2).states(ParamState), { lr: 0.1 }], [0.1, 10], [new nn.Linear(3, 2)], [fsum, xf], [fid, xf], [(c: Tensor, y: Tensor) => [np.add(c, y), c], np.zeros([3]), xf],
    ["ij,jk->ik", xf, sq], [{ x: xf }], [], [1, 2], [0.1],
  ];
  // Working calls for functions no generic base fits: the hostile value then lands in a meaningful place.
  const q = np.ones([1, 2, 1, 2]);
  const stBytes = await nn.toSafetensorsBytes(new nn.Linear(3, 2));
  const EXPLICIT: Record<string, unknown[]> = {
    cond: [true, () => xf, () => xf], whileLoop: [(i: Tensor) => np.less(i, 3), (i: Tensor) => np.add(i, 1), np.array(0)],
    jvp: [fid, [xf], [xf]], vjp: [fsum, xf], linearize: [fsum, xf], "environ.context": [{ fit: false }, () => 1],
    "lax.dynamicSlice": [xf, [0, 1], [1, 2]], "lax.dynamicSliceInDim": [xf, 0, 1], "lax.dynamicUpdateSlice": [xf, np.zeros([1, 2]), [0, 1]],
    "lax.dynamicUpdateSliceInDim": [xf, np.zeros([1, 3]), 0, 0], "lax.bitcastConvertType": [xf, "int32"],
    "np.moveaxis": [xf, 0, 1], "np.swapaxes": [xf, 0, 1], "np.takeAlongAxis": [xf, np.zeros([2, 1], { dtype: "int32" }), 1],
    "np.putAlongAxis": [xf, np.zeros([2, 1], { dtype: "int32" }), 0, 1], "np.full": [[2, 3], 1], "np.astype": [xf, "int32"],
    "np.select": [[np.greater(xf, 2)], [xf]], "np.piecewise": [xf, [np.greater(xf, 2)], [1, 0]],
    "np.interp": [v3, v3, v3], "np.ravelMultiIndex": [[iv, iv], [2, 2]], "np.polyfit": [v3, v3, 1],
    "np.linalg.matrixPower": [sq, 2], "np.linalg.multiDot": [[sq, sq]], "np.dsplit": [np.ones([1, 2, 4]), 2],
    "np.canCast": ["int32", "float32"], "np.issubdtype": ["int32", "integer"], "np.isdtype": ["int32", "integral"],
    "np.unpackbits": [np.array([3], { dtype: "uint8" })], "np.fromfunction": [(i: Tensor) => i, [3]], "np.applyOverAxes": [np.sum, xf, [0]],
    "np.applyAlongAxis": [(a: Tensor) => np.sum(a), 1, xf], "np.maskIndices": [3, np.triu],
    "nn.dotProductAttention": [q, q, q], "nn.MultiHeadAttention": [4, 2], "nn.TransformerEncoderLayer": [4, 2, { dimFeedforward: 8 }],
    "nn.RNN": [new nn.GRUCell(3, 2)], "nn.init.computeFans": [[3, 4], -2, -1, "w"],
    "prng.beta": [key, 2, 3], "prng.truncatedNormal": [key, -1, 1], "prng.triangular": [key, 0, 1, 2], "prng.weibullMin": [key, 1, 2],
    "prng.doubleSidedMaxwell": [key, 0, 1], "prng.randint": [key, [2], 0, 5], "prng.multivariateNormal": [key, np.zeros([2]), np.eye(2)],
    "tree.unflatten": [tree.structure([1, 2]), [1, 2]],
    "np.fromiter": [[1, 2], "float32"],
    "np.frombuffer": [new Float32Array([1, 2]).buffer, { dtype: "float32" }], "np.fromstring": ["1 2", { sep: " " }],
    "lax.reduceWindow": [xf, 0, "sum", [1, 2], [1, 1], "VALID"],
    // Session 30: the functions the generic bases missed (options objects, a dt, a model to load into).
    "np.bincount": [iv, { length: 3 }], "np.histogram": [v3, { bins: 3, range: [0, 3] }],
    "lax.convTranspose": [np.ones([1, 4, 4, 2]), np.ones([3, 3, 2, 5]), [2, 2], "SAME"],
    "nn.surrogate.spike": [xf, (x: Tensor) => np.onesLike(x)],
    "nn.integrate": [(u: Tensor) => u.mul(-1), v3, "expEuler"], "nn.expEulerStep": [(u: Tensor) => u.mul(-1), v3], "environ.getDt": [],
    "nn.FixedNumConn": [4, 3, { prob: 0.5 }], "nn.PoissonSpike": [3, { freqs: 20 }],
    "nn.AlignPostProj": [{ comm: (x: Tensor) => x, syn: new nn.Expon(3, { tau: 5 }), out: new nn.COBA({ E: 0 }), post: new nn.LIF(3) }],
    "nn.readSafetensors": [stBytes], "nn.fromSafetensorsBytes": [new nn.Linear(3, 2), stBytes],
    "optim.cosineDecaySchedule": [{ initValue: 0.1, decaySteps: 10 }], "optim.exponentialDecay": [{ initValue: 0.1, transitionSteps: 10, decayRate: 0.5 }],
    "optim.linearSchedule": [{ initValue: 0.1, endValue: 0, transitionSteps: 10 }],
    "optim.polynomialSchedule": [{ initValue: 0.1, endValue: 0, power: 1, transitionSteps: 10 }],
    "optim.warmupCosineDecaySchedule": [{ initValue: 0, peakValue: 0.1, warmupSteps: 2, decaySteps: 10 }],
    "optim.piecewiseConstantSchedule": [{ initValue: 0.1, boundariesAndScales: { 5: 0.5 } }],
    "optim.joinSchedules": [[optim.constantSchedule(1), optim.constantSchedule(0.5)], [5]],
    "tree.numLeaves": [tree.structure([1, 2])], "tree.structureKey": [tree.structure([1, 2])],
    GradientTransform: [fsum, { transform: (f: (...a: unknown[]) => unknown, o: { argnums: number }) => kiln.grad(f as never, { argnums: o.argnums, hasAux: true }) }],
    Tensor: [np.ones([2]).node],
  };
  // Functions that read the time step: called inside environ.set({ dt }) (reset after each).
  const NEEDS_DT = new Set(["environ.getDt", "nn.integrate", "nn.expEulerStep"]);
  const failures: string[] = [];
  const pending: Promise<void>[] = [];
  const trackedStates = [new State(np.ones([2])), new ParamState(np.ones([2, 3]))];
  const hostPlan = kiln.setWebgpuHostPlanLimit(null);
  kiln.setWebgpuHostPlanLimit(hostPlan);
  const restoreConfig = { backend: getBackend(), threads: kiln.cpuThreads(), hostPlan };
  let calls = 0;
  let covered = 0;
  const noBase: string[] = [];

  /** Calls `target` with `base` and `v` at `pos`, checking States did not change if it threw. */
  const probe = (label: string, call: (args: unknown[]) => unknown, base: unknown[], states: readonly State[]) => {
    for (let pos = 0; pos <= base.length; pos++) {
      for (const [vLabel, v] of HOSTILE) {
        // A loop the caller wrote never to end (a condition that stays true, a counter stuck at
        // -Infinity) is the caller's hang, not kiln's.
        if (label === "whileLoop" && (vLabel === "function" || vLabel === "-Infinity")) continue;
        const args = base.slice();
        args[pos] = v;
        const before = snapshot(states);
        calls++;
        let threw = false;
        const o = attempt(`${label} with ${vLabel} at argument ${pos}`, () => {
          try {
            return call(args);
          } catch (e) {
            threw = true;
            throw e;
          }
        }, pending);
        if (o.failure) failures.push(o.failure);
        if (threw && !sameSnapshot(snapshot(states), before)) failures.push(`${label} with ${vLabel} at argument ${pos}: threw but changed a State`);
      }
    }
  };

  const trace = process.env.KILN_SWEEP_TRACE === "1";
  // stateStreamErrors$'s reporter prints what it is given: quiet for the sweep, restored after.
  const consoleError = console.error;
  console.error = () => {};
  try {
    // KILN_SWEEP_FROM=label starts at that function (to bisect a hang while fixing one).
    const from = process.env.KILN_SWEEP_FROM;
    let started = !from;
    for (const { label, fn, isClass } of surface()) {
      started ||= label === from;
      if (!started || !select(label)) continue;
      const tf = performance.now();
      if (trace) process.stderr.write(`${label} `);
      const invoke = (args: unknown[]) => (isClass ? Reflect.construct(fn, args) : fn(...args));
      const name = label.split(".").pop()!;
      if (CONFIG.has(name)) {
        for (const [vLabel, v] of HOSTILE) {
          calls++;
          const o = attempt(`${label}(${vLabel})`, () => fn(v), pending);
          if (o.failure) failures.push(o.failure);
          setBackend(restoreConfig.backend);
          kiln.setCpuThreads(restoreConfig.threads);
          kiln.setWasmMinElements();
          kiln.setWebgpuHostPlanLimit(restoreConfig.hostPlan);
          kiln.setWgslSourceStore(null);
        }
        continue;
      }
      if (ABSTRACT.has(label)) {
        // No base call exists: every call, with any arguments, names the class as abstract.
        for (const args of [[], [3], ...HOSTILE.map(([, v]) => [v])]) {
          calls++;
          try {
            invoke(args);
            failures.push(`new ${label}(…): constructed an abstract base class`);
          } catch (e) {
            if (!(e instanceof KilnError) || !/abstract base class/.test(e.message)) failures.push(`new ${label}(…): threw ${(e as Error).name}: ${(e as Error).message.slice(0, 90)}, not the abstract-class error`);
          }
        }
        covered++;
        continue;
      }
      if (NEEDS_DT.has(label)) kiln.environ.set({ dt: 0.1 });
      let base: unknown[] | undefined;
      let baseValue: unknown;
      for (const b of name in EXPLICIT || label in EXPLICIT ? [EXPLICIT[label] ?? EXPLICIT[name]!, ...BASES] : BASES) {
        try {
          const r = invoke(b);
          if (r instanceof Promise) r.catch(() => {});
          checkResult(r);
          base = b;
          baseValue = r;
          break;
        } catch (e) {
          if (process.env.KILN_SWEEP_DEBUG) console.log(label, (e as Error).message);
          // not this one
        }
      }
      if (!base) {
        noBase.push(label);
        base = [xf, xf];
      } else covered++;
      probe(label, invoke, base, trackedStates);
      // Settings written by environ.set with a hostile (but accepted) value must not leak into later calls.
      kiln.environ.reset();
      // A constructor given an options object with a misspelt key names the key in a KilnError
    // (after its positional arguments, or merged into the options object its working call has).
    if (isClass && base.length && !noBase.includes(label) && !OPEN_CONSTRUCTORS.has(label)) {
      const last = base[base.length - 1];
      const isOpts = last !== null && typeof last === "object" && Object.getPrototypeOf(last) === Object.prototype;
      const args = isOpts ? [...base.slice(0, -1), { ...(last as object), bogusOption: 1 }] : [...base, { bogusOption: 1 }];
      try {
        invoke(args);
        failures.push(`new ${label}(…, { bogusOption: 1 }): accepted an unknown option`);
      } catch (e) {
        if (!(e instanceof KilnError) || (isOpts && !/bogusOption/.test(e.message))) failures.push(`new ${label}(…, { bogusOption: 1 }): threw ${(e as Error).name}: ${(e as Error).message.slice(0, 100)}, not a KilnError naming the key`);
      }
    }
    // A function that returns a function (a transform, a schedule): sweep what it returns too.
      if (typeof baseValue === "function" && !isClass) {
        const g = baseValue as (...a: unknown[]) => unknown;
        let inner: unknown[] = [xf];
        for (const b of [[xf], [0], [xf, xf], []]) {
          try {
            checkResult(g(...b));
            inner = b;
            break;
          } catch {
            // next
          }
        }
        probe(`${label}(…) result`, (args) => g(...args), inner, trackedStates);
      }
      // An instance (a layer, an optimizer, a dataset): sweep its own methods.
      if (isClass && baseValue && typeof baseValue === "object") {
        const states = baseValue instanceof nn.Module ? (baseValue as nn.Module).states() : [];
        const stateList = states instanceof Array ? (states as State[]) : tree.leaves(states, (s) => s instanceof State).filter((s): s is State => s instanceof State);
        for (const m of methodNames(baseValue)) {
          const method = (baseValue as Record<string, (...a: unknown[]) => unknown>)[m]!;
          probe(`new ${label}(…).${m}`, (args) => method.apply(baseValue, args), [xf], stateList);
        }
      }
      if (trace) process.stderr.write(`${(performance.now() - tf).toFixed(0)} ms\n`);
    }

    // Tensor methods on a float tensor, State and ParamState methods on a State holding one.
    for (const m of methods ? methodNames(xf) : []) {
      // A fresh receiver per call: some methods (dispose) consume it.
      probe(`Tensor.${m}`, (args) => (np.array([[1, 2, 3], [4, 5, 6]]) as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!(...args), [], []);
    }
    for (const Ctor of methods ? [State, ParamState] : []) {
      const s = new Ctor(np.ones([2, 3]));
      for (const m of methodNames(s)) {
        probe(`${Ctor.name}.${m}`, (args) => (s as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!(...args), [], [s]);
      }
      for (const [vLabel, v] of HOSTILE) {
        const o = attempt(`${Ctor.name}.value = ${vLabel}`, () => (s.value = v as never), pending);
        if (o.failure) failures.push(o.failure);
        // Accepted values are Tensor pytrees (numbers become float32 scalars), never anything else.
        if (o.failure === undefined && !tree.leaves(s.value).every((t) => t instanceof Tensor)) failures.push(`${Ctor.name}.value = ${vLabel}: stored a non-Tensor leaf`);
        s.value = np.ones([2, 3]);
      }
    }
    // An optimizer over a model: a hostile update changes no parameter and no step count.
    const model = new nn.Linear(3, 2);
    const params = model.states(ParamState);
    for (const Opt of !methods ? [] : [optim.SGD, optim.Adam, optim.AdamW, optim.RMSProp, optim.Adagrad, optim.Adadelta, optim.LAMB, optim.Lion, optim.Momentum]) {
      const opt = new (Opt as new (...a: unknown[]) => optim.Optimizer)(params, { lr: 0.1 });
      const all = [params, opt.states()].flatMap((o) => tree.leaves(o, (s) => s instanceof State)).filter((s): s is State => s instanceof State);
      for (const m of methodNames(opt)) {
        probe(`${Opt.name}.${m}`, (args) => (opt as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!(...args), [], all);
      }
    }

  } finally {
    console.error = consoleError;
  }
  const reads = asyncReads.splice(0).map((r) =>
    r.catch((e: unknown) => {
      if (!(e instanceof KilnError)) throw new Error(`a result's read rejected with ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }),
  );
  for (const p of [...pending, ...reads]) {
    try {
      await p;
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  // One line per function and kind of escape (a fix usually covers every value and position).
  const groups = new Map<string, number>();
  for (const f of failures) {
    const m = /^(.*?) with .*? at argument \d+: (.*)$/.exec(f) ?? /^(.*?)(?:\(.*\))?: (.*)$/.exec(f);
    const key = m ? `${m[1]}: ${m[2]!.slice(0, 90)}` : f;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const summary = [...groups].map(([k, n]) => `${k} (×${n})`);
  if (process.env.KILN_SWEEP_OUT) (await import("node:fs")).writeFileSync(process.env.KILN_SWEEP_OUT, `${summary.join("\n")}\n\n${failures.join("\n")}\n`);
  const cpu = process.cpuUsage(cpu0);
  console.log(`      ${calls} calls, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; ${covered} functions with a working base call; no base found for ${noBase.length}: ${noBase.join(", ")}`);
  return summary;
}

/**
 * TypeScript `protected` hooks (for subclasses: an optimizer's `updateLeaf`, a layer's `param`) and
 * `private` helpers of the public classes: not public API. From `grep -rh "protected [a-z]*(" packages/`.
 */
const PROTECTED = new Set([
  "affine", "checkInput", "convolve", "currentOf", "hidden", "hiddenVariables", "initialSlotValue", "initialValue", "input", "param",
  "projections", "resetPotential", "stateShape", "sumCurrentInputs", "updateLeaf", "windowed", "zeros", "statefulCarry", "zeroCarry",
]);

/** Own and inherited public method names of an instance, without Object's and without accessors. */
function methodNames(o: object): string[] {
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === "constructor" || k.startsWith("_") || PROTECTED.has(k)) continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === "function") names.add(k);
    }
  }
  return [...names].sort();
}

/**
 * Runs the enclosing describe block in a scratch working directory: path arguments are swept too
 * (`nn.saveSafetensors(module, "abc")` writes a file), never into the checkout.
 */
export function inScratchDirectory(): void {
  let home = "", scratch = "";
  before(() => {
    home = process.cwd();
    scratch = mkdtempSync(join(tmpdir(), "kiln-sweep-"));
    process.chdir(scratch);
  });
  after(() => {
    process.chdir(home);
    rmSync(scratch, { recursive: true, force: true });
  });
}
