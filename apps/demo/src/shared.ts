import { fileURLToPath } from 'node:url';
import type { ExpiryReason } from '@idle-session/express';
import type { DemoConfig } from './config.js';
import { ROUTES } from './pages.js';

/** What the sample app keeps in a session, besides idle-session's own record. */
export interface DemoSession {
  user?: string;
  notes?: string;
}

/** Files the sample app serves, by URL path: the stylesheet and the element's self-contained bundle. */
export const ASSET_FILES: Readonly<Record<string, string>> = Object.freeze({
  [ROUTES.styles]: fileURLToPath(new URL('../public/demo.css', import.meta.url)),
  [ROUTES.element]: fileURLToPath(import.meta.resolve('@idle-session/element/bundle')),
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

/** The idle-session options of the sample app, from its configuration (milliseconds). */
export function policyOptions(config: DemoConfig) {
  return {
    idleTimeout: config.idleTimeoutMs,
    warnBefore: config.warnBeforeMs,
    absoluteTimeout: config.absoluteTimeoutMs,
    prefix: ROUTES.idleSession,
  };
}

/** The durations the pages describe. */
export function pageTimeouts(config: DemoConfig) {
  return { idleTimeoutMs: config.idleTimeoutMs, absoluteTimeoutMs: config.absoluteTimeoutMs };
}
