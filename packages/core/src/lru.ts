/**
 * The one bounded cache of kiln: compiled kernels, WGSL pipelines, execution plans and jit traces
 * are all keyed by structure, and a long-running process (a server, a loop over shapes or static
 * values) must not grow them forever. A `Map` keeps insertion order, so re-inserting on a hit
 * makes its first key the least recently used one.
 */
/**
 * A Map bounded to `capacity` entries, least recently used dropped first.
 * @example
 * const plans = new LruCache<string, Plan>(512);
 * const plan = plans.get(key) ?? plans.set(key, schedule(graph));
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  #evictions = 0;

  /**
   * @param capacity entries kept at most; the least recently used one is dropped beyond it.
   * @param onEvict called with each dropped entry (e.g. to release what it holds).
   * @example
   * const kernels = new LruCache<string, Fn>(2048);
   * const fn = kernels.get(key) ?? kernels.set(key, compile(src));
   */
  constructor(readonly capacity: number, private readonly onEvict?: (key: K, value: V) => void) {
    if (!(capacity >= 1)) throw new RangeError(`LruCache: capacity must be at least 1, got ${capacity}`);
  }

  /** The cached value (now the most recently used), or undefined. */
  get(key: K): V | undefined {
    const v = this.#entries.get(key);
    if (v !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, v);
    }
    return v;
  }

  /** The cached value without refreshing its position. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` as the most recently used entry, evicting beyond capacity; returns `value`. */
  set(key: K, value: V): V {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) {
      const [k, v] = this.#entries.entries().next().value as [K, V];
      this.#entries.delete(k);
      this.#evictions++;
      this.onEvict?.(k, v);
    }
    return value;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Entries dropped for capacity since creation (for cache statistics). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Values, least recently used first. */
  values(): IterableIterator<V> {
    return this.#entries.values();
  }
}
