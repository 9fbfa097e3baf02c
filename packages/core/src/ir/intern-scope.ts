/**
 * `interning` scopes (ir/node.ts's file comment): while one is open, structurally equal graph
 * nodes (and control calls) are one object; the tables that make them so are strong and emptied
 * when the outermost scope ends, so nothing a synchronous loop builds outlives the transform call
 * that built it.
 */

/** Open `interning` scopes. */
let depth = 0;
/** Tables emptied when the outermost scope ends. */
const tables: Map<unknown, unknown>[] = [];

/**
 * Runs `fn` with every node it builds interned: graph building and rewriting share structurally
 * equal nodes, which is their common-subexpression elimination. Scopes nest; the tables are
 * emptied when the outermost scope ends (nodes built later are new objects, structurally equal
 * ones included, and the next rewrite merges them again).
 * @example interning(() => makeNode("neg", [c], {}) === makeNode("neg", [c], {})) // true
 */
export function interning<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    if (--depth === 0) for (const t of tables) t.clear();
  }
}

/**
 * Whether an `interning` scope is open.
 * @example interning(() => isInterning()) // true
 */
export function isInterning(): boolean {
  return depth > 0;
}

/**
 * @internal A table emptied when the outermost `interning` scope ends.
 * @example const calls = scopedTable<string, ControlCall>();
 */
export function scopedTable<K, V>(): Map<K, V> {
  const t = new Map<K, V>();
  tables.push(t as Map<unknown, unknown>);
  return t;
}
