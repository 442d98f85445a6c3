import { isTracked, recordId, type SessionRecord } from './record.js';

interface Entry {
  /** The session was ended (signed out or expired) by this process. */
  ended: boolean;
  /** The latest last-activity this process wrote for it, epoch ms. */
  lastActivity: number;
  /** When the entry was last updated, epoch ms. */
  at: number;
}

/**
 * What this process knows about tracked sessions beyond what one request carries, keyed by the
 * record's `id`: which sessions it ended (signed out, expired) and the latest last-activity it wrote.
 *
 * A request still in flight holds an old copy of its session; when it ends, the framework writes that
 * copy back (to the store, or into the cookie of a cookie-only session). The ledger lets an adapter
 * refuse to write back a session that was ended meanwhile, and never move last-activity backwards.
 * For cookie-only sessions it is also what rejects a copied cookie after sign-out, until the cookie's
 * own idle deadline (when the record itself expires). It is per process: with several processes and
 * cookie-only sessions, a copied cookie stays usable until its idle deadline (see the adapters' READMEs).
 *
 * Bounded: entries older than `ttlMs` are dropped, and at most `max` are kept (oldest first).
 */
export class SessionLedger {
  readonly #entries = new Map<string, Entry>();

  /**
   * @param ttlMs - how long an entry is kept, in milliseconds; at least the idle timeout, so a copied
   *   cookie of an ended session is refused for as long as it could otherwise be used.
   * @param max - the most entries kept.
   */
  constructor(
    private readonly ttlMs: number,
    private readonly max = 50_000,
  ) {}

  #put(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    for (const [oldest, { at }] of this.#entries) {
      if (this.#entries.size <= this.max && entry.at - at < this.ttlMs) break;
      this.#entries.delete(oldest);
    }
  }

  #get(id: string, now: number): Entry | undefined {
    const entry = this.#entries.get(id);
    return entry && now - entry.at < this.ttlMs ? entry : undefined;
  }

  /**
   * A ledger sized for a policy: entries live for the idle timeout plus the write budget (at least ten
   * minutes), as long as a copied cookie of an ended session could otherwise still be used.
   */
  static forPolicy(policy: { idleTimeout: number; touchInterval: number }): SessionLedger {
    return new SessionLedger(Math.max(10 * 60_000, policy.idleTimeout + policy.touchInterval));
  }

  /** Records that the session holding `record` was ended at `now`; a record without an id is ignored. */
  endRecord(record: unknown, now: number): void {
    const id = recordId(record);
    if (id !== null) this.end(id, now);
  }

  /** Records that the session with this record id was ended (signed out or expired) at `now`. */
  end(id: string, now: number): void {
    this.#put(id, { ended: true, lastActivity: this.#get(id, now)?.lastActivity ?? 0, at: now });
  }

  /** Whether this process ended the session with this record id. */
  hasEnded(id: string, now: number): boolean {
    return this.#get(id, now)?.ended === true;
  }

  /** Records a last-activity written for this record id (kept if later than the one known). */
  noteActivity(id: string, lastActivity: number, now: number): void {
    const entry = this.#get(id, now);
    if (entry?.ended) return;
    this.#put(id, { ended: false, lastActivity: Math.max(lastActivity, entry?.lastActivity ?? 0), at: now });
  }

  /** The latest last-activity this process wrote for the record id, or `null`. */
  latestActivity(id: string, now: number): number | null {
    const entry = this.#get(id, now);
    return entry && !entry.ended ? entry.lastActivity : null;
  }

  /** How many entries are kept. */
  get size(): number {
    return this.#entries.size;
  }
}

/** What to do when a request's copy of a session is about to be written back. */
export type SaveDecision = { readonly save: false } | { readonly save: true; readonly record: unknown };

function timestamps(record: unknown): { createdAt: number; lastActivity: number } | null {
  if (!isTracked(record)) return null;
  const { createdAt, lastActivity } = record as SessionRecord;
  return Number.isFinite(createdAt) && Number.isFinite(lastActivity) ? { createdAt: createdAt!, lastActivity: lastActivity! } : null;
}

function laterOf(ours: unknown, lastActivity: number | null | undefined): unknown {
  const mine = timestamps(ours);
  return mine && typeof lastActivity === 'number' && lastActivity > mine.lastActivity ? { ...(ours as SessionRecord), lastActivity } : ours;
}

/**
 * Decides, just before the framework writes a request's copy of a session back, whether to write it
 * and with which idle-session record. Frameworks save the whole session at the end of a request, so a
 * slow request could otherwise undo what faster ones did meanwhile:
 *
 * - the session was ended meanwhile (the ledger knows its id ended, or `stored` says the store no longer
 *   holds it): do not write. An ended session is never put back (OWASP Session Management Cheat Sheet:
 *   invalidated sessions must stay invalid).
 * - otherwise write, with `lastActivity` the latest of the request's copy, the store's current copy (same
 *   `createdAt` only) and the ledger: activity only moves forward.
 *
 * @param ours - the record in the request's session object.
 * @param context.stored - the store's current copy, for sessions kept in a store: `exists` false when the
 *   store no longer has the session. Omit for cookie-only sessions.
 * @param context.ledger - this process's {@link SessionLedger}.
 * @param context.now - epoch milliseconds.
 */
export function settleBeforeSave(
  ours: unknown,
  context: { stored?: { exists: boolean; record: unknown }; ledger: SessionLedger; now: number },
): SaveDecision {
  const id = recordId(ours);
  if (id !== null && context.ledger.hasEnded(id, context.now)) return { save: false };
  let record = ours;
  if (context.stored) {
    if (!context.stored.exists) return { save: false };
    const theirs = timestamps(context.stored.record);
    if (theirs && theirs.createdAt === timestamps(ours)?.createdAt) record = laterOf(record, theirs.lastActivity);
  }
  if (id !== null) record = laterOf(record, context.ledger.latestActivity(id, context.now));
  return { save: true, record };
}
