import { endedReasonNow, SessionEndedError, type SessionEndedReason } from './ended.js';
import { evaluateRecord } from './evaluate.js';
import { withLaterActivity, type SessionLedger } from './ledger.js';
import type { IdlePolicy } from './policy.js';
import { recordId, type SessionRecord } from './record.js';
import type { SharedEndings } from './shared.js';

/** How often, in milliseconds, the other instances' endings are asked for while a stream of a session is open: "within a second or two". */
export const WATCH_POLL_MS = 1_000;

/**
 * The parts of the platform's `AbortSignal` (Node, browsers) that core relies on; the adapters give apps
 * the platform's own `AbortSignal`. Its `reason`, once aborted, is a `SessionEndedError`.
 */
export interface SessionSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
  throwIfAborted(): void;
}

interface AbortControllerLike {
  readonly signal: SessionSignal;
  abort(reason?: unknown): void;
}
const { AbortController } = globalThis as unknown as { AbortController: new () => AbortControllerLike };

type Timers = {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(timer: unknown): void;
};
const timers = globalThis as unknown as Timers;
const unref = (timer: unknown): void => (timer as { unref?: () => void }).unref?.();

interface Watcher {
  readonly controller: AbortControllerLike;
  record: SessionRecord;
  readonly storeKey: string | undefined;
  timer: unknown;
}

/**
 * The sessions that long-lived responses (event streams, long polling, large downloads) depend on, in one
 * process: each gets an `AbortSignal` that aborts, with a `SessionEndedError` as its reason, when the
 * session ends: a sign-out or an expiry on this instance at once; its idle or absolute deadline (checked
 * again at the deadline against the latest activity known, so activity elsewhere moves it); and, with a
 * `shared` option, an ending on another instance within about {@link WATCH_POLL_MS}.
 */
export class SessionWatch {
  readonly #watchers = new Map<string, Set<Watcher>>();
  #poll: unknown;

  constructor(
    private readonly policy: IdlePolicy,
    private readonly ledger: SessionLedger,
    private readonly shared: SharedEndings | null,
  ) {}

  /**
   * A signal that aborts when the session holding `record` ends. Already aborted when it is not active now.
   * Call the returned `stop` when the response ends (the connection closed), so nothing is kept for it.
   *
   * @param storeKey - where the store keeps the session, so activity written by other instances can be read at the deadline.
   */
  watch(record: unknown, storeKey?: string): { signal: SessionSignal; stop: () => void } {
    const controller = new AbortController();
    const id = recordId(record);
    const now = this.policy.clock.now();
    const reason = endedReasonNow(record, this.policy, now, this.ledger);
    if (id === null || reason !== null) {
      controller.abort(new SessionEndedError(reason ?? 'none'));
      return { signal: controller.signal, stop: () => {} };
    }
    const watcher: Watcher = { controller, record: record as SessionRecord, storeKey, timer: undefined };
    let set = this.#watchers.get(id);
    if (!set) this.#watchers.set(id, (set = new Set()));
    set.add(watcher);
    this.#schedule(id, watcher);
    this.#startPolling();
    return { signal: controller.signal, stop: () => this.#remove(id, watcher) };
  }

  /** The session with this record id ended here (sign-out, expiry, replacement): every signal of it aborts now. */
  ended(id: string, reason: SessionEndedReason): void {
    for (const watcher of [...(this.#watchers.get(id) ?? [])]) this.#abort(id, watcher, reason);
  }

  /** How many signals are open, for tests and diagnostics. */
  get size(): number {
    let size = 0;
    for (const set of this.#watchers.values()) size += set.size;
    return size;
  }

  /**
   * The limits of the session with this record id were changed here (`setLimits`, noted in the ledger):
   * every signal of it is scheduled again by its new deadline (or aborts now when it has passed).
   */
  limitsChanged(id: string): void {
    for (const watcher of [...(this.#watchers.get(id) ?? [])]) {
      if (watcher.timer !== undefined) timers.clearTimeout(watcher.timer);
      this.#schedule(id, watcher);
    }
  }

  #latest(id: string, watcher: Watcher): SessionRecord {
    const now = this.policy.clock.now();
    return withLaterActivity(this.ledger.withKnownLimits(watcher.record, now), this.ledger.knownActivity(id, now), now);
  }

  #schedule(id: string, watcher: Watcher): void {
    watcher.record = this.#latest(id, watcher);
    const evaluation = evaluateRecord(watcher.record, this.policy, this.policy.clock.now());
    if (evaluation.state !== 'active') return this.#abort(id, watcher, evaluation.state === 'expired' ? evaluation.reason : 'none');
    watcher.timer = timers.setTimeout(() => void this.#atDeadline(id, watcher), Math.min(evaluation.remainingMs + 5, 2 ** 31 - 1));
    unref(watcher.timer);
  }

  async #atDeadline(id: string, watcher: Watcher): Promise<void> {
    const evaluation = evaluateRecord(this.#latest(id, watcher), this.policy, this.policy.clock.now());
    if (evaluation.state === 'expired' && evaluation.reason === 'idle' && this.shared) {
      // Activity on another instance moved the deadline: ask the store and the shared leases before ending it here.
      try {
        const stored = watcher.storeKey && this.shared.latestActivity ? await this.shared.latestActivity(watcher.storeKey) : null;
        if (stored !== null && stored > (watcher.record.lastActivity ?? 0)) watcher.record = { ...watcher.record, lastActivity: stored };
        if (this.shared.isHeldActive && (await this.shared.isHeldActive(id))) {
          watcher.record = { ...watcher.record, lastActivity: this.policy.clock.now() };
        }
      } catch {
        // the store is unavailable: decide on what this instance knows
      }
    }
    if (this.#watchers.get(id)?.has(watcher)) this.#schedule(id, watcher);
  }

  #startPolling(): void {
    if (!this.shared || this.#poll !== undefined) return;
    const shared = this.shared;
    this.#poll = timers.setInterval(() => {
      for (const id of this.#watchers.keys()) {
        shared.hasEnded(id).then(
          (ended) => {
            if (!ended) return;
            const record = [...(this.#watchers.get(id) ?? [])][0]?.record;
            this.ended(id, (record && endedReasonNow(record, this.policy, this.policy.clock.now(), this.ledger)) || 'signed-out');
          },
          () => {}, // the store is unavailable: try again at the next poll
        );
      }
    }, WATCH_POLL_MS);
    unref(this.#poll);
  }

  #abort(id: string, watcher: Watcher, reason: SessionEndedReason): void {
    this.#remove(id, watcher);
    if (!watcher.controller.signal.aborted) watcher.controller.abort(new SessionEndedError(reason));
  }

  #remove(id: string, watcher: Watcher): void {
    if (watcher.timer !== undefined) timers.clearTimeout(watcher.timer);
    const set = this.#watchers.get(id);
    if (!set?.delete(watcher) || set.size > 0) return;
    this.#watchers.delete(id);
    if (this.#watchers.size === 0 && this.#poll !== undefined) {
      timers.clearInterval(this.#poll);
      this.#poll = undefined;
    }
  }
}
