import type { AuditEvent, ExpiryReason } from '@idle-session/express';
import type { DemoConfig } from './config.js';
import { isAssetPath } from './assets.js';
import { ROUTES } from './pages.js';

/** What the sample app keeps in a session, besides idle-session's own record. */
export interface DemoSession {
  user?: string;
  notes?: string;
}

/** A `?reason=` query value from the guard's redirect, accepted only if it is a known reason. */
export function knownReason(value: unknown): ExpiryReason | null {
  return value === 'idle' || value === 'absolute' ? value : null;
}

/**
 * The sample app's audit log: one JSON line per session event on stdout (OWASP Logging Cheat Sheet: when,
 * what, which session, where; never the cookie or session data), for a log collector to pick up.
 */
export function writeAuditLine(event: AuditEvent): void {
  const { type, sessionId, at, reason, method, path, source } = event;
  console.log(JSON.stringify({ log: 'idle-session', time: new Date(at).toISOString(), event: type, sessionId, reason, method, path, source }));
}

/** The idle-session options of the sample app, from its configuration (milliseconds). */
export function policyOptions(config: DemoConfig) {
  return {
    idleTimeout: config.idleTimeoutMs,
    warnBefore: config.warnBeforeMs,
    absoluteTimeout: config.absoluteTimeoutMs,
    prefix: ROUTES.idleSession,
    audit: writeAuditLine,
  };
}

/** The durations the pages describe. */
export function pageTimeouts(config: DemoConfig) {
  return { idleTimeoutMs: config.idleTimeoutMs, absoluteTimeoutMs: config.absoluteTimeoutMs };
}

/**
 * The server clock's event stream (GET /clock): the time every second, until `signal` (the adapter's
 * `sessionSignal()`) aborts; then an `ended` event naming why (`signed-out`, `idle`, `absolute`) and the end.
 * Returns a function that stops the ticks (call it when the connection closes).
 */
export function streamClock(signal: AbortSignal, write: (chunk: string) => void, end: (chunk: string) => void): () => void {
  const tick = () => write(`data: ${new Date().toISOString()}\n\n`);
  const timer = setInterval(tick, 1_000);
  const stop = () => clearInterval(timer);
  const ended = () => {
    stop();
    end(`event: ended\ndata: ${(signal.reason as { reason?: string } | undefined)?.reason ?? 'none'}\n\n`);
  };
  tick();
  if (signal.aborted) ended();
  else signal.addEventListener('abort', ended, { once: true });
  return stop;
}

/**
 * Which requests count as the user's activity (idle-session's `isActivity`): not the event stream (only
 * what the user does counts, and EventSource reconnects by itself), and never anything under `/assets/`.
 * The assets are answered before the session middleware on every framework, so they never reach it; a
 * request for a path there that is not a file (`/ASSETS/demo.css`, a chunk of an older build) gets a 404
 * from the app, and is not activity either.
 */
export function isDemoActivity(path: string): boolean {
  // Routes match without letter case and with one trailing slash on every framework: /Clock/ is the stream too.
  return path.toLowerCase().replace(/(?<=.)\/$/, '') !== ROUTES.clock && !isAssetPath(path);
}
