import { KEEPALIVE_HEADER, KEEPALIVE_HEADER_VALUE, parseStatusBody, SESSION_ID_HEADER, type StatusBody } from '@idle-session/core';

/**
 * Outcome of one request to the idle-session endpoints. `ok: false` covers every failure: network
 * error, timeout, abort, an unexpected HTTP status (500, 403, a redirect to an HTML login page), a
 * body that is not JSON, or JSON that `parseStatusBody` rejects.
 */
export type StatusResult =
  | { readonly ok: true; readonly body: StatusBody; readonly status: number; readonly receivedAt: number }
  | { readonly ok: false; readonly status: number | null };

/** How long a request may take before it counts as failed, in milliseconds. */
export const REQUEST_TIMEOUT_MS = 20_000;

/** Joins an endpoint prefix such as `/idle-session` (trailing slashes ignored) with `status` or `keepalive`. */
export function endpointUrl(endpoint: string, name: 'status' | 'keepalive'): string {
  return `${endpoint.replace(/\/+$/, '')}/${name}`;
}

/**
 * Sends `GET {endpoint}/status` or `POST {endpoint}/keepalive` (with `X-Idle-Session: 1`, and
 * `X-Idle-Session-Id: {sessionId}` when given, credentials `same-origin`) and validates the answer.
 * A server that knows the header extends nothing when it names another session than the cookie's,
 * and answers as the status does. Never throws and never rejects.
 *
 * Accepted answers: 200 with any valid body; for the keep-alive also 401 with an `expired` or
 * `none` body. `receivedAt` is `Date.now()` when the body was read, so a caller computes deadlines
 * as `receivedAt + remainingMs` without comparing clocks.
 */
export async function requestStatus(
  endpoint: string,
  name: 'status' | 'keepalive',
  signal?: AbortSignal,
  sessionId?: string | null,
): Promise<StatusResult> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(onAbort, REQUEST_TIMEOUT_MS);
  let status: number | null = null;
  try {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (name === 'keepalive') {
      headers[KEEPALIVE_HEADER] = KEEPALIVE_HEADER_VALUE;
      if (sessionId) headers[SESSION_ID_HEADER] = sessionId;
    }
    const response = await globalThis.fetch(endpointUrl(endpoint, name), {
      method: name === 'keepalive' ? 'POST' : 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      headers,
      signal: controller.signal,
    });
    status = response.status;
    const accepted = status === 200 || (name === 'keepalive' && status === 401);
    const type = response.headers.get('content-type') ?? '';
    if (!accepted || !/\bjson\b/i.test(type)) return { ok: false, status };
    const text = await response.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, status };
    }
    const body = parseStatusBody(value);
    if (body === null) return { ok: false, status };
    if (status === 401 && body.state === 'active') return { ok: false, status };
    return { ok: true, body, status, receivedAt: Date.now() };
  } catch {
    return { ok: false, status };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
