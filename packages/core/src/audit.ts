import type { ExpiryReason } from './record.js';

/**
 * What happened to a session, for the audit log (OWASP Logging Cheat Sheet; ASVS 5.0 V16, security logging):
 * - `signed-in`: a session was started (the adapter's `signIn`);
 * - `extended`: a keep-alive extended an active session;
 * - `expired`: the idle or absolute timeout ended a session (`reason`), found by a request or, with
 *   Redis, by the store's own expiry when nobody came back (`source: 'store'`);
 * - `signed-out`: the adapter's `signOut` ended a session;
 * - `refused`: a request was turned away (`reason`): a keep-alive without the forgery guard's header or
 *   from another site, a keep-alive for another session than the active one (`SESSION_ID_HEADER`), a copy
 *   of the cookie of a session that was already ended, or a store outage.
 */
export type AuditEventType = 'signed-in' | 'extended' | 'expired' | 'signed-out' | 'refused';

/** Why a request was refused (an {@link AuditEvent} of type `refused`). */
export type AuditRefusal = 'forged-keepalive' | 'other-session' | 'ended-session' | 'store-unavailable';

/**
 * One entry of the session lifecycle, given to the adapters' `audit` option. Holds nothing secret: the
 * session's non-secret `sessionId` (the record id, never the cookie or the framework's session id) and
 * never any session data.
 */
export interface AuditEvent {
  readonly type: AuditEventType;
  /**
   * The tracked session's non-secret id (`sessionId` of the status endpoint), or `null` when none is known
   * (a keep-alive with a copied cookie of a session already gone from the store, a store outage).
   */
  readonly sessionId: string | null;
  /** When it happened: epoch milliseconds by the policy's clock. */
  readonly at: number;
  /** `idle` or `absolute` for `expired`, an {@link AuditRefusal} for `refused`, else `null`. */
  readonly reason: ExpiryReason | AuditRefusal | null;
  /** The request's method, or `null` for an event the store reported (`source: 'store'`). */
  readonly method: string | null;
  /** The request's path (without the query, which may hold secrets), or `null` for an event the store reported. */
  readonly path: string | null;
  /** Who noticed: a `request`, or the session `store` (Redis keyspace notifications). */
  readonly source: 'request' | 'store';
}

/** The adapters' `audit` option: called once per {@link AuditEvent}, synchronously; what it throws is logged and ignored. */
export type AuditHook = (event: AuditEvent) => void;

/**
 * Calls `hook` with `event`, never letting the hook break the request: an error it throws is printed
 * with `console.error` and ignored. `hook` may be `null` (no audit).
 */
export function emitAudit(hook: AuditHook | null, event: AuditEvent): void {
  if (!hook) return;
  try {
    hook(Object.freeze(event));
  } catch (error) {
    (globalThis as unknown as { console: { error(...data: unknown[]): void } }).console.error('idle-session: the audit hook threw', error);
  }
}

/** The path of a request URL without its query or fragment (a query may hold secrets, such as tokens). */
export function auditPath(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
