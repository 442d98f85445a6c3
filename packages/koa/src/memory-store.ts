/**
 * An in-memory external store for koa-session, for development, tests and the sample app, like
 * express-session's MemoryStore. Everything is lost at restart and nothing is shared between
 * processes; use a real store (for example Redis) in production. `maxAge` is ignored: idle-session ends
 * sessions itself, and the app's browser-session cookie (`maxAge: 'session'`) has none.
 */
export class MemoryStore {
  readonly #sessions = new Map<string, string>();

  /** The session stored under `key`, or `undefined`. */
  get(key: string): Promise<Record<string, unknown> | undefined> {
    const json = this.#sessions.get(key);
    return Promise.resolve(json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>));
  }

  /** Stores a copy of `session` under `key`. */
  set(key: string, session: unknown): Promise<void> {
    this.#sessions.set(key, JSON.stringify(session));
    return Promise.resolve();
  }

  /** Removes the session stored under `key`. */
  destroy(key: string): Promise<void> {
    this.#sessions.delete(key);
    return Promise.resolve();
  }

  /** How many sessions are stored. */
  get size(): number {
    return this.#sessions.size;
  }
}
