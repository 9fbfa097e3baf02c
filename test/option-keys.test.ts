/**
 * Option keys: one table (packages/core/src/np/signatures.ts) lists every public function's
 * option keys, and a key a function does not have is a ValueError naming the function, the key and
 * the nearest valid key — never an option silently ignored (the bug: `np.sum(x, { axes: 0 })`
 * summed everything; `grad(f, { has_aux: true })` ignored the aux).
 */
import { expect } from "chai";
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  GradientTransform, ParamState, getBackend, State, Tensor, ValueError, checkpoint, customVjp, data, grad, hessian, init, jacfwd, jit, jvp, lax, nn, np, optim, prng, random,
  scan, scipySpecial, StateFinder, valueAndGrad, vmap,
} from "kiln";
import { checkOptionKeys, nearestKey, optionKeys, type SignatureName } from "../packages/core/src/np/positional.js";
import { SIGNATURES } from "../packages/core/src/np/signatures.js";

const x = np.array([[1, 2, 3], [4, 5, 6]]);
const f = (a: Tensor) => np.sum(a);
const NAMES = Object.keys(SIGNATURES) as SignatureName[];

/** The message of what `call` throws (the test fails if it does not throw a ValueError). */
function rejection(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(ValueError);
    return (e as Error).message;
  }
  throw new Error("expected a ValueError, but the call returned");
}

// Careless spellings through the public API, each with the function and the key the error must name.
const TYPOS: readonly [label: string, call: () => unknown, message: RegExp][] = [
  ["np.sum axes", () => np.sum(x, { axes: 0 } as never), /^sum: unknown option 'axes' \(did you mean 'axis'\?\)/],
  ["x.sum axes", () => x.sum({ axes: 0 } as never), /^sum: unknown option 'axes' \(did you mean 'axis'\?\)/],
  ["x.mean keepDims", () => x.mean({ axis: 0, keepDims: true } as never), /mean: unknown option 'keepDims' \(did you mean 'keepdims'\?\)/],
  ["np.sum keep_dims", () => np.sum(x, 0, { keep_dims: true } as never), /sum: unknown option 'keep_dims' \(did you mean 'keepdims'\?\)/],
  ["np.zeros dtpye", () => np.zeros([2], { dtpye: "int32" } as never), /zeros: unknown option 'dtpye' \(did you mean 'dtype'\?\)/],
  ["np.arange dtype typo", () => np.arange(3, { dype: "int32" } as never), /arange: unknown option 'dype' \(did you mean 'dtype'\?\)/],
  ["np.concatenate axes", () => np.concatenate([x, x], { axes: 1 } as never), /concatenate: unknown option 'axes' \(did you mean 'axis'\?\)/],
  ["np.linalg.norm order", () => np.linalg.norm(x, { order: 2 } as never), /linalg\.norm: unknown option 'order' \(did you mean 'ord'\?\)/],
  ["np.quantile interpolation", () => np.quantile(x, 0.5, { interpolation: "linear" } as never), /quantile: unknown option 'interpolation'; its options are axis, keepdims, method/],
  ["np.sort reverse", () => np.sort(x, { reverse: true } as never), /sort: unknown option 'reverse'/],
  ["np.mean out", () => np.mean(x, { out: np.zeros([3]) } as never), /mean: out must be null or absent \(kiln arrays are immutable/],
  ["np.fft.rfft axes", () => np.fft.rfft(x, { axes: [0] } as never), /fft\.rfft: unknown option 'axes' \(did you mean 'axis'\?\)/],
  ["lax.sort axis", () => lax.sort(x, { axis: 0 } as never), /lax\.sort: unknown option 'axis'; its options are dimension, numKeys, isStable/],
  ["lax.cumsum reversed", () => lax.cumsum(x, { reversed: true } as never), /lax\.cumsum: unknown option 'reversed' \(did you mean 'reverse'\?\)/],
  ["scipySpecial.logsumexp return_sign", () => scipySpecial.logsumexp(x, { return_sign: true } as never), /unknown option 'return_sign' \(did you mean 'returnSign'\?\)/],
  ["prng.normal shape in options", () => prng.normal(prng.key(0), [2], { shap: [2] } as never), /prng\.normal: unknown option 'shap'/],
  ["prng.gamma size", () => prng.gamma(prng.key(0), 2, { size: [3] } as never), /prng\.gamma: unknown option 'size'; its options are shape, dtype/],
  ["random.normal std", () => random.normal({ std: 2 } as never), /random\.normal: unknown option 'std'; its options are loc, scale, size, dtype/],
  ["random.uniform hi", () => random.uniform({ hi: 2 } as never), /random\.uniform: unknown option 'hi'/],
  ["grad has_aux", () => grad(f, { has_aux: true } as never), /^grad: unknown option 'has_aux' \(did you mean 'hasAux'\?\)/],
  ["valueAndGrad argnum", () => valueAndGrad(f, { argnum: 0 } as never), /valueAndGrad: unknown option 'argnum' \(did you mean 'argnums'\?\)/],
  ["jacfwd hasaux", () => jacfwd(f, { hasaux: true } as never), /jacfwd: unknown option 'hasaux' \(did you mean 'hasAux'\?\)/],
  ["hessian grad_states", () => hessian(f, { grad_states: [] } as never), /hessian: unknown option 'grad_states' \(did you mean 'gradStates'\?\)/],
  ["GradientTransform transform_params", () => new GradientTransform(f, { transform: (g: typeof f) => g, transform_params: {} } as never), /GradientTransform: unknown option 'transform_params' \(did you mean 'transformParams'\?\)/],
  ["jit static_argnums", () => jit(f, { static_argnums: [1] } as never), /^jit: unknown option 'static_argnums' \(did you mean 'staticArgnums'\?\)/],
  ["jit donate", () => jit(f, { donate: [0] } as never), /jit: unknown option 'donate'/],
  ["vmap in_axes", () => vmap(f, { in_axes: 0 } as never), /^vmap: unknown option 'in_axes' \(did you mean 'inAxes'\?\)/],
  ["vmap outAxis", () => vmap(f, 0, { outAxis: 0 } as never), /vmap: unknown option 'outAxis' \(did you mean 'outAxes'\?\)/],
  ["jvp has_aux", () => jvp(f, [x], [x], { has_aux: true } as never), /jvp: unknown option 'has_aux' \(did you mean 'hasAux'\?\)/],
  ["checkpoint policies", () => checkpoint(f, { policies: "dotsSaveable" } as never), /checkpoint: unknown option 'policies' \(did you mean 'policy'\?\)/],
  ["customVjp nondiff_argnums", () => customVjp(f, { nondiff_argnums: [1] } as never), /customVjp: unknown option 'nondiff_argnums' \(did you mean 'nondiffArgnums'\?\)/],
  ["scan len", () => scan((c: Tensor, y: Tensor) => [c, y], 0, x, { len: 2 } as never), /scan: unknown option 'len'/],
  ["StateFinder return_type", () => StateFinder(f, { return_type: "list" } as never), /StateFinder: unknown option 'return_type' \(did you mean 'returnType'\?\)/],
  ["State names", () => new State(np.zeros([1]), { nmae: "s" } as never), /State: unknown option 'nmae' \(did you mean 'name'\?\)/],
  ["nn.Linear w_init", () => new nn.Linear(2, 3, { w_init: 1 } as never), /Linear: unknown option 'w_init' \(did you mean 'wInit'\?\)/],
  ["nn.Conv2d strides", () => new nn.Conv2d(1, 2, 3, { strides: 2 } as never), /Conv2d: unknown option 'strides' \(did you mean 'stride'\?\)/],
  ["nn.MaxPool2d countIncludePad", () => new nn.MaxPool2d(2, { countIncludePad: true } as never), /MaxPool2d: unknown option 'countIncludePad'; its options are stride, padding/],
  ["nn.LayerNorm epsilon", () => new nn.LayerNorm(3, { epsilon: 1e-3 } as never), /LayerNorm: unknown option 'epsilon'/],
  ["nn.BatchNorm2d momentom", () => new nn.BatchNorm2d(3, { momentom: 0.5 } as never), /BatchNorm2d: unknown option 'momentom' \(did you mean 'momentum'\?\)/],
  ["nn.MLP activations", () => new nn.MLP([2, 3, 1], { activations: nn.relu } as never), /MLP: unknown option 'activations' \(did you mean 'activation'\?\)/],
  ["nn.dotProductAttention is_causal", () => nn.dotProductAttention(np.ones([1, 2, 1, 2]), np.ones([1, 2, 1, 2]), np.ones([1, 2, 1, 2]), { is_causal: true } as never), /dotProductAttention: unknown option 'is_causal' \(did you mean 'isCausal'\?\)/],
  ["nn.mseLoss reduce", () => nn.mseLoss(x, x, { reduce: "sum" } as never), /mseLoss: unknown option 'reduce'/],
  ["nn.init.KaimingNormal fan", () => new nn.init.KaimingNormal({ mod: "fanOut" } as never), /init\.KaimingNormal: unknown option 'mod' \(did you mean 'mode'\?\)/],
  ["optim.Adam learningRate", () => new optim.Adam({ learningRate: 0.1 } as never), /optim\.Adam: unknown option 'learningRate'; its options are lr,/],
  ["optim.SGD with weights, momentum", () => new optim.SGD(new nn.Linear(2, 1).states(ParamState), { lr: 0.1, momentum: 0.9 } as never), /optim\.SGD: unknown option 'momentum'/],
  ["optim.Momentum nesterow", () => new optim.Momentum({ lr: 0.1, nesterow: true } as never), /optim\.Momentum: unknown option 'nesterow' \(did you mean 'nesterov'\?\)/],
  ["optim.clipByGlobalNorm return_norm", () => optim.clipByGlobalNorm({ a: x }, 1, { return_norm: true } as never), /clipByGlobalNorm: unknown option 'return_norm' \(did you mean 'returnNorm'\?\)/],
  ["Dataset.batch drop_remainder", () => data.Dataset.fromArrays({ x }).batch(1, { drop_remainder: true } as never), /Dataset\.batch: unknown option 'drop_remainder' \(did you mean 'dropRemainder'\?\)/],
];

describe("option keys (one signature table)", () => {
  for (const [label, call, message] of TYPOS) {
    it(`${label}: a ValueError naming the function, the key and the nearest valid key`, () => {
      expect(rejection(call)).to.match(message);
    });
  }

  it("init() rejects an unknown key (a rejected promise with a ValueError)", async () => {
    const err = await init({ tnue: true } as never).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(ValueError);
    expect((err as Error).message).to.match(/^init: unknown option 'tnue' \(did you mean 'tune'\?\)/);
  });

  it("device: the active backend's name (or jax-js's alias) is accepted, any other is a ValueError, never ignored", () => {
    expect(np.zeros([2], { device: getBackend() }).shape).to.deep.equal([2]);
    if (getBackend() === "cpu") expect(np.ones([2], { dtype: "int32", device: "wasm" }).dtype).to.equal("int32");
    expect(np.linspace(0, 1, 3, { device: null as never }).shape).to.deep.equal([3]);
    expect(rejection(() => np.array([1, 2], { device: "tpu" }))).to.match(/^array: option device must be the active backend's name/);
    expect(rejection(() => np.zeros([2], { device: getBackend() === "webgpu" ? "cpu" : "webgpu" }))).to.match(/zeros: option device must be/);
  });

  it("JAX's and jax-js's other spellings are accepted as what they mean: correction (= ddof), equalNaN, *Like's shape", () => {
    expect(np.var(x, { correction: 1 }).itemSync()).to.be.closeTo(np.var(x, { ddof: 1 }).itemSync(), 1e-6);
    expect(np.std(x, 0, { correction: 1 }).toArraySync()).to.deep.equal(np.std(x, { axis: 0, ddof: 1 }).toArraySync());
    expect(np.nanvar([1, NaN, 3], { correction: 1 }).itemSync()).to.equal(2);
    expect(rejection(() => np.var(x, { ddof: 1, correction: 1 }))).to.match(/var: give ddof or correction/);
    expect(np.arrayEqual([1, NaN], [1, NaN], { equalNaN: true }).itemSync()).to.equal(true);
    expect(np.isclose([NaN], [NaN], { equalNaN: true }).toArraySync()).to.deep.equal([true]);
    expect(np.zerosLike(x, { shape: [4] }).toArraySync()).to.deep.equal([0, 0, 0, 0]);
    expect(np.fullLike(x, 7, { shape: [1, 2], dtype: "int32" }).toArraySync()).to.deep.equal([[7, 7]]);
  });

  it("valid keys still work, in every spelling the docs show", () => {
    expect(np.sum(x, { axis: 0, keepdims: true }).shape).to.deep.equal([1, 3]);
    expect(grad((a: Tensor) => [a.sum(), 7], { hasAux: true })(x)[1]).to.equal(7);
    expect(jit((a: Tensor, n: number) => a.mul(n), { staticArgnums: [1] })(x, 2).toArraySync()).to.deep.equal([[2, 4, 6], [8, 10, 12]]);
    expect(new optim.Momentum({ lr: 0.1, momentum: 0.5, nesterov: true }).momentum).to.equal(0.5);
    expect(new nn.AvgPool2d(2, { countIncludePad: false, stride: 1 }).stride).to.deep.equal([1, 1]);
    expect(prng.uniform(prng.key(1), [3], { minval: 2, maxval: 3 }).dataSync().every((u) => u >= 2 && u < 3)).to.equal(true);
  });

  it("every entry rejects a foreign key and accepts each of its own", () => {
    for (const name of NAMES) {
      expect(() => checkOptionKeys(name, { "not a key": 1 }), name).to.throw(ValueError, new RegExp(`^${name.replace(/\./g, "\\.")}: unknown option 'not a key'`));
      for (const key of optionKeys(name)) checkOptionKeys(name, { [key]: null });
    }
  });

  it("every entry names a function whose source uses it (no dead or misspelt table names)", () => {
    const root = join(import.meta.dirname, "..", "packages");
    const sources = readdirSync(root).flatMap((p) => tsFiles(join(root, p, "src"))).filter((file) => !file.endsWith(".test.ts") && !file.endsWith("signatures.ts"));
    const text = sources.map((file) => readFileSync(file, "utf8")).join("\n");
    expect(NAMES.filter((name) => !text.includes(`"${name}"`))).to.deep.equal([]);
  });

  it("property: a misspelling of a valid key (case, snake_case, one edit) is answered with that key", () => {
    const entries = NAMES.map((n) => [n, optionKeys(n)] as const).filter(([, keys]) => keys.length > 0);
    const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    fc.assert(
      fc.property(fc.constantFrom(...entries), fc.nat(), fc.constantFrom("snake", "upper", "drop", "swap"), ([name, keys], i, how) => {
        const key = keys[i % keys.length]!;
        const bad = how === "snake" ? snake(key) : how === "upper" ? key.toUpperCase() : how === "drop" ? key.slice(0, -1) : key.length > 3 ? key.slice(0, 1) + key[2] + key[1] + key.slice(3) : `${key}_`;
        if (keys.includes(bad)) return; // e.g. "axis" → snake "axis": still valid
        const message = (() => {
          try {
            checkOptionKeys(name, { [bad]: 1 });
          } catch (e) {
            return (e as Error).message;
          }
          return "no error";
        })();
        expect(message).to.include(`unknown option '${bad}'`);
        // The suggestion is a valid key of this function, and for a case/snake spelling it is the key itself.
        const near = nearestKey(bad, keys);
        if (near !== undefined) expect(message).to.include(`did you mean '${near}'?`);
        // (Up to case: arrayEqual accepts both "equalNan" and "equalNaN", either is the right answer.)
        if (how === "snake" || how === "upper") expect(near?.toLowerCase()).to.equal(key.toLowerCase());
      }),
      { numRuns: 300, seed: 27 },
    );
  });

  it("the check is cheap: a Set lookup per key (under 2 µs a call with three keys)", () => {
    const opts = { axis: 0, keepdims: true, dtype: "float32" };
    checkOptionKeys("sum", opts);
    const n = 100_000;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) checkOptionKeys("sum", opts);
    const { user, system } = process.cpuUsage(t0);
    expect((user + system) / n).to.be.below(2); // µs per call (measured ~0.1 µs)
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}
