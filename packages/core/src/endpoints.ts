import type { SessionEvaluation } from './evaluate.js';
import type { IdlePolicy } from './policy.js';
import { toStatusBody, type ForbiddenBody, type StatusBody } from './wire.js';

/** The default URL prefix of the two endpoints: `/idle-session/status` and `/idle-session/keepalive`. */
export const DEFAULT_PREFIX = '/idle-session';

/** The two endpoints an adapter serves under its prefix. */
export type EndpointName = 'status' | 'keepalive';

/** The HTTP method each endpoint answers (HEAD is answered like GET for `status`). */
export const ENDPOINT_METHODS: Readonly<Record<EndpointName, string>> = Object.freeze({ status: 'GET', keepalive: 'POST' });

/**
 * A framework-free HTTP answer: the adapter copies `status`, `headers` and the JSON `body` to its response.
 */
export interface EndpointResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: StatusBody | ForbiddenBody | { state: 'unavailable' } | { state: 'error'; message: string } | null;
}

const JSON_HEADERS = Object.freeze({
  'Cache-Control': 'no-store',
  'Content-Type': 'application/json; charset=utf-8',
});

/**
 * Which endpoint, if any, a request path names. Like Express's and koa-router's default routing, the
 * match ignores letter case and one trailing slash. Any other path under the prefix is `'unknown'`: the
 * prefix belongs to idle-session, so such a request gets a JSON 404 and is not activity.
 * @param prefix - a validated prefix such as `/idle-session`.
 * @param path - the request path relative to where the middleware is mounted, without the query.
 * @returns the endpoint, `'unknown'` for another path under the prefix, or `null` for the app's own paths.
 */
export function matchEndpoint(prefix: string, path: string): EndpointName | 'unknown' | null {
  const lower = path.toLowerCase();
  const base = prefix.toLowerCase();
  if (lower !== base && !lower.startsWith(`${base}/`)) return null;
  const rest = lower.slice(base.length).replace(/(.)\/$/, '$1');
  if (rest === '/status') return 'status';
  if (rest === '/keepalive') return 'keepalive';
  return 'unknown';
}

/** The JSON 404 for a path under the prefix that names no endpoint. */
export function unknownEndpointResponse(prefix: string): EndpointResponse {
  return {
    status: 404,
    headers: JSON_HEADERS,
    body: { state: 'error', message: `No such idle-session endpoint; use ${prefix}/status or ${prefix}/keepalive.` },
  };
}

/**
 * The answer of `GET {prefix}/status`: always 200 and `Cache-Control: no-store`, with the session's
 * state as a `StatusBody`. The status endpoint never counts as activity.
 */
export function statusResponse(evaluation: SessionEvaluation, policy: IdlePolicy): EndpointResponse {
  return { status: 200, headers: JSON_HEADERS, body: toStatusBody(evaluation, policy) };
}

/**
 * The answer of `POST {prefix}/keepalive` after the keep-alive was applied: 200 with the active body,
 * or 401 with `{"state":"expired","reason":…}` or `{"state":"none"}`. A keep-alive never revives.
 */
export function keepAliveResponse(evaluation: SessionEvaluation, policy: IdlePolicy): EndpointResponse {
  return { status: evaluation.state === 'active' ? 200 : 401, headers: JSON_HEADERS, body: toStatusBody(evaluation, policy) };
}

/** The 403 answer to a keep-alive that failed the forgery guard; nothing was extended. */
export function forbiddenResponse(message: string): EndpointResponse {
  return { status: 403, headers: JSON_HEADERS, body: { state: 'forbidden', message } };
}

/**
 * The 405 answer for a method an endpoint does not take, with `Allow`. `OPTIONS` gets 204 with the same
 * `Allow` header and no CORS approval, so a cross-origin keep-alive's preflight fails.
 */
export function methodResponse(endpoint: EndpointName, method: string): EndpointResponse {
  const allow = endpoint === 'status' ? 'GET, HEAD, OPTIONS' : 'POST, OPTIONS';
  if (method === 'OPTIONS') return { status: 204, headers: { Allow: allow, 'Cache-Control': 'no-store' }, body: null };
  return {
    status: 405,
    headers: { ...JSON_HEADERS, Allow: allow },
    body: { state: 'error', message: `${method} is not allowed here; use ${ENDPOINT_METHODS[endpoint]}.` },
  };
}
