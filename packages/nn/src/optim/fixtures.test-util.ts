/**
 * The optimizer tests' shared problem: two weights (`w` of 2 coordinates, `b` of 1) and three
 * explicit gradient steps, with a float64 reference runner for per-coordinate update rules.
 */
import { ParamState, np } from "@kiln/core";
import { type Optimizer } from "./optimizer.js";

export function weights() {
  return { w: new ParamState(np.array([1, -2])), b: new ParamState(np.array([0.5])) };
}
export type Weights = ReturnType<typeof weights>;

export const G = [
  { w: [0.5, -1], b: [2] },
  { w: [1, 0], b: [-1] },
  { w: [-0.5, 2], b: [0] },
];
export const gradsAt = (i: number) => ({ w: np.array(G[i]!.w), b: np.array(G[i]!.b) });

/** The gradient sequence of one coordinate: `col("w", 1)` is w[1]'s three gradients. */
export const col = (k: "w" | "b", j: number) => G.map((g) => g[k][j]!);

/** Applies the three gradients (or the first `steps`), recording the weights after each update. */
export function run(opt: Optimizer, ws: Weights, steps: number): { w: number[]; b: number[] }[] {
  const out = [];
  for (let i = 0; i < steps; i++) {
    opt.update(gradsAt(i));
    out.push({ w: Array.from(ws.w.value.dataSync()), b: Array.from(ws.b.value.dataSync()) });
  }
  return out;
}

/**
 * A float64 per-coordinate rule: `step(w, g, t)` returns the new weight (t is 1-based) and keeps
 * its moments in its closure; `make` builds a fresh rule per coordinate.
 */
export type CoordRule = () => (w: number, g: number, t: number) => number;

/** The reference trajectory of every coordinate of `weights()` under `rule`, shaped like `run`'s. */
export function referenceRun(rule: CoordRule): { w: number[]; b: number[] }[] {
  const w0 = { w: [1, -2], b: [0.5] };
  const traj = (k: "w" | "b", j: number): number[] => {
    const step = rule();
    let w = w0[k][j]!;
    return col(k, j).map((g, i) => (w = step(w, g, i + 1)));
  };
  const ws = [traj("w", 0), traj("w", 1)], bs = [traj("b", 0)];
  return G.map((_, i) => ({ w: [ws[0]![i]!, ws[1]![i]!], b: [bs[0]![i]!] }));
}
