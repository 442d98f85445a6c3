import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent, ExpiryReason } from '@idle-session/express';
import type { DemoConfig } from './config.js';
import { ROUTES } from './pages.js';

/** What the sample app keeps in a session, besides idle-session's own record. */
export interface DemoSession {
  user?: string;
  notes?: string;
}

const ELEMENT_BUNDLE = fileURLToPath(import.meta.resolve('@idle-session/element/bundle'));
const ELEMENT_CHUNKS = join(dirname(ELEMENT_BUNDLE), 'chunks');

/**
 * Files the sample app serves, by URL path: the stylesheet, the element's bundle with the chunks it
 * loads on demand (next to it, in `chunks/`), and the one-line check-tabs script of the login page.
 */
export const ASSET_FILES: Readonly<Record<string, string>> = Object.freeze({
  [ROUTES.styles]: fileURLToPath(new URL('../public/demo.css', import.meta.url)),
  [ROUTES.clockScript]: fileURLToPath(new URL('../public/clock.js', import.meta.url)),
  [ROUTES.element]: ELEMENT_BUNDLE,
  [ROUTES.checkTabs]: fileURLToPath(import.meta.resolve('@idle-session/element/check-tabs-bundle')),
  ...Object.fromEntries(
    readdirSync(ELEMENT_CHUNKS)
      .filter((name) => name.endsWith('.js'))
      .map((name) => [`${dirname(ROUTES.element)}/chunks/${name}`, join(ELEMENT_CHUNKS, name)]),
  ),
});

/** Headers on every response of the sample app. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
});

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

/** The event stream is not activity: only what the user does counts, and EventSource reconnects by itself. */
export function isDemoActivity(path: string): boolean {
  return path !== ROUTES.clock;
}
