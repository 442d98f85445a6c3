import type { SessionEvaluation } from './evaluate.js';
import type { ExpiryReason } from './record.js';

/** Reads a request header by lower-case name; `undefined` when absent. */
export type HeaderReader = (lowerCaseName: string) => string | undefined;

/**
 * Whether a request wants data rather than an HTML page, so that a protected route answers 401 JSON
 * instead of a redirect to the login page (whose HTML a script could not use):
 * - `Accept` takes `application/json` and not `text/html` (API clients, `fetch` with that header);
 * - `Sec-Fetch-Dest: empty`: a `fetch()` or XMLHttpRequest from a page, whatever its `Accept`;
 * - `X-Requested-With: XMLHttpRequest` (older libraries).
 */
export function wantsJson(header: HeaderReader): boolean {
  const accept = header('accept')?.toLowerCase() ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html')) return true;
  if (header('sec-fetch-dest') === 'empty') return true;
  return header('x-requested-with')?.toLowerCase() === 'xmlhttprequest';
}

/**
 * The URL of the login page after an expiry: `loginUrl` with `reason=idle|absolute` added to its query,
 * so the page can say why, even if its session was lost. `loginUrl` unchanged for `null`.
 */
export function loginRedirectUrl(loginUrl: string, reason: ExpiryReason | null): string {
  if (!reason) return loginUrl;
  const hashAt = loginUrl.indexOf('#');
  const base = hashAt === -1 ? loginUrl : loginUrl.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : loginUrl.slice(hashAt);
  return `${base}${base.includes('?') ? '&' : '?'}reason=${reason}${hash}`;
}

/** What a protected route does for a request, decided by {@link guardDecision}. */
export type GuardDecision =
  | { readonly action: 'allow' }
  | { readonly action: 'redirect'; readonly location: string }
  | { readonly action: 'reject'; readonly status: 401; readonly body: { state: 'none' } | { state: 'expired'; reason: ExpiryReason } };

/**
 * The decision of a protected route's guard: an active session passes; otherwise an HTML request gets
 * one redirect to the login page (with the reason) and a JSON request gets 401 with a JSON body naming
 * the reason, never the login page's HTML.
 */
export function guardDecision(evaluation: SessionEvaluation, loginUrl: string, header: HeaderReader): GuardDecision {
  if (evaluation.state === 'active') return { action: 'allow' };
  const reason = evaluation.state === 'expired' ? evaluation.reason : null;
  if (wantsJson(header)) {
    return { action: 'reject', status: 401, body: reason ? { state: 'expired', reason } : { state: 'none' } };
  }
  return { action: 'redirect', location: loginRedirectUrl(loginUrl, reason) };
}
