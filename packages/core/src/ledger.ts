import { limitFieldsOf, withLaterLimits } from './limits.js';
import { isTracked, recordId, type ExpiryReason, type SessionRecord } from './record.js';

/**
 * Entries that expire `ttlMs` after their last update, kept in generations: each generation holds the
 * updates of a quarter of `ttlMs`, and a generation whose every entry is stale is dropped whole. So
 * forgetting costs nothing per entry (no sweep that walks, or a Map that shrinks, under a request),
 * and a lookup reads at most six small maps, newest first. Past `max` entries, the oldest are evicted
 * one at a time.
 */
class AgedMap<V> {
  readonly #generations: { start: number; entries: Map<string, { value: V; at: number }> }[] = [];
  readonly #span: number;
  #size = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {
    this.#span = Math.max(1, Math.ceil(ttlMs / 4));
  }

  get(id: string, now: number): V | undefined {
    for (let i = this.#generations.length - 1; i >= 0; i--) {
      const entry = this.#generations[i]!.entries.get(id);
      if (entry) return now - entry.at < this.ttlMs ? entry.value : undefined;
    }
    return undefined;
  }

  set(id: string, value: V, now: number): void {
    const generations = this.#generations;
    while (generations.length > 0 && now - generations[0]!.start >= this.#span + this.ttlMs) {
      this.#size -= generations.shift()!.entries.size;
    }
    let newest = generations.at(-1);
    if (!newest || now - newest.start >= this.#span) {
      newest = { start: now, entries: new Map() };
      generations.push(newest);
    }
    if (newest.entries.delete(id)) this.#size--;
    newest.entries.set(id, { value, at: now });
    this.#size++;
    while (this.#size > this.max) {
      const oldest = generations[0]!;
      const first = oldest.entries.keys().next();
      if (first.done) generations.shift();
      else {
        oldest.entries.delete(first.value);
        this.#size--;
      }
    }
  }

  /** Entries kept, stale ones not yet dropped and older copies of updated ones included. */
  get size(): number {
    return this.#size;
  }
}

/**
 * What this process knows about tracked sessions beyond what one request carries, keyed by the
 * record's `id`: which sessions it ended (signed out, expired) and the latest last-activity it wrote.
 *
 * A request still in flight holds an old copy of its session; when it ends, the framework writes that
 * copy back (to the store, or into the cookie of a cookie-only session). The ledger lets an adapter
 * refuse to write back a session that was ended meanwhile, and never move last-activity backwards.
 * For cookie-only sessions it is also what rejects a copied cookie after sign-out, until the cookie's
 * own idle deadline (when the record itself expires). It is per process: several processes share this
 * knowledge through the adapters' `shared` option (for example `RedisSessionState`).
 *
 * Bounded, in two separate tables so that a flood of activity never pushes out the memory of an ended
 * session: entries older than `ttlMs` are forgotten a generation at a time at no cost per entry (no
 * update stalls the event loop), and each table keeps at most `max` entries (oldest dropped first).
 */
/**
 * How a session this process ended came to its end: a timeout (`idle`, `absolute`), which every request
 * still carrying it is told, or anything else (`signed-out`: a sign-out, a replacement at sign-in).
 */
export type LedgerEnding = ExpiryReason | 'signed-out';

export class SessionLedger {
  readonly #ended: AgedMap<LedgerEnding>;
  readonly #activity: AgedMap<number>;
  /** The latest limits set on a session here (`setLimits`), as `{ createdAt, ...limit fields }`; made at the first one. */
  #limits: AgedMap<Partial<SessionRecord>> | null = null;
  /**
   * Endings that must be remembered longer than `ttlMs` (sessions whose own idle timeout is longer than
   * the policy's), with their own deadline; at most `max`, the oldest dropped first.
   */
  readonly #longEnded = new Map<string, { how: LedgerEnding; until: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  /** Requests in flight that count as activity, per record id; an entry is removed when its count drops to 0. */
  readonly #inFlight = new Map<string, number>();

  /**
   * @param ttlMs - how long an entry is kept, in milliseconds; at least the idle timeout, so a copied
   *   cookie of an ended session is refused for as long as it could otherwise be used.
   * @param max - the most entries kept in each of the two tables (ended sessions, latest activity).
   */
  constructor(ttlMs: number, max = 50_000) {
    this.#ended = new AgedMap(ttlMs, max);
    this.#activity = new AgedMap(ttlMs, max);
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  /**
   * A ledger sized for a policy: entries live for the idle timeout plus the write budget (at least ten
   * minutes), as long as a copied cookie of an ended session could otherwise still be used.
   */
  static forPolicy(policy: { idleTimeout: number; touchInterval: number }): SessionLedger {
    return new SessionLedger(Math.max(10 * 60_000, policy.idleTimeout + policy.touchInterval));
  }

  /** Records that the session holding `record` was ended at `now`; a record without an id is ignored. */
  endRecord(record: unknown, now: number, how: LedgerEnding = 'signed-out'): void {
    const id = recordId(record);
    if (id !== null) this.end(id, now, how);
  }

  /**
   * Records that the session with this record id was ended at `now`, and how: after a timeout, every
   * request that still carries the session (sent before the browser got the news) is told the reason.
   * A timeout already recorded is kept.
   */
  end(id: string, now: number, how: LedgerEnding = 'signed-out', ttlMs: number = this.#ttlMs): void {
    const known = this.ending(id, now);
    const kept = known !== null && known !== 'signed-out' ? known : how;
    this.#ended.set(id, kept, now);
    if (ttlMs <= this.#ttlMs) return;
    // A session with a longer idle timeout than the policy's: a copy of it could be used longer.
    this.#longEnded.delete(id);
    this.#longEnded.set(id, { how: kept, until: now + ttlMs });
    for (const [oldest, entry] of this.#longEnded) {
      if (this.#longEnded.size <= this.#max && entry.until > now) break;
      this.#longEnded.delete(oldest);
    }
  }

  /** Whether this process ended the session with this record id. */
  hasEnded(id: string, now: number): boolean {
    return this.ending(id, now) !== null;
  }

  /** How the session with this record id ended, when this process ended it (see {@link SessionLedger.end}); else `null`. */
  ending(id: string, now: number): LedgerEnding | null {
    const how = this.#ended.get(id, now);
    if (how !== undefined || this.#longEnded.size === 0) return how ?? null;
    const long = this.#longEnded.get(id);
    return long !== undefined && long.until > now ? long.how : null;
  }

  /**
   * Records the limits `record` holds after a `setLimits` of its session here, so that a copy of the
   * session from before (a request still in flight, a copied cookie-only cookie) is held to them too.
   */
  noteLimits(record: unknown, now: number): void {
    const id = recordId(record);
    if (id === null) return;
    this.#limits ??= new AgedMap(this.#ttlMs, this.#max);
    this.#limits.set(id, { createdAt: (record as SessionRecord).createdAt, ...limitFieldsOf(record) }, now);
  }

  /** `record` with the latest limits noted here for its session (see {@link noteLimits}) when they are later than its own. */
  withKnownLimits<T>(record: T, now: number): T {
    if (this.#limits === null) return record;
    const id = recordId(record);
    const known = id === null ? undefined : this.#limits.get(id, now);
    return known === undefined ? record : withLaterLimits(record, known);
  }

  /** Records a last-activity written for this record id (kept if later than the one known). */
  noteActivity(id: string, lastActivity: number, now: number): void {
    if (this.hasEnded(id, now)) return;
    this.#activity.set(id, Math.max(lastActivity, this.#activity.get(id, now) ?? 0), now);
  }

  /** The latest last-activity this process wrote for the record id, or `null`. */
  latestActivity(id: string, now: number): number | null {
    return this.hasEnded(id, now) ? null : (this.#activity.get(id, now) ?? null);
  }

  /**
   * Notes that a request of the session with this record id that counts as activity started: until the
   * matching {@link endRequest}, the session's idle clock stands still (`planRequest` counts it as active
   * now, though it writes last-activity no more often than before), as a servlet container measures idle time from the end of the last request. A slow upload is activity
   * for as long as it runs. Only the absolute timeout, a sign-out or another ending can end the session meanwhile.
   */
  beginRequest(id: string): void {
    this.#inFlight.set(id, (this.#inFlight.get(id) ?? 0) + 1);
  }

  /** Notes that a request begun with {@link beginRequest} ended (answered, or its connection closed). */
  endRequest(id: string): void {
    const count = (this.#inFlight.get(id) ?? 0) - 1;
    if (count > 0) this.#inFlight.set(id, count);
    else this.#inFlight.delete(id);
  }

  /**
   * The latest moment this process knows the session with this record id was active: `now` while a
   * request of it is in flight here, else the latest last-activity it wrote; `null` when it knows none.
   */
  knownActivity(id: string, now: number): number | null {
    return this.#inFlight.has(id) ? now : this.latestActivity(id, now);
  }

  /** Whether a request of the session with this record id that counts as activity is in flight here. */
  hasRequestInFlight(id: string): boolean {
    return this.#inFlight.has(id);
  }

  /** How many entries are kept, in both tables. */
  get size(): number {
    return this.#ended.size + this.#activity.size;
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
 *   `createdAt` only) and the ledger: activity only moves forward; and with the limits changed last
 *   (`setLimits`, ordered by `limitsSetAt`) of the same copies: a change of limits is never undone.
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
    if (theirs && theirs.createdAt === timestamps(ours)?.createdAt) {
      record = laterOf(record, theirs.lastActivity);
      record = withLaterLimits(record, context.stored.record);
    }
  }
  if (id !== null) {
    record = laterOf(record, context.ledger.latestActivity(id, context.now));
    record = context.ledger.withKnownLimits(record, context.now);
  }
  return { save: true, record };
}

/**
 * `record` with `lastActivity` moved to `at` when `at` is later than the record's own and not in the
 * future (`at <= now`); `record` itself otherwise (no timestamp to move, or nothing later known).
 */
export function withLaterActivity<T>(record: T, at: number | null, now: number): T {
  const lastActivity = (record as SessionRecord | undefined)?.lastActivity;
  return at !== null && typeof lastActivity === 'number' && at > lastActivity && at <= now ? { ...record, lastActivity: at } : record;
}
