import { sessionTtl, type AuditHook, type ExpiryReason, type IdlePolicy } from '@idle-session/express';
import session, { type SessionData, type Store } from 'express-session';
import createMemoryStore from 'memorystore';

/** Where idle-session keeps its record inside the session (`SESSION_KEY` of `@idle-session/core`). */
const SESSION_KEY = 'idleSession';
/** How long why a session ended is remembered after it left the store: 24 hours, as `@idle-session/redis` does (`ENDED_REASON_MEMORY_MS`). */
const ENDED_REASON_MEMORY_MS = 24 * 60 * 60_000;
/** The most such reasons remembered, oldest forgotten first (a marker is a key, a reason and a cookie's options: some 200 bytes). */
const MAX_ENDED_REASONS = 10_000;

interface TrackedRecord {
  id?: unknown;
  createdAt?: unknown;
  lastActivity?: unknown;
}

/** What is left of a session that left the store at its deadline: which timeout ended it, its cookie's options, until when. */
interface Marker {
  readonly reason: ExpiryReason;
  readonly cookie: unknown;
  readonly until: number;
}

const MemoryStore = createMemoryStore(session);

/** An express-session store that can keep a session while a request of it runs. */
export interface HoldingStore extends Store {
  hold(sid: string, data: SessionData): () => void;
}

/**
 * The sample app's session store on Express and Fastify (@fastify/session takes express-session's stores) when no Redis is configured: [memorystore](https://github.com/roccomuso/memorystore)
 * with idle-session's `sessionTtl`, so that a session nobody comes back to leaves memory at its deadline
 * (express-session's own MemoryStore keeps a session whose cookie has no expiry until the process ends),
 * with two things a store that drops sessions by itself needs, as `@idle-session/redis` does them:
 *
 * - **why it ended outlives it.** When a signed-in session leaves the store at its deadline, only which
 *   timeout ended it is kept (no session data) for 24 hours; the store answers its id with an anonymous
 *   session holding just that reason, so a user who comes back after a coffee is still told "signed out
 *   after 15 minutes of inactivity". Its departure goes to the audit log (`expired`, `source: 'store'`):
 *   no request sees it. A sign-out (`destroy`) leaves nothing.
 * - **a running request keeps its session** ({@link HoldingStore.hold}): a slow upload is activity
 *   for as long as it runs, so its session must not leave the store under it.
 */
class ExpiringMemoryStore extends MemoryStore implements HoldingStore {
  readonly #state: StoreState;

  /** Use {@link expiringMemoryStore}. */
  constructor(options: ConstructorParameters<typeof MemoryStore>[0], state: StoreState) {
    super(options);
    this.#state = state;
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    super.get(sid, (error, stored) => {
      if (error || stored) return callback(error, stored);
      const marker = this.#state.marker(sid);
      callback(null, marker ? ({ cookie: marker.cookie, [SESSION_KEY]: { endedReason: marker.reason } } as unknown as SessionData) : null);
    });
  }

  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    this.#state.forget(sid); // the session is back under this id (a new anonymous session that remembers why)
    super.set(sid, data, callback);
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.#state.destroying(sid, () => super.destroy(sid, callback));
  }

  hold(sid: string, data: SessionData): () => void {
    this.#state.hold(sid);
    this.touch(sid, data);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#state.release(sid);
      // The TTL again from what is stored now (the request's last write, or a newer one from another request).
      super.get(sid, (error, stored) => {
        if (!error && stored) this.touch(sid, stored);
      });
    };
  }
}

/** The bookkeeping of an {@link ExpiringMemoryStore}: markers of ended sessions, running requests, the TTL. */
class StoreState {
  readonly #markers = new Map<string, Marker>();
  readonly #running = new Map<string, number>();
  readonly #destroying = new Set<string>();
  readonly #ttl: (options: unknown, session: unknown) => number;

  constructor(
    private readonly policy: IdlePolicy,
    private readonly audit: AuditHook,
  ) {
    this.#ttl = sessionTtl(policy);
  }

  /** The store's TTL for a session: `sessionTtl`, or, while a request of it runs, until its absolute deadline (a day at most). */
  ttl(options: unknown, data: unknown, sid: unknown): number {
    if (typeof sid !== 'string' || !this.#running.has(sid)) return this.#ttl(options, data);
    const { createdAt } = (recordOf(data) ?? {}) as TrackedRecord;
    const now = this.policy.clock.now();
    const absoluteAt = typeof createdAt === 'number' && this.policy.absoluteTimeout !== null ? createdAt + this.policy.absoluteTimeout : Infinity;
    return Math.max(1, Math.min(absoluteAt - now, ENDED_REASON_MEMORY_MS));
  }

  hold(sid: string): void {
    this.#running.set(sid, (this.#running.get(sid) ?? 0) + 1);
  }

  release(sid: string): void {
    const count = (this.#running.get(sid) ?? 1) - 1;
    if (count > 0) this.#running.set(sid, count);
    else this.#running.delete(sid);
  }

  destroying(sid: string, destroy: () => void): void {
    this.#destroying.add(sid);
    try {
      destroy();
    } finally {
      this.#destroying.delete(sid);
      this.#markers.delete(sid);
    }
  }

  forget(sid: string): void {
    this.#markers.delete(sid);
  }

  /** The marker of the session `sid` that left the store, while it is remembered. */
  marker(sid: string): Marker | undefined {
    const marker = this.#markers.get(sid);
    if (marker && marker.until <= this.policy.clock.now()) this.#markers.delete(sid);
    return this.#markers.get(sid);
  }

  /** memorystore's `dispose`: the entry `sid` left the store (its deadline passed, or `destroy`). */
  left(sid: string, serialized: unknown): void {
    if (this.#destroying.has(sid) || typeof serialized !== 'string') return;
    let data: unknown;
    try {
      data = JSON.parse(serialized);
    } catch {
      return;
    }
    const record = recordOf(data) as TrackedRecord | undefined;
    const { createdAt, lastActivity } = record ?? {};
    if (typeof createdAt !== 'number' || typeof lastActivity !== 'number') return; // not signed in: nothing to remember
    const { idleTimeout, absoluteTimeout } = this.policy;
    const reason: ExpiryReason = absoluteTimeout !== null && createdAt + absoluteTimeout <= lastActivity + idleTimeout ? 'absolute' : 'idle';
    const now = this.policy.clock.now();
    this.#markers.delete(sid); // re-inserted last: the Map stays in the order of `until`
    this.#markers.set(sid, { reason, cookie: (data as { cookie?: unknown }).cookie ?? {}, until: now + ENDED_REASON_MEMORY_MS });
    for (const [key, marker] of this.#markers) {
      if (this.#markers.size <= MAX_ENDED_REASONS && marker.until > now) break;
      this.#markers.delete(key);
    }
    const id = typeof record?.id === 'string' ? record.id : null;
    try {
      this.audit({ type: 'expired', sessionId: id, at: now, reason, method: null, path: null, source: 'store' });
    } catch (error) {
      console.error(error);
    }
  }
}

function recordOf(data: unknown): unknown {
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[SESSION_KEY] : undefined;
}

/**
 * The sample app's memory store for express-session (see {@link ExpiringMemoryStore}): each session is kept
 * until its idle deadline plus `touchInterval` (never past its absolute deadline, `sessionTtl`), or while a
 * request of it runs; expired ones are removed every minute (every idle timeout when that is shorter).
 */
export function expiringMemoryStore(policy: IdlePolicy, audit: AuditHook): HoldingStore {
  const state = new StoreState(policy, audit);
  return new ExpiringMemoryStore(
    {
      checkPeriod: Math.min(60_000, policy.idleTimeout),
      ttl: (options, data, sid) => state.ttl(options, data, sid),
      dispose: (sid, serialized) => state.left(String(sid), serialized),
      noDisposeOnSet: true, // a write replaces the entry: it did not leave
    },
    state,
  );
}
