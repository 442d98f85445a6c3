/**
 * Remembers, in this process, the ids of sessions that idle-session destroyed (sign-out, expiry), so
 * that a request still in flight with the old session cannot write it back to the store when it ends.
 * Complements {@link reconcileBeforeSave}, which re-reads the store and works across processes but
 * leaves a moment between its read and the write.
 *
 * Bounded: entries older than `ttlMs` are dropped, and at most `max` are kept (oldest dropped first).
 */
export class DestroyedSessions {
  readonly #ids = new Map<string, number>();

  /**
   * @param ttlMs - how long an id is remembered, in milliseconds; longer than any request runs.
   * @param max - the most ids kept.
   */
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 10_000,
  ) {}

  /** Records that session `id` was destroyed at `now` (epoch ms). */
  add(id: string, now: number): void {
    this.#ids.delete(id);
    this.#ids.set(id, now);
    for (const [oldest, at] of this.#ids) {
      if (this.#ids.size <= this.max && now - at < this.ttlMs) break;
      this.#ids.delete(oldest);
    }
  }

  /** Whether session `id` was destroyed less than `ttlMs` before `now`. */
  has(id: string, now: number): boolean {
    const at = this.#ids.get(id);
    return at !== undefined && now - at < this.ttlMs;
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#ids.size;
  }
}
