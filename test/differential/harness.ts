/**
 * Runs one random program on the active backend in every mode — eager and jit, forward and
 * gradient — and compares each with the float64 reference of the same graph.
 *
 * Gradients: kiln's `grad` of `Σ_k sum(out_k · c_k)` (fixed random float32 cotangents c_k) with
 * respect to the float inputs. The backends are compared with the float64 interpretation of the
 * very vjp graph kiln built: that isolates what a backend or `jit` does to a gradient (fusion,
 * rounding, codegen, re-tracing) under the same tolerance model as forward programs, for every
 * program, smooth or not. It cannot see a wrong vjp rule (the reference would share it), so the
 * rules are checked separately against central differences of the forward graph in float64
 * (`checkVjpRules`), on smooth programs only: at a kink or a jump, or through stopGradient, a
 * finite difference is not the derivative, and a disagreement would prove nothing.
 */
import { type Tensor, grad, jit, np } from "kiln";
import { type Node, activeExecutor, interpret, topoSort } from "kiln/internal";
import { tensor, rng } from "../conformance/suite.js";
import { type Program, generateProgram, isSmooth, programCode, programInputs, reseedInputs, runProgram } from "./program.js";
import { type Mismatch, type Reference, describeMismatches, mismatches, reference } from "./reference.js";
import { type Variant, knownFailure } from "./known.js";
import { deviationFor } from "./deviations.js";

export interface Failure {
  readonly variant: Variant;
  readonly message: string;
  /** The KNOWN_ISSUE_11_FAILURES item that excuses it, if any. */
  readonly known: number | null;
}

/** Fixed float32 cotangents for the float outputs (others get none). */
function cotangents(p: Program, outs: readonly Tensor[]): (Tensor | null)[] {
  const r = rng(p.seed + 7);
  return outs.map((o) => (o.dtype === "float32" ? tensor("float32", o.shape, () => Math.fround(-1 + 2 * r())) : null));
}

/** `Σ_k sum(out_k · c_k)` over the float outputs, as a function of all inputs; null if nothing is differentiable. */
function scalarLoss(p: Program): { f: (...xs: Tensor[]) => Tensor; argnums: number[] } | null {
  const argnums = p.inputs.map((s, i) => (s.dtype === "float32" ? i : -1)).filter((i) => i >= 0);
  const probe = runProgram(p, programInputs(p));
  const cots = cotangents(p, probe);
  if (argnums.length === 0 || cots.every((c) => c === null)) return null;
  const f = (...xs: Tensor[]) => {
    const outs = runProgram(p, xs);
    let acc: Tensor = np.array(0, { dtype: "float32" });
    outs.forEach((o, k) => (acc = cots[k] ? acc.add(np.sum(o.mul(cots[k]!))) : acc));
    return acc;
  };
  return { f, argnums };
}

const asList = (v: unknown): Tensor[] => (Array.isArray(v) ? (v as Tensor[]) : [v as Tensor]);
const nodesOf = (ts: readonly Tensor[]): Node[] => ts.map((t) => t.node);

async function read(ts: readonly Tensor[]): Promise<ArrayLike<number>[]> {
  return Promise.all(ts.map((t) => t.data()));
}

interface Mode {
  readonly variant: Omit<Variant, "backend" | "program">;
  /** The lazily built graph whose float64 interpretation is the reference. */
  readonly reference: () => Tensor[];
  /** The values on the active backend. */
  readonly run: () => Promise<ArrayLike<number>[]>;
}

function modes(p: Program): Mode[] {
  const q = reseedInputs(p, p.seed + 1);
  const forward = (xs: Tensor[]) => runProgram(p, xs);
  const out: Mode[] = [
    { variant: { mode: "eager", grad: false }, reference: () => forward(programInputs(p)), run: () => read(forward(programInputs(p))) },
    { variant: { mode: "jit", grad: false }, reference: () => forward(programInputs(p)), run: () => read(asList(jit((...xs: Tensor[]) => forward(xs))(...programInputs(p)))) },
    {
      // The second call of a jitted function replays the compiled program on new values.
      variant: { mode: "jit-replay", grad: false },
      reference: () => forward(programInputs(q)),
      run: async () => {
        const f = jit((...xs: Tensor[]) => forward(xs));
        await read(asList(f(...programInputs(p))));
        return read(asList(f(...programInputs(q))));
      },
    },
  ];
  const loss = scalarLoss(p);
  if (loss) {
    const g = () => grad(loss.f, { argnums: loss.argnums });
    out.push(
      { variant: { mode: "eager", grad: true }, reference: () => asList(g()(...programInputs(p))), run: () => read(asList(g()(...programInputs(p)))) },
      { variant: { mode: "jit", grad: true }, reference: () => asList(g()(...programInputs(p))), run: () => read(asList(jit(g())(...programInputs(p)))) },
    );
  }
  return out;
}

/** Reproduction text of a failing program. */
export function reproText(p: Program, v: Variant, detail: string): string {
  const what = `${v.backend} ${v.mode}${v.grad ? " grad of sum(outputs · cotangents) w.r.t. the float inputs" : ""}`;
  // A replay computes the program on the second input set, after a first call on the seed's own.
  const shown = v.mode === "jit-replay" ? reseedInputs(p, p.seed + 1) : p;
  const note = v.mode === "jit-replay" ? "// jitted, called once on the seed's own inputs, then on these:\n" : "";
  return `program seed ${p.seed} (${what}):\n${note}${programCode(shown)}\n${detail}`;
}

/**
 * Runs program `seed` on the active backend in every mode; returns the failures (known ones
 * marked with their item number).
 */
export async function checkProgram(seed: number): Promise<Failure[]> {
  return checkProgramOf(generateProgram(seed));
}

/** `checkProgram` of a given (e.g. shrunk) program; `only` restricts the modes run. */
export async function checkProgramOf(p: Program, only?: Omit<Variant, "backend" | "program">): Promise<Failure[]> {
  const backend = activeExecutor().name;
  const failures: Failure[] = [];
  const refs = new Map<string, { ref: Reference; graph: readonly Node[] }>();
  for (const m of modes(p)) {
    if (only && (only.mode !== m.variant.mode || only.grad !== m.variant.grad)) continue;
    const variant: Variant = { ...m.variant, backend, program: p };
    const key = `${m.variant.grad} ${m.variant.mode === "jit-replay"}`;
    let message: string | null = null;
    let ms: Mismatch[] = [];
    let graph: readonly Node[] = [];
    try {
      if (!refs.has(key)) {
        const nodes = nodesOf(m.reference());
        refs.set(key, { ref: reference(nodes), graph: nodes });
      }
      graph = refs.get(key)!.graph;
      // Differences a documented deviation of this backend accepts (deviations.ts) are not failures.
      const program = { graph: topoSort(graph), nonFinite: p.specials };
      ms = mismatches(refs.get(key)!.ref, await m.run())
        .filter((d) => !deviationFor({ backend, prim: null, operands: [], got: d.got, want: d.want, program }));
      if (ms.length) message = describeMismatches(ms);
    } catch (e) {
      message = `threw ${(e as Error).name}: ${(e as Error).message.split("\n")[0]}`;
    }
    if (message !== null) failures.push({ variant, message: reproText(p, variant, message), known: knownFailure({ ...variant, graph }, ms) });
  }
  return failures;
}

/**
 * Checks kiln's vjp rules on a smooth program: the directional derivative ⟨grad, d⟩ (the grad
 * graph interpreted in float64) against the central difference of the forward graph, also in
 * float64 (the float32 inputs are replaced in the interpreter's environment, and `exact` skips the
 * per-node float32 rounding, so no rounding enters).
 * Returns null when it agrees or does not apply, else the message.
 */
export function checkVjpRules(seed: number): string | null {
  const p = generateProgram(seed);
  // A finite difference at a non-finite input says nothing about the derivative.
  if (!isSmooth(p) || p.specials) return null;
  const loss = scalarLoss(p);
  if (!loss) return null;
  const xs = programInputs(p);
  const y = loss.f(...xs);
  const grads = asList(grad(loss.f, { argnums: loss.argnums })(...xs));
  const g = interpret(nodesOf(grads), new Map(), { exact: true });
  const r = rng(seed + 3);
  const dirs = loss.argnums.map((i) => Float64Array.from(p.inputs[i]!.values, () => 2 * r() - 1));
  const x0 = loss.argnums.map((i) => Float64Array.from(p.inputs[i]!.values));
  const h = 1e-6;
  const at = (s: number) => {
    const env = new Map<Node, Float64Array>();
    loss.argnums.forEach((i, k) => env.set(xs[i]!.node, x0[k]!.map((v, j) => v + s * h * dirs[k]![j]!)));
    return interpret([y.node], env, { exact: true })[0]![0]!;
  };
  const fdAt = (step: number) => (at(step) - at(-step)) / (2 * step * h);
  const fd = fdAt(1);
  let dot = 0, scale = 0;
  g.forEach((gk, k) => gk.forEach((v, j) => ((dot += v * dirs[k]![j]!), (scale += Math.abs(v * dirs[k]![j]!)))));
  const tol = 1e-6 * (scale + Math.abs(at(0))) + 1e-8;
  // The difference is trusted only where it has converged: its truncation error (~h²·f''') shows
  // as a change between steps h and 10h (sin of a large power, say, has f''' ~ 1e18); its
  // cancellation error is ~1e-16·|f|/h, far below tol.
  if (!Number.isFinite(fd) || Math.abs(fdAt(10) - fd) > tol) return null;
  if (Number.isFinite(dot) && Math.abs(fd - dot) <= tol) return null;
  return `program seed ${seed} (vjp rules vs central differences, float64 interpreter):\n${programCode(p)}\n` +
    `directional derivative: grad gives ${dot}, central difference ${fd}`;
}
