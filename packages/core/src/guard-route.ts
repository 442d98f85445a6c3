import type { SessionEvaluation } from './evaluate.js';
import type { ExpiryReason } from './record.js';

/**
 * Whether a request wants JSON rather than an HTML page, from its `Accept` header: true when
 * `application/json` is accepted and `text/html` is not (as `fetch()` and API clients send).
 * Used by the protected-route guards to answer 401 JSON instead of a redirect to the login page.
 */
export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.toLowerCase();
  return types.includes('application/json') && !types.includes('text/html');
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
export function guardDecision(evaluation: SessionEvaluation, loginUrl: string, accept: string | undefined): GuardDecision {
  if (evaluation.state === 'active') return { action: 'allow' };
  const reason = evaluation.state === 'expired' ? evaluation.reason : null;
  if (wantsJson(accept)) {
    return { action: 'reject', status: 401, body: reason ? { state: 'expired', reason } : { state: 'none' } };
  }
  return { action: 'redirect', location: loginRedirectUrl(loginUrl, reason) };
}
