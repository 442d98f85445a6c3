import type { EndpointResponse } from './endpoints.js';
import type { SessionEvaluation } from './evaluate.js';
import type { ExpiryReason } from './record.js';
import { NEXT_PARAM, safeNextPath } from './return-to.js';

/** Reads a request header by lower-case name; `undefined` when absent. */
export type HeaderReader = (lowerCaseName: string) => string | undefined;

/**
 * Whether a request wants data rather than an HTML page, so that a protected route answers 401 JSON
 * instead of a redirect to the login page (whose HTML a script could not use):
 * - `Accept` takes `application/json` and not `text/html` (API clients, `fetch` with that header);
 * - `Accept` takes `text/event-stream` (`EventSource`: after a redirect it would retry for ever; a 401 makes it stop);
 * - `Sec-Fetch-Dest: empty`: a `fetch()` or XMLHttpRequest from a page, whatever its `Accept`;
 * - `X-Requested-With: XMLHttpRequest` (older libraries).
 */
export function wantsJson(header: HeaderReader): boolean {
  const accept = header('accept')?.toLowerCase() ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html')) return true;
  if (accept.includes('text/event-stream')) return true; // EventSource would follow a redirect and retry for ever; a 401 stops it
  if (header('sec-fetch-dest') === 'empty') return true;
  return header('x-requested-with')?.toLowerCase() === 'xmlhttprequest';
}

/**
 * The URL of the login page: `loginUrl` with `reason=idle|absolute` added to its query after an expiry,
 * so the page can say why even if its session was lost, and `next=<path>` when `returnTo` is a safe path
 * (see `safeNextPath`), so that signing in again leads back to where the user was.
 *
 * @param loginUrl - the login page's URL, possibly with a query and a fragment.
 * @param reason - why the session ended, or `null`.
 * @param returnTo - the path (with query) the user was on; ignored unless `safeNextPath` accepts it.
 */
export function loginRedirectUrl(loginUrl: string, reason: ExpiryReason | null, returnTo?: string | null): string {
  const next = safeNextPath(returnTo);
  const params = [reason ? `reason=${reason}` : '', next ? `${NEXT_PARAM}=${encodeURIComponent(next)}` : ''].filter(Boolean).join('&');
  if (!params) return loginUrl;
  const hashAt = loginUrl.indexOf('#');
  const base = hashAt === -1 ? loginUrl : loginUrl.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : loginUrl.slice(hashAt);
  return `${base}${base.includes('?') ? '&' : '?'}${params}${hash}`;
}

/** What a protected route does for a request, decided by {@link guardDecision}. */
export type GuardDecision =
  | { readonly action: 'allow' }
  | { readonly action: 'redirect'; readonly location: string }
  | { readonly action: 'reject'; readonly status: 401; readonly body: { state: 'none' } | { state: 'expired'; reason: ExpiryReason } };

/**
 * The decision of a protected route's guard: an active session passes; otherwise an HTML request gets
 * one redirect to the login page (with the reason, and `next=` the page it asked for when `returnTo` is
 * given and safe) and a JSON request gets 401 with a JSON body naming the reason, never the login page's HTML.
 *
 * @param returnTo - the path and query of the page asked for (a `GET`), to come back to after signing in.
 */
export function guardDecision(evaluation: SessionEvaluation, loginUrl: string, header: HeaderReader, returnTo?: string | null): GuardDecision {
  if (evaluation.state === 'active') return { action: 'allow' };
  const reason = evaluation.state === 'expired' ? evaluation.reason : null;
  if (wantsJson(header)) {
    return { action: 'reject', status: 401, body: reason ? { state: 'expired', reason } : { state: 'none' } };
  }
  return { action: 'redirect', location: loginRedirectUrl(loginUrl, reason, returnTo) };
}

/**
 * The answer of a protected route's guard that does not allow the request, the same from every adapter,
 * headers included: a redirect is `303` with `Location` and `Cache-Control: no-store` and no body (no
 * framework's "Redirecting to…" text, whose type and `Vary` differ); a rejection is `401` with the JSON
 * body of {@link guardDecision}, `Cache-Control: no-store`, and no `ETag` (an answer about the session
 * must never be revalidated as unchanged).
 */
export function guardResponse(decision: Exclude<GuardDecision, { action: 'allow' }>): EndpointResponse {
  if (decision.action === 'redirect') return { status: 303, headers: { Location: decision.location, 'Cache-Control': 'no-store' }, body: null };
  return { status: decision.status, headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json; charset=utf-8' }, body: decision.body };
}
