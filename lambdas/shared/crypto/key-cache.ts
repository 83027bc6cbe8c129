/**
 * Decrypted keys held in memory for a bounded time and number: each entry expires `ttlMs` after
 * it was loaded (not after its last use, so a revoked or rotated key is dropped on schedule),
 * and beyond `maxEntries` the least recently used goes first. Evicted keys are only dropped, not
 * zeroed: a request that took one a moment earlier may still be sealing with it, and a zeroed key
 * would silently encrypt under all-zero bytes. Loads of one key in flight at once are shared, so a
 * burst of requests for a cold tenant costs one call to the key service.
 */
export interface KeyCacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** Milliseconds; injected so tests control expiry. */
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class KeyCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    if (!(options.ttlMs > 0) || !(options.maxEntries > 0)) throw new RangeError('key cache needs a positive TTL and size');
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): V | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  async getOrLoad(id: string, load: () => Promise<V>): Promise<V> {
    const cached = this.get(id);
    if (cached) return cached;
    const pending = this.loading.get(id);
    if (pending) return pending;
    const started = load().then(
      (value) => {
        this.loading.delete(id);
        this.set(id, value);
        return value;
      },
      (error: unknown) => {
        this.loading.delete(id);
        throw error;
      },
    );
    this.loading.set(id, started);
    return started;
  }

  set(id: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldestId = this.entries.keys().next().value as string;
      this.entries.delete(oldestId);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
