import type { EndpointResponse } from './endpoints.js';
import { SESSION_KEY } from './record.js';

/** Body of the 503 answer while the session store cannot be reached: `{"state":"unavailable"}`. */
export interface UnavailableBody {
  state: 'unavailable';
}

/** Seconds a client is told to wait (`Retry-After`) while the session store is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Thrown (or passed to the framework's error handling) when the session store cannot be reached or
 * answers slower than its timeout: a store outage. `status` is 503 and `expose` is true, so Express's
 * and Koa's error handlers and an app's own answer 503 with its error page; `headers` carries
 * `Retry-After`. Never means that a session ended: the adapters fail closed (no protected page, no
 * redirect to the login page, nothing counted as activity) and the session carries on afterwards.
 */
export class StoreUnavailableError extends Error {
  /** HTTP status for the app's error page: 503 Service Unavailable. */
  readonly status = 503;
  readonly statusCode = 503;
  readonly expose = true;
  /** Headers for the answer (Koa's and Express's error handling set them): `Retry-After` and `Cache-Control: no-store`. */
  readonly headers: Readonly<Record<string, string>> = Object.freeze({ 'Retry-After': String(RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' });
  constructor(message = 'The session store is unavailable; try again shortly.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The 503 answer of the endpoints and of requests for data while the session store is unavailable:
 * `{"state":"unavailable"}` with `Cache-Control: no-store` and `Retry-After`.
 */
export function unavailableResponse(): EndpointResponse {
  return {
    status: 503,
    headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(RETRY_AFTER_SECONDS) },
    body: { state: 'unavailable' },
  };
}

/**
 * What a store that knows idle-session returns from `get` when it cannot read a session (outage or
 * timeout), instead of an error that the session middleware (express-session, koa-session) would turn
 * into a 500 before the adapter runs: a session holding only this marker. The adapter recognises it
 * with {@link isUnavailableSession}, answers 503 and never writes it back.
 */
export function unavailableSession(): Record<string, unknown> {
  return { [SESSION_KEY]: { unavailable: true } };
}

/** Whether the record stored under `SESSION_KEY` is the marker of {@link unavailableSession}. */
export function isUnavailableRecord(record: unknown): boolean {
  return record !== null && typeof record === 'object' && (record as { unavailable?: unknown }).unavailable === true;
}
