/**
 * `einsum`: parses the subscripts, then lowers the whole expression to diagonals (identity-mask
 * multiply + sum), reductions, transposes, broadcasts and batched matmuls — contracting the
 * operands pairwise, left to right.
 */
import { type DType } from "../dtype.js";
import { ShapeError, ValueError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { eyeMaskRaw, groupedMatmul, productRaw, promoted, reduceRaw, transposeRaw } from "./contract.js";
import { apply, astypeRaw, broadcastRaw, fullRaw, reshapeRaw } from "./util.js";

/** A term's letters, and where its `...` sits among them (-1: none). */
interface Term {
  readonly letters: string[];
  readonly ellipsisAt: number;
}

/** A working operand: one label per axis. Ellipsis axes get labels "…0", "…1", ... (right-aligned). */
interface Labeled {
  t: Tensor;
  labels: string[];
}

function parseTerm(term: string, subscripts: string): Term {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; ) {
    if (term.startsWith("...", i)) {
      if (ellipsisAt >= 0) throw new ValueError(`einsum: more than one '...' in the term '${term}' of '${subscripts}'`);
      ellipsisAt = letters.length;
      i += 3;
    } else if (/[a-zA-Z]/.test(term[i]!)) {
      letters.push(term[i++]!);
    } else {
      throw new ValueError(`einsum: unsupported character '${term[i]}' in subscripts '${subscripts}'; only letters a-z, A-Z, ',', '->' and '...' are supported`);
    }
  }
  return { letters, ellipsisAt };
}

function ellipsisLabels(count: number, rank: number): string[] {
  return Array.from({ length: count }, (_, j) => `…${rank - count + j}`);
}

function expandTerm(term: Term, ellipsis: string[]): string[] {
  if (term.ellipsisAt < 0) return [...term.letters];
  return [...term.letters.slice(0, term.ellipsisAt), ...ellipsis, ...term.letters.slice(term.ellipsisAt)];
}

const fmtLabel = (l: string): string => (l.startsWith("…") ? `'...' axis ${l.slice(1)}` : `'${l}'`);

/** Parses subscripts against operand ranks: labels per operand and the output labels. */
function parseSubscripts(subscripts: string, operands: readonly Tensor[]): { inputs: string[][]; output: string[] } {
  const spec = subscripts.replace(/\s+/g, "");
  const arrow = spec.indexOf("->");
  if (arrow >= 0 && spec.indexOf("->", arrow + 1) >= 0) throw new ValueError(`einsum: more than one '->' in '${subscripts}'`);
  const terms = (arrow < 0 ? spec : spec.slice(0, arrow)).split(",").map((s) => parseTerm(s, subscripts));
  if (terms.length !== operands.length) {
    throw new ValueError(`einsum: subscripts '${subscripts}' name ${terms.length} operand(s) but ${operands.length} were given`);
  }
  let ellipsisRank = 0;
  terms.forEach((term, i) => {
    const rank = operands[i]!.ndim;
    const extra = rank - term.letters.length;
    if (extra < 0 || (term.ellipsisAt < 0 && extra !== 0)) {
      throw new ShapeError(`einsum: operand ${i} has shape ${fmtShape(operands[i]!.shape)} (rank ${rank}) but its subscripts name ${term.letters.length} axes${term.ellipsisAt < 0 ? "" : " plus '...'"}`);
    }
    if (term.ellipsisAt >= 0) ellipsisRank = Math.max(ellipsisRank, extra);
  });
  const inputs = terms.map((term, i) => expandTerm(term, ellipsisLabels(operands[i]!.ndim - term.letters.length, ellipsisRank)));
  const all = ellipsisLabels(ellipsisRank, ellipsisRank);
  if (arrow < 0) {
    // Implicit mode (NumPy): broadcast axes first, then the letters used exactly once, in ASCII order.
    const counts = new Map<string, number>();
    for (const term of terms) for (const l of term.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
    return { inputs, output: [...all, ...[...counts].filter(([, c]) => c === 1).map(([l]) => l).sort()] };
  }
  const out = parseTerm(spec.slice(arrow + 2), subscripts);
  const seen = new Set<string>();
  for (const l of out.letters) {
    if (seen.has(l)) throw new ValueError(`einsum: output subscript '${l}' appears more than once in '${subscripts}'`);
    if (!terms.some((t) => t.letters.includes(l))) throw new ValueError(`einsum: output subscript '${l}' does not appear in the inputs of '${subscripts}'`);
    seen.add(l);
  }
  if (out.ellipsisAt < 0 && ellipsisRank > 0) {
    throw new ValueError(`einsum: the inputs of '${subscripts}' have ${ellipsisRank} '...' axes but the output has no '...'; summing over '...' is not supported, write it out or sum afterwards`);
  }
  return { inputs, output: expandTerm(out, all) };
}

/** Size of each label across operands; sizes must agree or be 1 (broadcast), as NumPy. */
function labelSizes(inputs: readonly string[][], operands: readonly Tensor[]): Map<string, number> {
  const sizes = new Map<string, { size: number; at: number }>();
  inputs.forEach((labels, i) => {
    const shape = operands[i]!.shape;
    labels.forEach((l, ax) => {
      const d = shape[ax]!;
      if (shape[labels.indexOf(l)] !== d) {
        throw new ShapeError(`einsum: repeated subscript ${fmtLabel(l)} of operand ${i} (shape ${fmtShape(shape)}) spans axes of different sizes`);
      }
      const prev = sizes.get(l);
      if (prev && prev.size !== d && prev.size !== 1 && d !== 1) {
        throw new ShapeError(`einsum: subscript ${fmtLabel(l)} has size ${prev.size} in operand ${prev.at} but size ${d} in operand ${i} (shapes ${operands.map((t) => fmtShape(t.shape)).join(", ")})`);
      }
      if (!prev || prev.size === 1) sizes.set(l, { size: d, at: i });
    });
  });
  return new Map([...sizes].map(([l, v]) => [l, v.size]));
}

/** Replaces each repeated label by its diagonal: multiply by an identity mask, sum one axis away. */
function takeDiagonals(x: Labeled): Labeled {
  let { t, labels } = x;
  for (let q = 0; q < labels.length; q++) {
    const p = labels.indexOf(labels[q]!);
    if (p === q) continue;
    const mask = eyeMaskRaw(t.shape[p]!, t.dtype, t.shape, p, q);
    t = reduceRaw("reduceSum", productRaw(t, mask), [q]);
    labels = labels.filter((_, i) => i !== q);
    q--;
  }
  return { t, labels };
}

/** Sums away the labels `drop` names. */
function sumLabels(x: Labeled, drop: (l: string) => boolean): Labeled {
  const axes = x.labels.flatMap((l, i) => (drop(l) ? [i] : []));
  return { t: reduceRaw("reduceSum", x.t, axes), labels: x.labels.filter((l) => !drop(l)) };
}

function sizeOfLabel(x: Labeled, l: string): number {
  return x.t.shape[x.labels.indexOf(l)]!;
}

/** Contracts two operands, keeping the labels in `keep`; the result is [...batch, ...freeA, ...freeB]. */
function contractPair(a0: Labeled, b0: Labeled, keep: ReadonlySet<string>): Labeled {
  // Labels summed away that only one side carries — or that one side broadcasts (size 1) —
  // factor out of the product: sum them first, on each side.
  const lonely = (x: Labeled, other: Labeled) => (l: string) =>
    !keep.has(l) && (!other.labels.includes(l) || sizeOfLabel(x, l) !== sizeOfLabel(other, l));
  const a = sumLabels(a0, lonely(a0, b0));
  const b = sumLabels(b0, lonely(b0, a0));
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => keep.has(l));
  const contracted = shared.filter((l) => !keep.has(l));
  const freeA = a.labels.filter((l) => !shared.includes(l));
  const freeB = b.labels.filter((l) => !shared.includes(l));
  const batchShape = batch.map((l) => Math.max(sizeOfLabel(a, l), sizeOfLabel(b, l)));
  const mShape = freeA.map((l) => sizeOfLabel(a, l));
  const kShape = contracted.map((l) => sizeOfLabel(a, l));
  const nShape = freeB.map((l) => sizeOfLabel(b, l));
  const arrange = (x: Labeled, order: string[], shape: number[]): Tensor =>
    broadcastRaw(transposeRaw(x.t, order.map((l) => x.labels.indexOf(l))), shape);
  const labels = [...batch, ...freeA, ...freeB];
  if (!contracted.length) {
    // Nothing to sum: an outer/Hadamard product, which is elementwise (and fuses) rather than a matmul.
    const full = [...batchShape, ...mShape, ...nShape];
    const ta = reshapeRaw(arrange(a, [...batch, ...freeA], [...batchShape, ...mShape]), [...batchShape, ...mShape, ...nShape.map(() => 1)]);
    const tb = reshapeRaw(arrange(b, [...batch, ...freeB], [...batchShape, ...nShape]), [...batchShape, ...mShape.map(() => 1), ...nShape]);
    return { t: productRaw(broadcastRaw(ta, full), broadcastRaw(tb, full)), labels };
  }
  const ta = arrange(a, [...batch, ...freeA, ...contracted], [...batchShape, ...mShape, ...kShape]);
  const tb = arrange(b, [...batch, ...contracted, ...freeB], [...batchShape, ...kShape, ...nShape]);
  return { t: groupedMatmul(ta, tb, batchShape, mShape, kShape, nShape), labels };
}

/**
 * Einstein summation, as NumPy's `einsum`: `"ij,jk->ik"` (explicit output), `"ij,jk"` (implicit:
 * the letters used once, in ASCII order), repeated letters in one operand for diagonals and traces
 * (`"ii->i"`, `"ii"`), `"..."` for broadcast batch axes, and size-1 axes broadcasting against any
 * size. Bool operands give bool (or of ands). Summing over `"..."` axes (an output without `"..."`
 * when the inputs have some) is a ValueError, as in NumPy.
 * @example
 * np.einsum("ij,jk->ik", a, b)      // matmul
 * np.einsum("bij,bjk->bik", a, b)   // batched matmul
 * np.einsum("ii->i", a)             // diagonal
 * np.einsum("i,j->ij", u, v)        // outer product
 * np.einsum("...ij->...ji", x)      // swap the last two axes
 * np.einsum(a, [0, 1], b, [1, 2], [0, 2]) // interleaved form of "ij,jk->ik"
 */
export function einsum(subscripts: string, ...operands: ArrayLike[]): Tensor;
export function einsum(op0: ArrayLike, sublist0: readonly Sublabel[], ...rest: (ArrayLike | readonly Sublabel[])[]): Tensor;
export function einsum(first: string | ArrayLike, ...rest: unknown[]): Tensor {
  if (typeof first !== "string") {
    const [subs, ops] = interleavedSubscripts([first, ...rest]);
    return einsum(subs, ...ops);
  }
  const subscripts = first;
  const operands = rest as ArrayLike[];
  if (typeof subscripts !== "string") throw new ValueError(`einsum: the first argument must be a subscripts string, got ${typeof subscripts}`);
  if (!operands.length) throw new ValueError(`einsum: '${subscripts}' needs at least one operand`);
  const { ts, dtype } = promoted("einsum", operands);
  const { inputs, output } = parseSubscripts(subscripts, ts);
  const sizes = labelSizes(inputs, ts);
  // Bool sums are counted in int32 and mapped back to bool at the end.
  const work: DType = dtype === "bool" ? "int32" : dtype;
  const outSet = new Set(output);
  const usedLater = (i: number): Set<string> => new Set([...output, ...inputs.slice(i).flat()]);
  const prepare = (i: number): Labeled => {
    const x = takeDiagonals({ t: astypeRaw(ts[i]!, work), labels: [...inputs[i]!] });
    const elsewhere = new Set([...output, ...inputs.filter((_, j) => j !== i).flat()]);
    return sumLabels(x, (l) => !elsewhere.has(l));
  };
  let acc = prepare(0);
  for (let i = 1; i < ts.length; i++) acc = contractPair(acc, prepare(i), usedLater(i + 1));
  acc = sumLabels(acc, (l) => !outSet.has(l));
  let t = transposeRaw(acc.t, output.map((l) => acc.labels.indexOf(l)));
  t = broadcastRaw(t, output.map((l) => sizes.get(l)!));
  return dtype === "bool" ? apply("ne", [t, fullRaw(t.shape, 0, "int32")], {}) : t;
}

/** An axis label of einsum's interleaved form: 0..51 (NumPy's letters A-Z, a-z) or "..." (NumPy's Ellipsis). */
export type Sublabel = number | "...";

/**
 * NumPy's interleaved form `(op0, sublist0, op1, sublist1, ..., [sublistOut])` as a subscripts
 * string: integer k is letter k of "A..Za..z", so the implicit output's ASCII order is the
 * integer order, as in NumPy.
 */
function interleavedSubscripts(args: readonly unknown[]): [string, ArrayLike[]] {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const word = (sub: unknown): string => {
    if (!Array.isArray(sub)) throw new ValueError(`einsum: interleaved form needs a sublist (array of integers 0..51 and "...") after each operand, got ${typeof sub}`);
    return sub
      .map((l: unknown) => {
        if (l === "...") return "...";
        if (typeof l !== "number" || !Number.isInteger(l) || l < 0 || l >= letters.length) throw new ValueError(`einsum: sublist labels must be integers in [0, 52) or "...", got ${String(l)}`);
        return letters[l]!;
      })
      .join("");
  };
  const ops: ArrayLike[] = [];
  const ins: string[] = [];
  let i = 0;
  for (; i + 1 < args.length; i += 2) {
    ops.push(args[i] as ArrayLike);
    ins.push(word(args[i + 1]));
  }
  const out = i < args.length ? `->${word(args[i])}` : "";
  return [ins.join(",") + out, ops];
}
