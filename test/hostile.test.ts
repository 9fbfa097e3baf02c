/**
 * Hostile and careless input through the public API: wrong types, NaN/negative/fractional/huge
 * sizes, objects where numbers belong, strings, undefined, Symbols, `__proto__`/`constructor`
 * keys. Every call must either work or throw a KilnError subclass (API.md §7) — never a crash,
 * a hang, an untyped error, NaN garbage, or a half-updated State.
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  CoercionError, DTypeError, IndexError, KilnError, KilnTypeError, ParamState, ShapeError, State, StateError, Tensor, ValueError, getBackend, grad, jit, lax,
  checkpoint, cond, data, jacrev, nn, np, optim, prng, random, scan, setBackend, tree, treefyStates, vmap, whileLoop,
} from "kiln";
import { optionKeys, type SignatureName } from "../packages/core/src/np/positional.js";

/** Structures a careless caller builds by accident: self-containing, ragged, absurdly deep. */
const cyclicArray: unknown[] = [1];
cyclicArray.push(cyclicArray);
const cyclicObject: Record<string, unknown> = { a: 1 };
cyclicObject.self = cyclicObject;
let deepArray: unknown = 1;
for (let i = 0; i < 70; i++) deepArray = [deepArray];
const disposedTensor = np.ones([2, 3]);
disposedTensor.dispose();

// Values a careless or hostile caller passes where a number, shape, axis or option belongs.
const HOSTILE: readonly unknown[] = [
  [[1, 2], [3]], [[1], 2], cyclicArray, cyclicObject, deepArray, disposedTensor, np.ones([3, 7]), np.zeros([0]), np.array([1, 2], { dtype: "int32" }),
  NaN, -1, 1.5, -0.5, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e300, "3", "", "__proto__", {}, { valueOf: () => 2 },
  { toString: () => "2" }, [], [NaN], [-1], [1.5], [2 ** 31], [1e6, 1e6], [[2]], ["2"], [{}], null, undefined,
  Symbol("s"), () => 2, 10n, true, JSON.parse('{"__proto__": 1}'), { constructor: 1 }, { axis: "x" }, { dtype: "int64" },
];

const hostile = fc.oneof(fc.constantFrom(...HOSTILE), fc.anything(), fc.double(), fc.integer({ min: -4, max: 4 }), fc.array(fc.integer({ min: -3, max: 4 }), { maxLength: 3 }));

/** Calls `f` and accepts a result or a KilnError; realizes small Tensor results, which must also work or throw a KilnError. */
function survives(label: string, f: () => unknown): void {
  let out: unknown;
  try {
    out = f();
    for (const t of tree.leaves(out, (v) => v instanceof Tensor)) {
      if (t instanceof Tensor && t.size <= 4096) t.dataSync();
    }
  } catch (e) {
    if (!(e instanceof KilnError)) {
      throw new Error(`${label}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a KilnError`);
    }
  }
}

const x = np.array([[1, 2, 3], [4, 5, 6]]);
// np.sum, not a.sum(): the argument is hostile too, and np.* must reject it with a KilnError.
const f = (a: Tensor) => np.sum(a);

// Each entry feeds one hostile value into one place of the public API.
const ENTRIES: Record<string, (v: never) => unknown> = {
  "np.zeros(v)": (v) => np.zeros(v),
  "np.ones([2, v])": (v) => np.ones([2, v]),
  "np.full(v, 1)": (v) => np.full(v, 1),
  "np.full([2], v)": (v) => np.full([2], v),
  "np.arange(v)": (v) => np.arange(v),
  "np.linspace(0, 1, v)": (v) => np.linspace(0, 1, v),
  "np.eye(v)": (v) => np.eye(v),
  "np.eye(2, v)": (v) => np.eye(2, v),
  "np.array(v)": (v) => np.array(v),
  "np.array([v])": (v) => np.array([v]),
  "np.array([v], int32)": (v) => np.array([v], { dtype: "int32" }),
  "np.array([1], { dtype: v })": (v) => np.array([1], { dtype: v }),
  "x.reshape(v)": (v) => x.reshape(v),
  "x.reshape([v, -1])": (v) => x.reshape([v, -1]),
  "x.broadcastTo(v)": (v) => x.broadcastTo(v),
  "x.broadcastTo([v, 2, 3])": (v) => x.broadcastTo([v, 2, 3]),
  "x.sum({ axis: v })": (v) => x.sum({ axis: v }),
  "x.sum(v)": (v) => x.sum(v),
  "x.mean({ axis: v, keepdims: true })": (v) => x.mean({ axis: v, keepdims: true }),
  "x.argmax(v)": (v) => x.argmax(v),
  "x.cumsum(v)": (v) => x.cumsum(v),
  "x.sort(v)": (v) => x.sort(v),
  "x.argsort(v)": (v) => x.argsort(v),
  "np.sort(x, { axis: v, descending: true })": (v) => np.sort(x, { axis: v, descending: true }),
  "np.unique(x, v)": (v) => np.unique(x, v),
  "np.unique(x, { size: v })": (v) => np.unique(x, { size: v }),
  "np.unique(x, { size: 2, fillValue: v })": (v) => np.unique(x, { size: 2, fillValue: v }),
  "np.searchsorted([1, 2], x, { side: v })": (v) => np.searchsorted([1, 2], x, { side: v }),
  "np.searchsorted(v, 1)": (v) => np.searchsorted(v, 1),
  "np.lexsort(v)": (v) => np.lexsort(v),
  "np.partition(x, v)": (v) => np.partition(x, v),
  "lax.sort(x, { numKeys: v })": (v) => lax.sort(x, { numKeys: v }),
  "lax.sort(v)": (v) => lax.sort(v),
  "lax.topK(x, v)": (v) => lax.topK(x, v),
  "lax.cummax(x, { axis: v })": (v) => lax.cummax(x, { axis: v }),
  "lax.cumprod(x, { reverse: v })": (v) => lax.cumprod(x, { reverse: v }),
  "np.split(x, v)": (v) => np.split(x, v),
  // Sizes that once aborted V8 (a JS list of 2^31 parts or frequencies) or looped 2^53 times.
  "np.arraySplit(x, v)": (v) => np.arraySplit(x, v),
  "np.diff(x, v)": (v) => np.diff(x, v),
  "np.fft.fftfreq(v)": (v) => np.fft.fftfreq(v),
  "np.moveaxis(x, v, 0)": (v) => np.moveaxis(x, v, 0),
  "lax.convDimensionNumbers(v, null)": (v) => lax.convDimensionNumbers(v, null),
  "lax.dynamicSliceInDim(x, 0, v)": (v) => lax.dynamicSliceInDim(x, 0, v),
  "random.permutation(v)": (v) => random.permutation(v),
  "nn.integrate(drift, x, v)": (v) => nn.integrate((u: Tensor) => u.mul(-1), x, v),
  "nn.fromSafetensorsBytes(model, bytes, v)": (v) => nn.fromSafetensorsBytes(new nn.Linear(2, 1), new Uint8Array(8), v),
  "x.transpose(v)": (v) => x.transpose(v),
  "x.expandDims(v)": (v) => x.expandDims(v),
  "x.squeeze(v)": (v) => x.squeeze(v),
  "x.flip(v)": (v) => x.flip(v),
  "x.get(v)": (v) => x.get(v),
  "x.take(v)": (v) => x.take(v),
  "x.astype(v)": (v) => x.astype(v),
  "x.add(v)": (v) => x.add(v),
  "x.matmul(v)": (v) => x.matmul(v),
  "np.where(v, x, 0)": (v) => np.where(v, x, 0),
  "np.concatenate(v)": (v) => np.concatenate(v),
  "np.concatenate([x, x], { axis: v })": (v) => np.concatenate([x, x], { axis: v }),
  "x.clip(v, 2)": (v) => x.clip(v, 2),
  "random.normal(v)": (v) => random.normal(v),
  "random.normal({ size: v })": (v) => random.normal({ size: v }),
  "random.uniform({ low: 0, size: v })": (v) => random.uniform({ low: 0, size: v }),
  "random.randint(0, v)": (v) => random.randint(0, v),
  "prng.key(v)": (v) => prng.key(v),
  "prng.normal(key, v)": (v) => prng.normal(prng.key(0), v),
  "grad(v)": (v) => grad(v),
  "grad(f, { argnums: v })(x)": (v) => grad(f, { argnums: v })(x),
  "jit(v)": (v) => jit(v),
  "jit(f, { staticArgnums: v })(x)": (v) => jit(f, { staticArgnums: v })(x),
  "jit(f, { donateArgnums: v })": (v) => jit(f, { donateArgnums: v }),
  "vmap(f, { inAxes: v })(x)": (v) => vmap(f, { inAxes: v })(x),
  "grad(f)(v)": (v) => grad(f)(v),
  "jit(f)(v)": (v) => jit(f)(v),
  "new nn.Linear(v, 2)": (v) => new nn.Linear(v, 2),
  "new nn.Linear(2, v)": (v) => new nn.Linear(2, v),
  "new nn.MLP(v)": (v) => new nn.MLP(v),
  "new nn.Dropout(v)": (v) => new nn.Dropout(v),
  "new optim.Adam({ lr: v })": (v) => new optim.Adam({ lr: v }),
  "new optim.SGD(v)": (v) => new optim.SGD(v),
  "new State(v)": (v) => new State(v),
  "tree.unflatten(v, [])": (v) => tree.unflatten(v, []),
  "model.states(v)": (v) => new nn.Linear(2, 1).states(v),
  "treefyStates(v)": (v) => treefyStates(v),
  "new optim.Adam(v)": (v) => new optim.Adam(v),
  "new nn.MLP([2, 1], v)": (v) => new nn.MLP([2, 1], v),
  "new nn.Sequential(v)": (v) => new nn.Sequential(v),
  "new nn.Linear(2, 1).call(v)": (v) => new nn.Linear(2, 1).call(v),
  "nn.mseLoss(x, v)": (v) => nn.mseLoss(x, v),
  "np.stack([x, v])": (v) => np.stack([x, v]),
  "x.at(v).set(1)": (v) => x.at(v).set(1),
  "x.get(0, v)": (v) => x.get(0, v),
  "np.einsum(v, x)": (v) => np.einsum(v, x),
  "np.tensordot(x, x, v)": (v) => np.tensordot(x, x, v),
  "np.pad(x, v)": (v) => np.pad(x, v),
  "np.tile(x, v)": (v) => np.tile(x, v),
  "np.repeat(x, v)": (v) => np.repeat(x, v),
  "np.linalg.norm(x, v)": (v) => np.linalg.norm(x, v),
  // v as the options object of ops that take one.
  "np.zeros([2], v)": (v) => np.zeros([2], v),
  "np.array([1], v)": (v) => np.array([1], v),
  "np.arange(0, 3, 1, v)": (v) => np.arange(0, 3, 1, v),
  "np.linspace(0, 1, 3, v)": (v) => np.linspace(0, 1, 3, v),
  "np.concatenate([x, x], v)": (v) => np.concatenate([x, x], v),
  "np.stack([x, x], v)": (v) => np.stack([x, x], v),
  "x.take([0], v)": (v) => x.take([0], v),
  "x.var(v)": (v) => x.var(v),
  "np.split(x, 2, v)": (v) => np.split(x, 2, v),
  "np.eye(2, 2, v)": (v) => np.eye(2, 2, v),
  "nn.softmax(x, v)": (v) => nn.softmax(x, v),
  "nn.mseLoss(x, x, v)": (v) => nn.mseLoss(x, x, v),
  "new nn.Linear(2, 1, v)": (v) => new nn.Linear(2, 1, v),
  "new optim.SGD({ lr: 1, weightDecay: v })": (v) => new optim.SGD({ lr: 1, weightDecay: v }),
  "grad(f, v)": (v) => grad(f, v),
  "jit(f, v)": (v) => jit(f, v),
  "vmap(f, v)": (v) => vmap(f, v),
  "new State(np.zeros([1]), v)": (v) => new State(np.zeros([1]), v),
  "x.var({ ddof: v })": (v) => x.var({ ddof: v }),
  "tree.map(f, v)": (v) => tree.map((a: unknown) => a, v),
  // The wider surface: statistics, linalg, fft, lax, layers' call, prng/random, control flow, data.
  "np.quantile(x, v)": (v) => np.quantile(x, v),
  "np.histogram(x, { bins: v, range })": (v) => np.histogram(x, { bins: v, range: [0, 6] }),
  "np.bincount(v, { length: 7 })": (v) => np.bincount(v, { length: 7 }),
  "np.interp(v, [0, 1], [0, 1])": (v) => np.interp(v, [0, 1], [0, 1]),
  "np.cov(v)": (v) => np.cov(v),
  "np.linalg.solve(v, x)": (v) => np.linalg.solve(v, np.ones([2])),
  "np.linalg.inv(v)": (v) => np.linalg.inv(v),
  "np.linalg.svd(v)": (v) => np.linalg.svd(v),
  "np.linalg.eigh(v)": (v) => np.linalg.eigh(v),
  "np.fft.fft(x, v)": (v) => np.fft.fft(x, v),
  "np.fft.rfft(v)": (v) => np.fft.rfft(v),
  "lax.convGeneralDilated(v, w)": (v) => lax.convGeneralDilated(v, np.ones([1, 1, 2])),
  "lax.convGeneralDilated(x3, w, v)": (v) => lax.convGeneralDilated(np.ones([1, 1, 5]), np.ones([1, 1, 2]), v),
  "lax.dynamicSlice(x, v, [1, 1])": (v) => lax.dynamicSlice(x, v, [1, 1]),
  "new nn.Conv2d(1, 2, 3).call(v)": (v) => new nn.Conv2d(1, 2, 3).call(v),
  "new nn.Conv2d(1, 2, v)": (v) => new nn.Conv2d(1, 2, v),
  "new nn.LayerNorm(3).call(v)": (v) => new nn.LayerNorm(3).call(v),
  "new nn.BatchNorm1d(3).call(v)": (v) => new nn.BatchNorm1d(3).call(v),
  "new nn.Embedding(4, 2).call(v)": (v) => new nn.Embedding(4, 2).call(v),
  "new nn.Embedding(v, 2)": (v) => new nn.Embedding(v, 2),
  "new nn.MultiHeadAttention(4, 2).call(v)": (v) => new nn.MultiHeadAttention(4, 2).call(v),
  "new nn.RNN(new nn.GRUCell(3, 2)).call(v)": (v) => new nn.RNN(new nn.GRUCell(3, 2)).call(v),
  "new nn.MaxPool2d(v)": (v) => new nn.MaxPool2d(v),
  "new nn.Dropout(0.5).call(v)": (v) => new nn.Dropout(0.5).call(v),
  "nn.oneHot(v, 3)": (v) => nn.oneHot(v, 3),
  "nn.oneHot([0, 1], v)": (v) => nn.oneHot([0, 1], v),
  "nn.softmaxCrossEntropy(x, v)": (v) => nn.softmaxCrossEntropy(x, v),
  "nn.dotProductAttention(v, q, q)": (v) => nn.dotProductAttention(v, np.ones([1, 2, 1, 2]), np.ones([1, 2, 1, 2])),
  "prng.split(key, v)": (v) => prng.split(prng.key(0), v),
  "prng.uniform(key, v)": (v) => prng.uniform(prng.key(0), v),
  "prng.uniform(key, [2], null, v)": (v) => prng.uniform(prng.key(0), [2], null, v),
  "prng.randint(key, [2], 0, v)": (v) => prng.randint(prng.key(0), [2], 0, v),
  "prng.gamma(key, v)": (v) => prng.gamma(prng.key(0), v),
  "prng.gamma(key, 2, v)": (v) => prng.gamma(prng.key(0), 2, v),
  "prng.choice(key, v)": (v) => prng.choice(prng.key(0), v),
  "prng.normal(v, [2])": (v) => prng.normal(v, [2]),
  "random.seed(v)": (v) => random.seed(v),
  "random.choice(v)": (v) => random.choice(v),
  "scan(step, v, xs)": (v) => scan((c: Tensor, y: Tensor) => [np.add(c, y), c], v, x),
  "scan(step, 0, v)": (v) => scan((c: Tensor, y: Tensor) => [np.add(c, y), c], 0, v),
  "cond(v, a, b)": (v) => cond(v, () => x, () => x.neg()),
  // (The loop counter is independent of v: a loop the caller wrote never to end is not kiln's hang.)
  "whileLoop(c, b, [0, v])": (v) => whileLoop(([i]: [Tensor, unknown]) => np.less(i, 3), ([i, c]: [Tensor, Tensor]) => [np.add(i, 1), np.add(c, 1)], [np.array(0), v]),
  "data.Dataset.fromArrays(v)": (v) => data.Dataset.fromArrays(v),
  "dataset.batch(v)": (v) => [...data.Dataset.fromArrays({ x }).batch(v)],
  "checkpoint(f)(v)": (v) => checkpoint(f)(v),
  "jacrev(f)(v)": (v) => jacrev(f)(v),
  "optim.cosineDecaySchedule(v)": (v) => optim.cosineDecaySchedule(v),
};

describe("hostile and careless input", () => {
  it("every entry point either works or throws a KilnError, for every listed hostile value", () => {
    // Every failure at once (a fix usually covers a family of them).
    const failures: string[] = [];
    for (const [label, call] of Object.entries(ENTRIES)) {
      for (const v of HOSTILE) {
        try {
          survives(`${label} with ${show(v)}`, () => call(v as never));
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it("property: random values through random entry points never escape as a non-KilnError", () => {
    const labels = Object.keys(ENTRIES);
    fc.assert(
      fc.property(fc.constantFrom(...labels), hostile, (label, v) => {
        survives(`${label} with ${show(v)}`, () => ENTRIES[label]!(v as never));
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it("State, optimizers and loadStateDict: a rejected update changes nothing", () => {
    const model = new nn.Linear(2, 1);
    const before = JSON.stringify(tree.map((t: Tensor) => t.toArraySync(), model.stateDict()));
    const opt = new optim.Adam(model.states(ParamState), { lr: 0.1 });
    for (const v of HOSTILE) {
      survives(`loadStateDict(${show(v)})`, () => model.loadStateDict(v as never));
      survives(`loadStateDict({ weight: ${show(v)} })`, () => model.loadStateDict({ ...model.stateDict(), weight: v } as never));
      survives(`opt.update(${show(v)})`, () => opt.update(v as never));
      survives(`opt.update({ weight: ${show(v)} })`, () => opt.update({ bias: np.zeros([1]), weight: v } as never));
      survives(`registerTrainableWeights(${show(v)})`, () => new optim.SGD({ lr: 1 }).registerTrainableWeights(v as never));
    }
    expect(JSON.stringify(tree.map((t: Tensor) => t.toArraySync(), model.stateDict()))).to.equal(before);
    expect((opt.stepCount.value as Tensor).itemSync()).to.equal(0);
    // A State accepts any Tensor pytree (numbers become float32 scalars); anything else is a StateError.
    const s = new State(np.zeros([2]));
    for (const v of HOSTILE) survives(`state.value = ${show(v)}`, () => (s.value = v as never));
  });

  it("a Tensor in JS comparison/arithmetic under jit is a CoercionError, not a silently wrong branch", () => {
    const branchy = jit((a: Tensor) => ((a.sum() as unknown as number) > 0 ? a : np.negative(a)));
    expect(() => branchy(x)).to.throw(CoercionError, /np.where|cond/);
    expect(() => jit((a: Tensor) => np.array(Number(a.sum())))(x)).to.throw(CoercionError);
    expect(() => jit((a: Tensor) => `${a}`)(x)).to.throw(CoercionError, /traced/);
    // The same function is fine when it reads values where reading is allowed (under grad).
    expect(grad((a: Tensor) => (a.sum().itemSync() > 0 ? a.sum() : a.sum().neg()))(x).toArraySync()).to.deep.equal([[1, 1, 1], [1, 1, 1]]);
  });

  // The tracker's item 16, one by one.
  it("misuse gets typed errors that say what is wrong", () => {
    expect(() => x.sum({ axis: {} as never })).to.throw(IndexError, /axis must be an integer, an array of integers or null/);
    expect(() => np.split(x, {} as never)).to.throw(ValueError, /number of sections or an array of split indices, got an object/);
    expect(() => jit(f, { staticArgnums: {} as never })(x)).to.throw(ValueError, /staticArgnums must be an integer or an array/);
    expect(() => grad(f, { argnums: {} as never })).to.throw(ValueError, /^(?!.*object Object)/);
    expect(np.eye(2, { dtype: "int32" }).dtype).to.equal("int32");
    expect(() => np.eye(2, "3" as never)).to.throw(ValueError, /not|must/);
    expect(() => jit((a: Tensor) => a.itemSync())(np.array(1))).to.throw(KilnError, /itemSync/);
    const e = (() => {
      try {
        grad((a: Tensor) => a)(np.zeros([2]));
      } catch (err) {
        return err;
      }
    })();
    expect(e).to.be.instanceOf(TypeError).and.instanceOf(KilnError).and.instanceOf(KilnTypeError);
    expect(e).to.not.be.instanceOf(ValueError);
    expect(() => np.array([2 ** 40], { dtype: "int32" })).to.throw(ValueError, /does not fit in int32/);
    expect(() => np.array(2 ** 40, { dtype: "int32" })).to.throw(ValueError, /does not fit in int32/);
    expect(np.array([2 ** 31 - 1, -(2 ** 31), 1.7], { dtype: "int32" }).toArraySync()).to.deep.equal([2 ** 31 - 1, -(2 ** 31), 1]);
    expect(() => (random.normal as (...a: unknown[]) => Tensor)(0, 1, [3])).to.throw(ValueError, /one options object/);
    expect(() => random.normal({ mean: 1 } as never)).to.throw(ValueError, /unknown option/);
    expect(() => np.zeros([1e6, 1e6]).dataSync()).to.throw(KilnError);
    expect(() => new State(np.zeros([1]), { name: "s" }).value = "x" as never).to.throw(StateError);
    expect(() => np.array([1], { dtype: "int64" as never })).to.throw(DTypeError);
  });

  it("property: random options objects (hostile values, misspelt keys) work or throw a KilnError; a misspelt key is always named", () => {
    const typo = fc.constantFrom("axes", "keepDims", "has_aux", "static_argnums", "dtpye", "in_axes", "size", "learningRate", "constructor", "__proto__", "toString");
    fc.assert(
      fc.property(fc.constantFrom(...OPTION_CALLS), fc.array(fc.tuple(fc.nat(), hostile), { maxLength: 3 }), fc.option(typo, { nil: undefined }), ([name, call], picks, bad) => {
        const keys = optionKeys(name);
        const opts: Record<string, unknown> = {};
        for (const [i, v] of picks) if (keys.length) Object.defineProperty(opts, keys[i % keys.length]!, { value: v, enumerable: true, writable: true, configurable: true });
        const misspelt = bad !== undefined && !keys.includes(bad);
        if (misspelt) Object.defineProperty(opts, bad, { value: 1, enumerable: true, writable: true, configurable: true });
        survives(`${name}(${show(opts)})`, () => call(opts as never));
        if (misspelt) expect(() => call(opts as never), `${name} with '${bad}'`).to.throw(ValueError, new RegExp(`unknown option '${bad}'`));
      }),
      { numRuns: 400, seed: 27 },
    );
  });

  it("cyclic, ragged and too-deep structures are typed errors, not stack overflows", () => {
    expect(() => np.array(cyclicArray as never)).to.throw(ShapeError, /ragged|contains itself/);
    const selfOnly: unknown[] = [];
    selfOnly.push(selfOnly);
    expect(() => np.array(selfOnly as never)).to.throw(ShapeError, /deeper than 64 levels .*or an array that contains itself/);
    expect(() => x.get(selfOnly as never)).to.throw(ShapeError, /contains itself/);
    expect(() => vmap(f, { inAxes: cyclicObject as never })(x)).to.throw(ValueError, /contains itself/);
    expect(() => np.array(deepArray as never)).to.throw(ShapeError, /deeper than 64 levels/);
    expect(() => tree.leaves(cyclicObject)).to.throw(ValueError, /must not contain itself/);
    expect(() => jit((o: unknown) => o)(cyclicObject)).to.throw(ValueError, /must not contain itself/);
    expect(() => new State(cyclicArray as never)).to.throw(KilnError);
    // A DAG that shares a subtree is not a cycle.
    const shared = { w: np.ones([2]) };
    expect(tree.leaves({ a: shared, b: shared })).to.have.length(2);
    let nested: unknown = np.ones([1]);
    for (let i = 0; i < 63; i++) nested = [nested];
    expect(np.array(nested as never).ndim).to.equal(64);
  });

  it("a State written with a hostile value inside jit or grad is a KilnError and every State keeps its value; the cache stays usable", () => {
    const a = new State(np.zeros([2])), s = new State(np.zeros([2]));
    for (const v of HOSTILE) {
      const step = jit(() => {
        a.value = np.ones([2]);
        s.value = v as never;
      });
      let threw = false;
      try {
        step();
      } catch (e) {
        threw = true;
        expect(e, `jit write of ${show(v)}`).to.be.instanceOf(KilnError);
      }
      if (threw) {
        expect((a.value as Tensor).toArraySync(), `a after ${show(v)}`).to.deep.equal([0, 0]);
        expect(s.value, `s after ${show(v)}`).to.be.instanceOf(Tensor);
      } else {
        // Accepted: the value became a Tensor pytree (a number is a float32 scalar) and both writes landed.
        expect(tree.leaves(s.value).every((t) => t instanceof Tensor)).to.equal(true);
        expect((a.value as Tensor).toArraySync()).to.deep.equal([1, 1]);
        a.value = np.zeros([2]);
        s.value = np.zeros([2]);
      }
    }
    // A trace that fails after writing a State commits nothing, under jit and under grad.
    const failing = jit((t: Tensor) => {
      a.value = t;
      return np.matmul(t, np.ones([3]));
    });
    expect(() => failing(np.ones([2]))).to.throw(ShapeError);
    const failingLoss = (t: Tensor) => {
      a.value = t;
      return np.matmul(t, np.ones([3])).sum();
    };
    expect(() => grad(failingLoss)(np.ones([2]))).to.throw(ShapeError);
    expect((a.value as Tensor).toArraySync()).to.deep.equal([0, 0]);
    // The jitted function's cache is not poisoned: a good signature traces and runs.
    const fine = jit((t: Tensor) => {
      a.value = t.mul(2);
      return t.sum();
    });
    expect(() => fine(np.ones([2, 2]).matmul(np.ones([3, 3])))).to.throw(ShapeError);
    expect(fine(np.ones([2])).itemSync()).to.equal(2);
    expect((a.value as Tensor).toArraySync()).to.deep.equal([2, 2]);
  });

  it("a Tensor made on one backend is usable on another (interpreter ↔ cpu), eager and under jit", () => {
    const before = getBackend();
    const onCpu = np.arange(3).mul(2);
    onCpu.dataSync();
    const pending = np.arange(3).add(1);
    try {
      setBackend("interpreter");
      expect(np.add(onCpu, pending).toArraySync()).to.deep.equal([1, 4, 7]);
      const onInterp = np.arange(3).mul(3);
      onInterp.dataSync();
      setBackend("cpu");
      expect(jit((p: Tensor, q: Tensor) => p.add(q))(onInterp, onCpu).toArraySync()).to.deep.equal([0, 5, 10]);
    } finally {
      setBackend(before);
    }
  });
});

// Functions called with a random options object: valid keys with hostile values, plus sometimes a misspelt key.
const x23 = np.array([[1, 2, 3], [4, 5, 6]]);
const OPTION_CALLS: readonly [SignatureName, (o: never) => unknown][] = [
  ["sum", (o) => np.sum(x23, o)], ["mean", (o) => np.mean(x23, o)], ["var", (o) => np.var(x23, o)], ["argmax", (o) => np.argmax(x23, o)],
  ["cumsum", (o) => np.cumsum(x23, o)], ["sort", (o) => np.sort(x23, o)], ["concatenate", (o) => np.concatenate([x23, x23], o)],
  ["zeros", (o) => np.zeros([2], o)], ["linspace", (o) => np.linspace(0, 1, 3, o)], ["diff", (o) => np.diff(x23, o)],
  ["quantile", (o) => np.quantile(x23, 0.5, o)], ["unique", (o) => np.unique(x23, o)], ["pad", (o) => np.pad(x23, 1, o)],
  ["lax.sort", (o) => lax.sort(x23, o)], ["lax.cumsum", (o) => lax.cumsum(x23, o)], ["fft.rfft", (o) => np.fft.rfft(x23, o)],
  ["grad", (o) => grad((a: Tensor) => np.sum(a), o)(x23)], ["jit", (o) => jit((a: Tensor) => np.sum(a), o)(x23)],
  ["vmap", (o) => vmap((a: Tensor) => np.sum(a), o)(x23)], ["Linear", (o) => new nn.Linear(3, 1, o).call(x23)],
  ["Conv", (o) => new nn.Conv1d(3, 2, 1, o).call(x23.reshape([1, 2, 3]))], ["optim.Adam", (o) => new optim.Adam(o)],
  ["prng.normal", (o) => prng.normal(prng.key(0), [2], o)], ["prng.choice", (o) => prng.choice(prng.key(0), 5, o)],
  ["random.normal", (o) => random.normal(o)], ["softmax", (o) => nn.softmax(x23, o)], ["mseLoss", (o) => nn.mseLoss(x23, x23, o)],
];

/** A label for a hostile value (never calls its own toString). */
function show(v: unknown): string {
  try {
    return typeof v === "symbol" ? v.toString() : typeof v === "bigint" ? `${v}n` : JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
