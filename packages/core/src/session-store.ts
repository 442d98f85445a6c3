import type { DetachedSession } from './engine.js';
import { endedRecord, SESSION_KEY, type ExpiryReason } from './record.js';

/**
 * A session store with express-session's callback API, which @fastify/session's stores share (express-session's
 * `MemoryStore`, memorystore, connect-redis, `@idle-session/redis/express`): the two methods the adapters call
 * outside the session library.
 */
export interface CallbackSessionStore {
  get(sid: string, callback: (error: unknown, session?: Record<string, unknown> | null) => void): void;
  set(sid: string, session: Record<string, unknown>, callback: (error?: unknown) => void): void;
}

/**
 * The entry of session `sid` in an express-session-style store, read and written with promises: for
 * `ActivityHandle.touch()` after the request, and for the check before a write ({@link checkThenWrite}).
 * `read()` gives `null` when the store has no such session; both reject with the store's error.
 */
export function storeEntry(store: unknown, sid: string): DetachedSession {
  const callbacks = store as CallbackSessionStore;
  return {
    read: () => new Promise((resolve, reject) => callbacks.get(sid, (error, session) => (error ? reject(error) : resolve(session ?? null)))),
    write: (data) => new Promise((resolve, reject) => callbacks.set(sid, data, (error) => (error ? reject(error) : resolve()))),
  };
}

/**
 * After a timeout, in place: drops every field of a session's data (the user's data included) but `cookie`
 * (the session library's own), and keeps only why it ended (`endedRecord(reason)`). The adapter then saves it
 * under the same key, so that every request still carrying the session learns why it ended.
 */
export function keepOnlyReason(session: Record<string, unknown>, reason: ExpiryReason): void {
  for (const key of Object.keys(session)) if (key !== 'cookie') delete session[key];
  session[SESSION_KEY] = endedRecord(reason);
}

/**
 * The check of `BoundSession.checkBeforeSave` for a store that does not write conditionally: reads the store's
 * copy of the session now, lets `decide` choose the record (or nothing: `null`), puts it in `session`, and
 * writes. A destroyed session is never put back, and last-activity never moves backwards.
 * @throws the store's error (nothing is written then).
 */
export async function checkThenWrite(
  entry: Pick<DetachedSession, 'read'>,
  session: Record<string, unknown>,
  decide: (stored: { exists: boolean; record: unknown }) => { record: unknown } | null,
  write: () => Promise<void>,
): Promise<void> {
  const stored = await entry.read();
  const decision = decide({ exists: stored !== null, record: stored?.[SESSION_KEY] });
  if (!decision) return;
  session[SESSION_KEY] = decision.record;
  await write();
}
