import { isTracked, type SessionRecord } from './record.js';

/** What to do when a request's copy of a session is about to be written back to the store. */
export type SaveDecision = { readonly save: false } | { readonly save: true; readonly record: unknown };

function timestamps(record: unknown): { createdAt: number; lastActivity: number } | null {
  if (!isTracked(record)) return null;
  const { createdAt, lastActivity } = record as SessionRecord;
  return Number.isFinite(createdAt) && Number.isFinite(lastActivity) ? { createdAt: createdAt!, lastActivity: lastActivity! } : null;
}

/**
 * Reconciles a request's copy of the idle-session record with what the store holds now, just before the
 * framework writes the request's copy back. Frameworks save the whole session at the end of a request,
 * so a slow request could otherwise undo what faster ones did meanwhile:
 *
 * - the store no longer has the session (signed out, or expired and destroyed, by another request):
 *   do not save. A destroyed session is never put back (OWASP Session Management Cheat Sheet:
 *   invalidated sessions must stay invalid).
 * - both copies are the same tracked session (same `createdAt`): save with
 *   `lastActivity = max(ours, stored)`: activity only moves forward, a stale write never shortens the
 *   deadline that a keep-alive set meanwhile.
 * - otherwise: save the request's record as it is.
 *
 * @param ours - the record in the request's session object.
 * @param stored - the record in the store's current copy (ignored when `storedExists` is false).
 * @param storedExists - whether the store still holds the session under this id.
 */
export function reconcileBeforeSave(ours: unknown, stored: unknown, storedExists: boolean): SaveDecision {
  if (!storedExists) return { save: false };
  const mine = timestamps(ours);
  const theirs = timestamps(stored);
  if (mine && theirs && mine.createdAt === theirs.createdAt && theirs.lastActivity > mine.lastActivity) {
    return { save: true, record: { ...(ours as SessionRecord), lastActivity: theirs.lastActivity } };
  }
  return { save: true, record: ours };
}
