/**
 * Renders the generated part of docs/coming-from-jax.md: every function of kiln's array namespaces
 * (np, np.linalg, np.fft, lax, lax.linalg, scipySpecial, prng, random) next to its JAX name, with
 * the deviations users porting code hit. The names come from the live namespaces, so a function
 * added to kiln appears here; `test/coming-from-jax.test.ts` fails until the page is re-rendered:
 *
 *   node --conditions=kiln-source --import tsx scripts/jax-surface.ts --write
 *
 * A JAX name is the kiln name in snake_case unless `JAX_NAME` says otherwise; `NOTES` holds the
 * one-line deviations (details on the linked guide pages).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { lax, np, prng, random, scipySpecial } from "kiln";

interface Namespace {
  /** How kiln users write it. */
  readonly kiln: string;
  /** The JAX module it mirrors. */
  readonly jax: string;
  readonly members: Record<string, unknown> | undefined;
  /** The guide page with the details. */
  readonly page: string;
}

const namespaces = (): Namespace[] => {
  const npAny = np as unknown as Record<string, Record<string, unknown>>;
  const laxAny = lax as unknown as Record<string, Record<string, unknown>>;
  return [
    { kiln: "np", jax: "jax.numpy", members: npAny as unknown as Record<string, unknown>, page: "lazy-tensors.md" },
    { kiln: "np.linalg", jax: "jax.numpy.linalg", members: npAny.linalg, page: "linalg.md" },
    { kiln: "np.fft", jax: "jax.numpy.fft", members: npAny.fft, page: "fft.md" },
    { kiln: "lax", jax: "jax.lax", members: laxAny as unknown as Record<string, unknown>, page: "lax.md" },
    { kiln: "lax.linalg", jax: "jax.lax.linalg", members: laxAny.linalg, page: "linalg.md" },
    { kiln: "scipySpecial", jax: "jax.scipy.special", members: scipySpecial as unknown as Record<string, unknown>, page: "special.md" },
    { kiln: "prng", jax: "jax.random", members: prng as unknown as Record<string, unknown>, page: "random.md" },
    { kiln: "random", jax: "brainstate.random", members: random as unknown as Record<string, unknown>, page: "random.md" },
  ];
};

/** JAX names that are not the snake_case of kiln's (`null`: JAX has no such function). */
const JAX_NAME: Record<string, string | null> = {
  "np.get": "x[index]",
  "np.at": "x.at[index]",
  "np.slice": "a Python slice",
  "np.relu": "jax.nn.relu",
  "np.sigmoid": "jax.nn.sigmoid",
  "np.logsumexp": "jax.nn.logsumexp",
  "np.rsqrt": "jax.lax.rsqrt",
  "np.stopGradient": "jax.lax.stop_gradient",
  "lax.besselI0e": "bessel_i0e",
  "lax.besselI1e": "bessel_i1e",
  "lax.trigamma": "jax.scipy.special.polygamma(1, x)",
  "np.fft.complex": null,
  "np.fft.conj": "jax.numpy.conj",
  "np.fft.isComplex": "jax.numpy.iscomplexobj",
  "random.rand": "rand",
  "random.randn": "randn",
  "random.seed": "seed",
  "np.atleast1d": "jax.numpy.atleast_1d",
  "np.atleast2d": "jax.numpy.atleast_2d",
  "np.atleast3d": "jax.numpy.atleast_3d",
};

/** One-line deviations (kiln name → note). Keep them short; the guide pages have the details. */
const NOTES: Record<string, string> = {
  "np.arange": "float32 by default, also for integer arguments (JAX: int32); pass `{ dtype: \"int32\" }`",
  "np.array": "also takes typed arrays (`Float32Array`, `Int32Array`, …) with an optional `shape`",
  "np.astype": "dtypes float32, float64 (cpu), int32, uint8, uint32, bool, float16, bfloat16; no int64, complex; out-of-range float → int truncates and wraps ([dtypes.md](dtypes.md))",
  "lax.bitcastConvertType": "equal item sizes only: float32 ↔ int32 ↔ uint32 (also `x.view(dtype)`); not differentiable",
  "np.get": "NumPy indexing as `x.get(…)`; several integer arrays broadcast together (`x[rows, cols]`); no boolean masks",
  "np.where": "also the one-argument form `np.where(cond)` (= `nonzero`; `{ size, fillValue }` under jit)",
  "np.pad": "every NumPy mode (`np.pad(x, w, \"reflect\")` or `{ mode }`), options `constantValues`, `endValues`, `statLength`, `reflectType`; no callable mode",
  "np.at": "`x.at(idx).set/add/…` returns a new Tensor (functional, as JAX)",
  "np.unique": "static `size` required (output shapes cannot depend on data), no `axis`",
  "np.real": "real inputs as JAX (the input itself) or an np.fft `{ re, im }` pair (no complex dtype)",
  "np.imag": "real inputs as JAX (zeros of the input's dtype) or an np.fft `{ re, im }` pair",
  "np.conj": "real inputs (the input itself) or an np.fft `{ re, im }` pair",
  "np.conjugate": "real inputs (the input itself) or an np.fft `{ re, im }` pair",
  "np.angle": "real inputs (π where negative) or an np.fft `{ re, im }` pair",
  "np.iscomplexobj": "true only for an np.fft `{ re, im }` pair (no complex dtype)",
  "np.ndim": "a JS number",
  "np.shape": "an array of sizes (JAX's tuple)",
  "np.size": "a JS number",
  "np.issubdtype": "categories by NumPy's name as a string (`\"floating\"`, `\"integer\"`, …)",
  "np.insert": "positions must be concrete (JS values or eager Tensors), as JAX",
  "np.delete": "positions must be concrete (JS values or eager Tensors); no slice objects",
  "np.place": "returns the result (JAX's `inplace=False`)",
  "np.put": "returns the result (JAX's `inplace=False`); mode \"fill\" (default), \"clip\" or \"wrap\"",
  "np.trimZeros": "`filt` must be concrete (the length depends on the values)",
  "np.choose": "mode \"raise\" reads the indices (concrete only); \"wrap\"/\"clip\" under jit",
  "np.ix_": "boolean sequences must be concrete",
  "np.gradient": "edgeOrder 1 only (JAX)",
  "np.spacing": "float32 only (no 64-bit bitcast)",
  "np.sortComplex": "real inputs: sorted values in a float dtype (no complex dtype)",
  "np.histogramdd": "`bins`/`range` static; counts are float (as NumPy/JAX)",
  "np.poly": "real 1-D roots only (no complex dtype)",
  "np.polyfit": "no `cov`",
  "np.frombuffer": "an ArrayBuffer or typed array; float32/float64/int32/uint32/uint8/bool",
  "np.fromstring": "a non-empty `sep` is required (as JAX)",
  "np.finfo": "a plain object of JS numbers",
  "np.iinfo": "a plain object of JS numbers",
  "np.vectorize": "nested vmap; `excluded` by position only",
  "np.sort": "always stable; NaN last; no `kind`/`order`",
  "np.argsort": "always stable",
  "np.partition": "returns a full sort",
  "np.argpartition": "returns a full argsort",
  "np.searchsorted": "compares every value with every element (`method=\"compare_all\"`); no `sorter`",
  "np.nonzero": "static `size` required under jit/vmap (without it the values are read, as `unique`)",
  "np.argwhere": "static `size` required under jit/vmap (without it the values are read)",
  "np.flatnonzero": "static `size` required under jit/vmap (without it the values are read)",
  "np.nextafter": "float32 only (no 64-bit bitcast)",
  "np.fillDiagonal": "returns a new array (JAX's `inplace=False`)",
  "np.putAlongAxis": "returns a new array (JAX's `inplace=False`); no `mode`",
  "np.ravelMultiIndex": "default `mode: \"raise\"` reads the values (not under jit: pass `\"clip\"` or `\"wrap\"`)",
  "np.bincount": "static `length` required; out-of-range values dropped",
  "np.histogram": "integer `bins` and a finite `range` required; no `density`",
  "np.tril": "needs ≥ 2 dimensions (as JAX)",
  "np.triu": "needs ≥ 2 dimensions (as JAX)",
  "np.polyadd": "no trimming of leading zeros (JAX's `trim_leading_zeros=False`)",
  "np.polymul": "no trimming of leading zeros",
  "np.piecewise": "calls every function on the whole array (as JAX)",
  "np.indices": "int32 (no int64)",
  "np.convolve": "real inputs only",
  "np.correlate": "real inputs only (no conjugation)",
  "np.cov": "no `fweights`/`aweights`",
  "np.arrayEqual": "a 0-d bool Tensor, not a JS boolean (as JAX)",
  "np.allclose": "a 0-d bool Tensor, not a JS boolean (as JAX)",
  "np.einsum": "subscripts or the interleaved `(operand, axes, …)` form",
  "np.geomspace": "scalar endpoints only",
  "np.logspace": "scalar endpoints only",
  "np.linalg.qr": "R's diagonal signs as LAPACK; derivative for m ≥ n",
  "np.linalg.eigh": "each eigenvector signed so its largest component is positive",
  "np.linalg.pinv": "default cutoff `max(m, n)·eps` (JAX), not NumPy's 1e-15",
  "np.linalg.lstsq": "residuals also when rank-deficient (JAX's `numpy_resid=False`)",
  "lax.linalg.qr": "`fullMatrices` defaults to true (as JAX's lax)",
  "lax.linalg.eigh": "returns `[v, w]` (vectors first, as JAX's lax)",
  "lax.linalg.triangularSolve": "solved by `solve` on the masked triangle; `leftSide` defaults to false (as JAX)",
  "lax.linalg.lu": "`[lu, pivots, permutation]`; pivoting as LAPACK getrf",
  "lax.dynamicSlice": "starts clamped so the window fits (as JAX)",
  "lax.dynamicUpdateSlice": "starts clamped; update dtype must match (no promotion)",
  "lax.cummax": "tie gradients split like `max`'s (JAX's scan tree may split differently)",
  "lax.cummin": "tie gradients split like `min`'s",
  "lax.topK": "along the last axis; ties keep the lower index",
  "lax.lgamma": "`lgamma(-inf)` is +inf (as XLA)",
  "scipySpecial.gammaln": "`gammaln(-inf)` is +inf (XLA), SciPy gives −inf",
  "scipySpecial.betaln": "plain difference of gammaln: cancels when one argument ≫ the other",
  "scipySpecial.xlogy": "d/dx at x = 0 is 0 (JAX: log y)",
  "np.fft.complex": "builds a `{ re, im }` Complex (kiln has no complex dtype; JAX: `re + 1j * im`)",
  "np.fft.conj": "of a `{ re, im }` Complex (JAX: `jnp.conj`)",
  "np.fft.isComplex": "is it a `{ re, im }` Complex (JAX: `jnp.iscomplexobj`)",
  "np.fft.fft": "complex results as `{ re, im }`; gradients w.r.t. a Complex are the conjugate of JAX's",
  "np.fft.rfft": "complex input is a ValueError",
  "np.fft.fftfreq": "`d` is a JS number; float32 unless `{ dtype: \"float64\" }`",
  "np.roots": "a `{ re, im }` Complex; default `stripZeros` reads values (not under jit: pass `{ stripZeros: false }`)",
  "prng.key": "Threefry-2x32 keys as JAX's default; usable inside `vmap`/`jit`",
  "random.seed": "the stateful generator (BrainState's `brainstate.random`) is a State: `jit` threads it",
};

const snake = (name: string): string => name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));

/** The functions of a namespace (sub-namespaces, which get their own table, excluded). */
function functionsOf(ns: Namespace): string[] {
  if (!ns.members) return [];
  const subs = new Set(namespaces().map((n) => n.kiln));
  return Object.keys(ns.members)
    .filter((k) => typeof ns.members![k] === "function" && !subs.has(`${ns.kiln}.${k}`))
    .sort((a, b) => a.localeCompare(b));
}

/** The generated block of docs/coming-from-jax.md. */
export function renderSurface(): string {
  const out: string[] = [];
  for (const ns of namespaces()) {
    const fns = functionsOf(ns);
    if (fns.length === 0) continue;
    out.push(`### \`${ns.kiln}\` → \`${ns.jax}\` (${fns.length}; details: [${ns.page}](${ns.page}))`, "");
    out.push("| kiln | JAX | deviation |", "|---|---|---|");
    for (const f of fns) {
      const key = `${ns.kiln}.${f}`;
      const mapped = key in JAX_NAME ? JAX_NAME[key] : snake(f);
      const jax = mapped === null ? "—" : mapped.includes(".") || mapped.includes(" ") || mapped.includes("[") ? `\`${mapped}\`` : `\`${ns.jax}.${mapped}\``;
      out.push(`| \`${key}\` | ${jax} | ${NOTES[key] ?? ""} |`);
    }
    out.push("");
  }
  return out.join("\n").trimEnd();
}

const PAGE = new URL("../docs/coming-from-jax.md", import.meta.url);
const BLOCK = /(<!-- surface:start -->\n)[\s\S]*?(<!-- surface:end -->)/;

/** The page with its generated block replaced by `renderSurface()`. */
export function renderedPage(): string {
  const page = readFileSync(PAGE, "utf8");
  if (!BLOCK.test(page)) throw new Error("docs/coming-from-jax.md has no <!-- surface:start --> … <!-- surface:end --> block");
  return page.replace(BLOCK, (_, a: string, b: string) => `${a}${renderSurface()}\n${b}`);
}

if (process.argv.includes("--write")) {
  writeFileSync(PAGE, renderedPage());
  console.log("docs/coming-from-jax.md: surface block re-rendered");
}
