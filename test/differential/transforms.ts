/**
 * Transform identities on random programs (the differential suite's programs, program.ts): each
 * row of TRANSFORM_IDENTITIES builds, from one program, a transformed computation (`got`) and what
 * it must equal (`want`), e.g. `vmap(f)(xs)` and `stack([f(x) for x])`, or `grad(jit(f))` and
 * `grad(f)`. Two checks per row:
 *
 * - the identity itself, in the float64 interpreter (`checkIdentityRule`): `got`'s graph against
 *   `want`'s reference — backend-independent, so it runs once (cpu) and finds wrong transform
 *   rules (a batching rule, a jvp/vjp pair that disagree, a wrong custom-rule plumbing);
 * - the backend (`checkIdentityOn`): `got` realized on the active backend against the float64
 *   reference of `got`'s own graph when it has one (no `jit` inside), else of `want` — so fusion,
 *   codegen and replay of transformed graphs (batched, reversed, looped) are held to the same
 *   tolerance model as forward programs (reference.ts: float32 rounding sensitivity).
 *
 * The differentiable inputs of a program are its float32 inputs; the others (ints, bools,
 * float16/bfloat16) are constants closed over, as `harness.ts` does for gradients. Programs with
 * special values are left to the forward suite (a derivative at inf/NaN is not an identity).
 */
import {
  type Tensor, State, checkpoint, cond, customVjp, forLoop, grad, hessian, jacfwd, jacrev, jit, jvp, np, scan, tree, vjp, vmap, whileLoop,
} from "kiln";
import { type Node, interpret } from "kiln/internal";
import { rng, tensor } from "../conformance/suite.js";
import { type Program, isSmooth, programCode, programInputs, reseedInputs, runProgram } from "./program.js";
import { type Mismatch, describeMismatches, mismatches, reference } from "./reference.js";

/** The tensors of one identity: `got` (the transform under test) must equal `want`. */
export interface Identity {
  readonly got: () => Tensor[];
  readonly want: () => Tensor[];
  /** `got` has a `jit` inside (its graph is not the interpreter's): compared with `want`'s reference only. */
  readonly jitted?: boolean;
  /**
   * Replaces the interpreter's comparison of `got` with `want` (the jvp row: a central difference
   * is trusted only where it has converged). Null when it holds, else the detail.
   */
  readonly rule?: () => string | null;
}

/** A row of the identity table: the identity on a program, or null when it does not apply. */
export type IdentityRow = (p: Program) => Identity | null;

/** The largest Jacobian (elements) a jacobian or hessian row builds: keeps each program fast. */
const MAX_JACOBIAN = 600;

const asList = (v: unknown): Tensor[] => tree.leaves(v) as Tensor[];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A program seen as a function of its float32 inputs (the others closed over), with a scalar loss. */
interface Differentiable {
  /** Indices of the float32 inputs. */
  readonly floats: readonly number[];
  /** Realized values of the float32 inputs. */
  readonly xs: () => Tensor[];
  /** The float32 outputs, as a function of the float32 inputs. */
  readonly outs: (...xs: Tensor[]) => Tensor[];
  /** Σ_k sum(out_k · c_k) over the float32 outputs (fixed random cotangents c_k). */
  readonly loss: (...xs: Tensor[]) => Tensor;
}

/** The program as a function of its float32 inputs (null when it has no float32 input or output, or special values). */
export function differentiable(p: Program): Differentiable | null {
  if (p.specials) return null;
  const floats = p.inputs.map((s, i) => (s.dtype === "float32" ? i : -1)).filter((i) => i >= 0);
  if (!floats.length) return null;
  const fixed = programInputs(p);
  const full = (xs: readonly Tensor[]) => {
    const all = [...fixed];
    floats.forEach((i, k) => (all[i] = xs[k]!));
    return runProgram(p, all).filter((o) => o.dtype === "float32");
  };
  const probe = full(floats.map((i) => fixed[i]!));
  if (!probe.length) return null;
  const r = rng(p.seed + 7);
  const cots = probe.map((o) => tensor("float32", o.shape, () => Math.fround(-1 + 2 * r())));
  return {
    floats,
    xs: () => { const xs = programInputs(p); return floats.map((i) => xs[i]!); },
    outs: (...xs) => full(xs),
    loss: (...xs) => full(xs).reduce((acc: Tensor, o, k) => acc.add(np.sum(o.mul(cots[k]!))), np.array(0, { dtype: "float32" })),
  };
}

/** Random float32 values shaped like `ts` (tangents, cotangents, directions). */
function randomLike(ts: readonly Tensor[], seed: number): Tensor[] {
  const r = rng(seed);
  return ts.map((t) => tensor("float32", t.shape, () => Math.fround(-1 + 2 * r())));
}

/** Σ_k sum(a_k · b_k) of two equally shaped lists. */
const inner = (a: readonly Tensor[], b: readonly Tensor[]) =>
  a.reduce((acc: Tensor, t, k) => acc.add(np.sum(t.mul(b[k]!))), np.array(0, { dtype: "float32" }));

/** Per-example copies of a program: the same shapes and dtypes, fresh values (example b has seed·31 + b). */
const examples = (p: Program, n: number, salt = 0) => Array.from({ length: n }, (_, b) => reseedInputs(p, p.seed * 31 + b + 100 * salt));

/** The values of input k across the examples, stacked along `axis` (null: the first example's, shared). */
function stackInput(ps: readonly Program[], k: number, axis: number | null): Tensor {
  if (axis === null) return programInputs(ps[0]!)[k]!;
  return np.stack(ps.map((q) => programInputs(q)[k]!), { axis });
}

/** An axis of a rank-r value's batched form: -(r+1)..r (negative ones too), or null sometimes. */
function drawAxis(r: () => number, rank: number, allowNull: boolean): number | null {
  if (allowNull && r() < 0.25) return null;
  const a = Math.floor(r() * (rank + 1));
  return r() < 0.4 ? a - (rank + 1) : a;
}

/** The examples' gradients of the loss, stacked (per float input). */
function stackedGrads(d: Differentiable, ps: readonly Program[], argnums: number[], scale = 1): Tensor[] {
  const per = ps.map((q) => {
    const xs = programInputs(q);
    const g = asList(grad(d.loss, { argnums })(...d.floats.map((i) => xs[i]!)));
    return g.map((t) => (scale === 1 ? t : t.mul(scale)));
  });
  return argnums.map((_, k) => np.stack(per.map((g) => g[k]!)));
}

const argnumsOf = (d: Differentiable) => d.floats.map((_, k) => k);

/** The one-step body of the loop rows: carry c (input 0's shape), the other inputs per step. */
function loopBody(p: Program, d: Differentiable) {
  const r = rng(p.seed + 13);
  const probe = runProgram(p, programInputs(p)).filter((o) => o.dtype === "float32");
  const cots = probe.map((o) => tensor("float32", o.shape, () => Math.fround(-1 + 2 * r())));
  return (c: Tensor, rest: readonly Tensor[]): [Tensor, Tensor] => {
    const outs = runProgram(p, [c, ...rest]).filter((o) => o.dtype === "float32");
    const s = inner(outs, cots);
    // tanh keeps the carry bounded over the steps whatever the program computes
    return [c.mul(0.5).add(np.tanh(s).mul(0.25)), s];
  };
}

/**
 * The directional derivative of the loss by jvp against its central difference, both in float64
 * (the interpreter's exact mode, the float32 inputs replaced in its environment), as
 * `checkVjpRules` (harness.ts) does for the vjp rules. The difference is trusted only where it has
 * converged (steps h and 10h agree).
 */
function jvpVsCentralDifference(d: Differentiable, t: readonly Tensor[]): string | null {
  const xs = d.xs();
  const y = d.loss(...xs);
  const [, dy] = jvp(d.loss, xs, [...t]) as [Tensor, Tensor];
  const env = new Map<Node, Float64Array>();
  const dot = interpret([dy.node], env, { exact: true })[0]![0]!;
  const x0 = xs.map((x) => Float64Array.from(x.dataSync()));
  const dirs = t.map((x) => Float64Array.from(x.dataSync()));
  const h = 1e-6;
  const at = (s: number) => {
    const e = new Map<Node, Float64Array>();
    xs.forEach((x, k) => e.set(x.node, x0[k]!.map((v, j) => v + s * h * dirs[k]![j]!)));
    return interpret([y.node], e, { exact: true })[0]![0]!;
  };
  const fd = (at(1) - at(-1)) / (2 * h);
  const scale = Math.abs(at(0)) + Math.abs(dot);
  const tol = 1e-6 * scale + 1e-8;
  if (!Number.isFinite(fd) || Math.abs((at(10) - at(-10)) / (20 * h) - fd) > tol) return null;
  if (Number.isFinite(dot) && Math.abs(fd - dot) <= tol) return null;
  return `directional derivative: jvp gives ${dot}, central difference ${fd}`;
}

/**
 * Ops whose second derivative kiln does not have: digamma's would need polygamma(2, x), which
 * `trigamma`'s jvp rule rejects by name (docs/special.md).
 */
const NO_SECOND_DERIVATIVE: ReadonlySet<string> = new Set(["digamma"]);

/** The program for the hessian rows: twice differentiable, its first float input small. */
function secondOrder(p: Program): Differentiable | null {
  const d = differentiable(p);
  if (!d || p.steps.some((s) => NO_SECOND_DERIVATIVE.has(s.op))) return null;
  return size(d.xs()[0]!.shape) ** 2 > MAX_JACOBIAN ? null : d;
}

/** The loop rows need input 0 to be the (float32) carry. */
const loopable = (p: Program, d: Differentiable | null): d is Differentiable => d !== null && d.floats[0] === 0;

/** Steps of the loop rows. */
const STEPS = 3;

/**
 * The identities, one row each; a row declines (null) a program it does not apply to.
 * @example
 * const id = TRANSFORM_IDENTITIES.vmap(generateProgram(5));
 * if (id) console.log(await id.got()[0].data(), await id.want()[0].data());
 */
export const TRANSFORM_IDENTITIES = {
  /**
   * jvp along a random direction: on the backend, its graph's values; in float64, against the
   * central difference of the loss (smooth programs only: at a kink a difference is no derivative).
   */
  jvpCentralDifference: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const t = randomLike(d.xs(), p.seed + 3);
    const tangent = () => [jvp(d.loss, d.xs(), t)[1] as Tensor];
    return { got: tangent, want: tangent, rule: () => (isSmooth(p) ? jvpVsCentralDifference(d, t) : null) };
  },
  /** The dot-product test: ⟨u, jvp(f)(x; v)⟩ = ⟨vjp(f)(x)(u), v⟩ for the float32 outputs. */
  jvpVjpTranspose: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const v = randomLike(d.xs(), p.seed + 3);
    const u = randomLike(d.outs(...d.xs()), p.seed + 5);
    return {
      got: () => [inner(u, jvp((...xs: Tensor[]) => d.outs(...xs), d.xs(), v)[1] as Tensor[])],
      want: () => {
        const [, pull] = vjp((...xs: Tensor[]) => d.outs(...xs), ...d.xs());
        return [inner(pull(u) as Tensor[], v)];
      },
    };
  },
  /** grad of a jitted function is the gradient of the function. */
  gradOfJit: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const argnums = argnumsOf(d);
    return {
      got: () => asList(grad(jit(d.loss), { argnums })(...d.xs())),
      want: () => asList(grad(d.loss, { argnums })(...d.xs())),
      jitted: true,
    };
  },
  /** vmap with random in/out axes (negative, null, nested in an array and a record) equals the stacked loop. */
  vmap: (p) => {
    const r = rng(p.seed + 17);
    const B = 2;
    const ps = examples(p, B);
    const inAx = p.inputs.map((s) => drawAxis(r, s.shape.length, true));
    const outs0 = runProgram(p, programInputs(p));
    const outAx = outs0.map((o) => drawAxis(r, o.ndim, false)!);
    // Arguments: input 0 alone, the rest in a record { rest: [...] } (a pytree prefix per argument).
    const f = (x0: Tensor, more: { rest: Tensor[] }) => runProgram(p, [x0, ...more.rest]);
    const spec = [inAx[0]!, { rest: inAx.slice(1) }];
    const batched = () => {
      const xs = inAx.map((a, k) => stackInput(ps, k, a));
      return [xs[0]!, { rest: xs.slice(1) }] as const;
    };
    const anyMapped = inAx.some((a) => a !== null);
    return {
      got: () => {
        const [x0, more] = batched();
        return vmap(f, { inAxes: spec, outAxes: outAx, ...(anyMapped ? {} : { axisSize: B }) })(x0, more);
      },
      // An unmapped input is the first example's for every b.
      want: () => {
        const per = ps.map((q) => runProgram(p, programInputs(q).map((x, k) => (inAx[k] === null ? programInputs(ps[0]!)[k]! : x))));
        return outAx.map((a, k) => np.stack(per.map((o) => o[k]!), { axis: a }));
      },
    };
  },
  /** vmap of vmap over two leading batch axes equals the doubly stacked loop. */
  nestedVmap: (p) => {
    const ps = examples(p, 4);
    const grid = [[ps[0]!, ps[1]!], [ps[2]!, ps[3]!]];
    const f = (...xs: Tensor[]) => runProgram(p, xs);
    return {
      got: () => {
        const xs = p.inputs.map((_, k) => np.stack(grid.map((row) => np.stack(row.map((q) => programInputs(q)[k]!)))));
        // the outer vmap strips axis 0, the inner one the next
        return vmap(vmap(f), { inAxes: 0 })(...xs);
      },
      want: () => {
        const per = grid.map((row) => row.map((q) => runProgram(p, programInputs(q))));
        return per[0]![0]!.map((_, k) => np.stack(per.map((row) => np.stack(row.map((o) => o[k]!)))));
      },
    };
  },
  /** vmap(grad(f)) over the float inputs (axis 0) equals the per-example gradients. */
  vmapOfGrad: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const ps = examples(p, 2, 1);
    const argnums = argnumsOf(d);
    return {
      got: () => asList(vmap(grad(d.loss, { argnums }))(...d.floats.map((i) => stackInput(ps, i, 0)))),
      want: () => stackedGrads(d, ps, argnums),
    };
  },
  /** grad of a summed vmap equals the per-example gradients, stacked. */
  gradOfVmap: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const ps = examples(p, 2, 2);
    const argnums = argnumsOf(d);
    const total = (...xs: Tensor[]) => np.sum(vmap(d.loss)(...xs) as Tensor);
    return {
      got: () => asList(grad(total, { argnums })(...d.floats.map((i) => stackInput(ps, i, 0)))),
      want: () => stackedGrads(d, ps, argnums),
    };
  },
  /** jacfwd equals jacrev (every output leaf, every float input). */
  jacfwdJacrev: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const nIn = d.xs().reduce((a, x) => a + x.size, 0), nOut = d.outs(...d.xs()).reduce((a, o) => a + o.size, 0);
    if (nIn * nOut > MAX_JACOBIAN) return null;
    const argnums = argnumsOf(d);
    const f = (...xs: Tensor[]) => d.outs(...xs);
    return {
      got: () => asList(jacfwd(f, { argnums })(...d.xs())),
      want: () => asList(jacrev(f, { argnums })(...d.xs())),
    };
  },
  /** hessian equals jacfwd(jacrev) (first float input). */
  hessianForwardOverReverse: (p) => {
    const d = secondOrder(p);
    if (!d) return null;
    return {
      got: () => asList(hessian(d.loss)(...d.xs())),
      want: () => asList(jacfwd(jacrev(d.loss))(...d.xs())),
    };
  },
  /** hessian is symmetric. */
  hessianSymmetric: (p) => {
    const d = secondOrder(p);
    if (!d) return null;
    const n = size(d.xs()[0]!.shape);
    const h = () => (hessian(d.loss)(...d.xs()) as Tensor).reshape([n, n]);
    return { got: () => [h()], want: () => [h().T] };
  },
  /** checkpoint (both policies) changes no gradient. */
  checkpoint: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const argnums = argnumsOf(d);
    return {
      got: () => [
        ...asList(grad(checkpoint(d.loss), { argnums })(...d.xs())),
        ...asList(grad(checkpoint(d.loss, { policy: "dotsSaveable" }), { argnums })(...d.xs())),
      ],
      want: () => [...asList(grad(d.loss, { argnums })(...d.xs())), ...asList(grad(d.loss, { argnums })(...d.xs()))],
    };
  },
  /** scan: the final carry, the ys and the gradients equal the unrolled loop's. */
  scanUnrolled: (p) => {
    const d = differentiable(p);
    if (!loopable(p, d)) return null;
    const body = loopBody(p, d);
    const steps = examples(p, STEPS, 3);
    const xsOf = () => p.inputs.slice(1).map((_, k) => stackInput(steps, k + 1, 0));
    const floatRest = d.floats.slice(1).map((i) => i - 1);
    // loss of (c0, float xs stacked); non-float xs fixed
    const viaScan = (c0: Tensor, ...fxs: Tensor[]) => {
      const xs = xsOf();
      floatRest.forEach((j, k) => (xs[j] = fxs[k]!));
      const [c, ys] = scan((c: Tensor, x: Tensor[]) => body(c, x), c0, xs, { length: STEPS });
      return np.sum(c).add(np.sum((ys as Tensor).mul(np.arange(STEPS).astype("float32").add(1))));
    };
    const unrolled = (c0: Tensor, ...fxs: Tensor[]) => {
      const xs = xsOf();
      floatRest.forEach((j, k) => (xs[j] = fxs[k]!));
      let c = c0, acc: Tensor = np.array(0, { dtype: "float32" });
      for (let t = 0; t < STEPS; t++) {
        const [next, y] = body(c, xs.map((x) => x.get(t)));
        c = next;
        acc = acc.add(y.mul(t + 1));
      }
      return np.sum(c).add(acc);
    };
    const args = () => [d.xs()[0]!, ...floatRest.map((j) => xsOf()[j]!)];
    const argnums = args().map((_, k) => k);
    return {
      got: () => [viaScan(...args() as [Tensor]), ...asList(grad(viaScan, { argnums })(...args()))],
      want: () => [unrolled(...args() as [Tensor]), ...asList(grad(unrolled, { argnums })(...args()))],
    };
  },
  /** scan under vmap (a batch of initial carries) and under jvp: values and tangents equal the unrolled loop's. */
  scanUnderVmapAndJvp: (p) => {
    const d = differentiable(p);
    if (!loopable(p, d)) return null;
    const body = loopBody(p, d);
    const xs = examples(p, STEPS, 7).map((q) => programInputs(q).slice(1));
    const stackedXs = () => p.inputs.slice(1).map((_, j) => np.stack(xs.map((x) => x[j]!)));
    const viaScan = (c0: Tensor) => {
      const [c, ys] = scan((c: Tensor, x: Tensor[]) => body(c, x), c0, stackedXs(), { length: STEPS });
      return np.sum(c).add(np.sum((ys as Tensor).mul(np.arange(STEPS).astype("float32").add(1))));
    };
    const unrolled = (c0: Tensor) => {
      let c = c0, acc: Tensor = np.array(0, { dtype: "float32" });
      xs.forEach((x, t) => {
        const [next, y] = body(c, x);
        c = next;
        acc = acc.add(y.mul(t + 1));
      });
      return np.sum(c).add(acc);
    };
    const cs = examples(p, 2, 8).map((q) => programInputs(q)[0]!);
    const t = randomLike([cs[0]!], p.seed + 9)[0]!;
    return {
      got: () => [
        vmap(viaScan)(np.stack(cs)) as Tensor, vmap(grad(viaScan))(np.stack(cs)) as Tensor,
        jvp(viaScan, [cs[0]!], [t])[1] as Tensor,
      ],
      want: () => [
        np.stack(cs.map(unrolled)), np.stack(cs.map((c) => grad(unrolled)(c) as Tensor)),
        jvp(unrolled, [cs[0]!], [t])[1] as Tensor,
      ],
    };
  },
  /**
   * cond and whileLoop under vmap with a per-example predicate (so both branches, and different
   * trip counts, occur in one batch), and their gradients, equal the per-example results.
   */
  controlFlowBatched: (p) => {
    const d = differentiable(p);
    if (!loopable(p, d)) return null;
    const body = loopBody(p, d);
    const ps = examples(p, 3, 9);
    const rest = programInputs(p).slice(1);
    // cond: the program's step or half of it, by the sign of its loss; whileLoop: up to 3 steps
    // while the carry's sum stays below a bound the example's values decide.
    const condPart = (c0: Tensor) => {
      const [c1, s] = body(c0, rest);
      return cond(s.gt(0), (c: Tensor) => body(c, rest)[0], (c: Tensor) => c.mul(0.5), c1) as Tensor;
    };
    const branchy = (c0: Tensor) => {
      const [, out] = whileLoop(
        ([k, c]: [Tensor, Tensor]) => np.logicalAnd(k.lt(3), np.sum(c).lt(np.abs(np.sum(c0)))),
        ([k, c]: [Tensor, Tensor]) => [k.add(1), body(c, rest)[0]],
        [np.array(0, { dtype: "int32" }), condPart(c0)],
      ) as [Tensor, Tensor];
      return np.sum(out.mul(out));
    };
    // reverse mode through cond; forward mode through both (whileLoop has no reverse mode, as in JAX)
    const condLoss = (c0: Tensor) => np.sum(condPart(c0).square());
    const tangent = (c: Tensor, t: Tensor) => jvp(branchy, [c], [t])[1] as Tensor;
    const cs = () => ps.map((q) => programInputs(q)[0]!);
    const ts = () => randomLike(cs(), p.seed + 11);
    return {
      got: () => [
        vmap(branchy)(np.stack(cs())) as Tensor, vmap(grad(condLoss))(np.stack(cs())) as Tensor,
        vmap(tangent)(np.stack(cs()), np.stack(ts())) as Tensor,
      ],
      want: () => [
        np.stack(cs().map(branchy)), np.stack(cs().map((c) => grad(condLoss)(c) as Tensor)),
        np.stack(cs().map((c, b) => tangent(c, ts()[b]!))),
      ],
    };
  },
  /** forLoop maps the program over stacked inputs: values and gradients equal the loop's. */
  forLoopUnrolled: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const steps = examples(p, STEPS, 4);
    const argnums = argnumsOf(d);
    const xsOf = () => d.floats.map((i) => stackInput(steps, i, 0));
    const viaLoop = (...xs: Tensor[]) => np.sum(forLoop((...x: Tensor[]) => d.loss(...x), ...xs) as Tensor);
    const unrolled = (...xs: Tensor[]) =>
      Array.from({ length: STEPS }, (_, t) => d.loss(...xs.map((x) => x.get(t)))).reduce((a, b) => a.add(b));
    return {
      got: () => [viaLoop(...xsOf()), ...asList(grad(viaLoop, { argnums })(...xsOf()))],
      want: () => [unrolled(...xsOf()), ...asList(grad(unrolled, { argnums })(...xsOf()))],
    };
  },
  /** A customVjp whose backward rule doubles the true gradient: used by grad, under vmap and under jit. */
  customVjpUnderVmapAndJit: (p) => {
    const d = differentiable(p);
    if (!d) return null;
    const argnums = argnumsOf(d);
    const f = customVjp((...xs: Tensor[]) => d.loss(...xs));
    f.defVjp((...xs: Tensor[]) => [d.loss(...xs), xs], (res: Tensor[], g: Tensor) =>
      asList(grad(d.loss, { argnums: res.map((_, k) => k) })(...res)).map((t) => t.mul(g).mul(2)));
    const ps = examples(p, 2, 5);
    const stacked = () => d.floats.map((i) => stackInput(ps, i, 0));
    return {
      got: () => [
        ...asList(jit(grad(f, { argnums }))(...d.xs())),
        ...asList(vmap(grad(f, { argnums }))(...stacked())),
        ...asList(jit(vmap(grad(f, { argnums })))(...stacked())),
      ],
      want: () => {
        const plain = asList(grad(d.loss, { argnums })(...d.xs())).map((t) => t.mul(2));
        const per = stackedGrads(d, ps, argnums, 2);
        return [...plain, ...per, ...per];
      },
      jitted: true,
    };
  },
  /**
   * States read and written under jit, grad and vmap (BrainState semantics): the inputs live in
   * States; a step writes input 0's State (a carry) and returns the outputs. jit's two calls equal
   * two eager steps (outputs and the State); grad with gradStates equals grad by argnums; vmap
   * with the States batched (stateAxes) equals the per-example steps, and writes the batched carry.
   */
  statesUnderTransforms: (p) => {
    const d = differentiable(p);
    if (!loopable(p, d)) return null;
    const body = loopBody(p, d);
    const ps = examples(p, 2, 6);
    const run = (mode: "jit" | "vmap") => {
      const inputs = mode === "vmap" ? p.inputs.map((_, k) => stackInput(ps, k, 0)) : programInputs(p);
      const states = inputs.map((x, k) => new State(x, { name: `x${k}` }));
      const step = () => {
        const [next, s] = body(states[0]!.value as Tensor, states.slice(1).map((st) => st.value as Tensor));
        states[0]!.value = next;
        return s;
      };
      if (mode === "jit") {
        const f = jit(step);
        const a = f() as Tensor, b = f() as Tensor;
        const gs = grad(() => d.loss(...d.floats.map((i) => states[i]!.value as Tensor)), { gradStates: d.floats.map((i) => states[i]!) })();
        return [a, b, states[0]!.value as Tensor, ...asList(gs)];
      }
      const ys = vmap(step, { stateAxes: states.map((st) => [st, 0] as const) })() as Tensor;
      return [ys, states[0]!.value as Tensor];
    };
    const plain = (mode: "jit" | "vmap") => {
      if (mode === "jit") {
        const xs = programInputs(p);
        const [c1, a] = body(xs[0]!, xs.slice(1));
        const [c2, b] = body(c1, xs.slice(1));
        const gs = asList(grad(d.loss, { argnums: argnumsOf(d) })(...d.floats.map((i) => (i === 0 ? c2 : xs[i]!))));
        return [a, b, c2, ...gs];
      }
      const per = ps.map((q) => { const xs = programInputs(q); return body(xs[0]!, xs.slice(1)); });
      return [np.stack(per.map((o) => o[1])), np.stack(per.map((o) => o[0]))];
    };
    return {
      got: () => [...run("jit"), ...run("vmap")],
      want: () => [...plain("jit"), ...plain("vmap")],
      jitted: true,
    };
  },
} as const satisfies Record<string, IdentityRow>;

export type IdentityName = keyof typeof TRANSFORM_IDENTITIES;
export const IDENTITY_NAMES = Object.keys(TRANSFORM_IDENTITIES) as IdentityName[];

const nodesOf = (ts: readonly Tensor[]): Node[] => ts.map((t) => t.node);

/** Repro text: the program, the identity, what differs. */
function reproText(p: Program, name: string, where: string, detail: string): string {
  return `program seed ${p.seed}, identity ${name} (${where}):\n${programCode(p)}\n${detail}`;
}

function compare(want: readonly Tensor[], got: readonly ArrayLike<number>[]): Mismatch[] {
  return mismatches(reference(nodesOf(want)), got);
}

/**
 * The identity `name` on program `p` in the float64 interpreter (backend-independent): null when
 * it holds or does not apply, else the message.
 */
export function checkIdentityRule<R extends Record<string, IdentityRow> = typeof TRANSFORM_IDENTITIES>(
  p: Program, name: keyof R & string, rows: R = TRANSFORM_IDENTITIES as unknown as R,
): string | null {
  const id = rows[name]!(p);
  if (!id || id.jitted) return null;
  try {
    if (id.rule) {
      const detail = id.rule();
      return detail === null ? null : reproText(p, name, "float64 interpreter", detail);
    }
    const ms = compare(id.want(), interpret(nodesOf(id.got())));
    return ms.length ? reproText(p, name, "float64 interpreter", describeMismatches(ms)) : null;
  } catch (e) {
    return reproText(p, name, "float64 interpreter", `threw ${(e as Error).name}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/**
 * The identity `name` on program `p` on the active backend: `got` realized there against the
 * float64 reference of its own graph (or `want`'s, when `got` is jitted). Null when it holds.
 */
export async function checkIdentityOn<R extends Record<string, IdentityRow> = typeof TRANSFORM_IDENTITIES>(
  p: Program, name: keyof R & string, backend: string, rows: R = TRANSFORM_IDENTITIES as unknown as R,
): Promise<string | null> {
  const id = rows[name]!(p);
  if (!id) return null;
  try {
    const got = id.got();
    // The reference is interpreted before anything is realized (a realized node is a buffer leaf).
    const want = reference(nodesOf(id.jitted ? id.want() : got));
    const values = await Promise.all(got.map((t) => t.data()));
    const ms = mismatches(want, values);
    return ms.length ? reproText(p, name, backend, describeMismatches(ms)) : null;
  } catch (e) {
    return reproText(p, name, backend, `threw ${(e as Error).name}: ${(e as Error).message.split("\n")[0]}`);
  }
}
