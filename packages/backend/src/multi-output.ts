/**
 * Multi-output kernels: after the scheduler has decided what is materialized, sibling elementwise
 * kernels over the same iteration domain that read the same values are merged into one kernel
 * with several outputs (Adam's m', v' and parameter update: one kernel per parameter instead of
 * three). A merged kernel computes every node once per element and stores each root to its own
 * buffer, so values are exactly those of the separate kernels.
 *
 * What may be merged:
 *  - only fused kernels of one output shape (no contraction, no library kernel), at most one of
 *    them with reductions: a bias gradient (a sum over the batch) and the optimizer update that
 *    reads it are one kernel; two reductions stay apart, so each keeps its own GPU mapping (a
 *    full reduction is split across workgroups only when it is its kernel's one reduction);
 *  - only kernels that share work: a same-shape value they both read (a buffer, or a computed node
 *    both inline), or one reads the other's root;
 *  - never across a dependency that needs a materialized value: no other kernel may lie on a path
 *    between two members (it would have to run in the middle of the merged one), and a member may
 *    read another member only at the element it writes (lower.ts's CrossElementRead otherwise);
 *  - the merged kernel must lower within the fusion budget and the target's buffer limit.
 */
import { type Node, sizeOf } from "@kiln/core";
import { CrossElementRead, FusionTooLarge, type LoweredKernel, isComputed } from "./lower.js";

/** Most outputs one merged kernel stores (each output is one more buffer bound and stream written). */
export const MAX_KERNEL_OUTPUTS = 8;

/** What the grouping needs from the scheduler's final round. */
export interface SiblingInput {
  /** Materialized nodes in topological order. */
  readonly roots: readonly Node[];
  /** Per root: the nodes its kernel inlines (the root included). */
  readonly regions: ReadonlyMap<Node, ReadonlySet<Node>>;
  /** Per root: the materialized roots its kernel reads. */
  readonly deps: ReadonlyMap<Node, ReadonlySet<Node>>;
  /** Whether a root's kernel may join a multi-output kernel (fused, not a contraction). */
  readonly eligible: (root: Node) => boolean;
  /** Whether a root's kernel runs reductions. */
  readonly reduces: (root: Node) => boolean;
  /** Whether a node is read from a realized input buffer. */
  readonly isBuffer: (n: Node) => boolean;
  /** Lowers roots as one kernel: null when they cannot share one (too large, too many buffers). */
  readonly lower: (roots: readonly Node[]) => LoweredKernel | null;
}

/** A multi-output kernel: its roots (output parameters in this order) and its lowering. */
export interface SiblingGroup {
  readonly roots: readonly Node[];
  readonly kernel: LoweredKernel;
}

/**
 * Greedy grouping in topological order: each eligible root joins the first earlier group it shares
 * work with when the merge is legal and lowers. Returns the groups of two or more roots.
 * @example
 * groupSiblings({ roots, regions, deps, eligible, isBuffer, lower }).map((g) => g.roots.length); // [3, 3] for Adam on two parameters
 */
export function groupSiblings(input: SiblingInput): SiblingGroup[] {
  const { roots, regions, deps, eligible, reduces, isBuffer, lower } = input;
  const order = new Map(roots.map((r, i) => [r, i]));
  const groupOf = new Map<Node, { roots: Node[]; kernel: LoweredKernel | null }>();
  /** Same-shape values read or inlined, per value: the eligible roots that share them. */
  const sharers = new Map<Node, Node[]>();
  for (const r of roots) {
    if (!eligible(r) || sizeOf(r.aval.shape) === 0) continue;
    const shape = r.aval.shape.join(",");
    const sameShape = (n: Node) => n.aval.shape.join(",") === shape;
    const shared = new Set<Node>();
    const region = regions.get(r)!;
    for (const n of region) {
      if (n !== r && sameShape(n) && isComputed(n)) shared.add(n);
      for (const i of n.inputs) if (!region.has(i) && sameShape(i) && (isBuffer(i) || order.has(i))) shared.add(i);
    }
    // Partner groups: those reading or inlining the same values, or whose root this one reads.
    const partners: { roots: Node[]; kernel: LoweredKernel | null }[] = [];
    const consider = (p: Node) => {
      const g = groupOf.get(p);
      if (g && !partners.includes(g) && g.roots[0]!.aval.shape.join(",") === shape) partners.push(g);
    };
    for (const n of shared) {
      if (groupOf.has(n)) consider(n);
      for (const p of sharers.get(n) ?? []) consider(p);
    }
    let joined: { roots: Node[]; kernel: LoweredKernel | null } | null = null;
    for (const g of partners) {
      if (g.roots.length >= MAX_KERNEL_OUTPUTS || (reduces(r) && g.roots.some(reduces)) || reachesAround(r, g.roots, deps, groupOf, order)) continue;
      const kernel = lower([...g.roots, r]);
      if (!kernel) continue;
      g.roots.push(r);
      g.kernel = kernel;
      joined = g;
      break;
    }
    groupOf.set(r, joined ?? { roots: [r], kernel: null });
    for (const n of shared) (sharers.get(n) ?? sharers.set(n, []).get(n)!).push(r);
  }
  const groups = new Set([...groupOf.values()].filter((g) => g.roots.length > 1));
  return [...groups].map((g) => ({ roots: g.roots, kernel: g.kernel! }));
}

/**
 * Whether `r` depends on a member of `members` through a kernel outside them (which would have
 * to run after that member and before `r`: merging would make a cycle). Merged groups count as
 * one kernel: their members' dependencies are all followed.
 */
function reachesAround(
  r: Node, members: readonly Node[], deps: ReadonlyMap<Node, ReadonlySet<Node>>,
  groupOf: ReadonlyMap<Node, { roots: readonly Node[] }>, order: ReadonlyMap<Node, number>,
): boolean {
  const inGroup = new Set(members);
  const earliest = Math.min(...members.map((m) => order.get(m)!));
  const seen = new Set<Node>();
  const stack = [...(deps.get(r) ?? [])].filter((d) => !inGroup.has(d));
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    // Only kernels after the group's first member can depend on one of its members.
    const unit = groupOf.get(n)?.roots ?? [n];
    if (Math.max(...unit.map((m) => order.get(m)!)) < earliest) continue;
    for (const m of unit) {
      for (const d of deps.get(m) ?? []) {
        if (inGroup.has(d)) return true;
        if (!seen.has(d)) stack.push(d);
      }
    }
  }
  return false;
}

/** Errors meaning "these roots cannot share a kernel" (anything else is a bug and propagates). */
export function cannotMerge(e: unknown): boolean {
  return e instanceof CrossElementRead || e instanceof FusionTooLarge;
}
