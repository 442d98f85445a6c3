import type { ExpiryReason, SessionEndedReason } from '@idle-session/express';
import { describeDuration } from './duration.js';
import { html, type SafeHtml } from './html.js';

/** Paths of the sample app, shared by every server. */
export const ROUTES = Object.freeze({
  home: '/',
  login: '/login',
  logout: '/logout',
  notes: '/notes',
  idleSession: '/idle-session',
  clock: '/clock',
  clockScript: '/assets/clock.js',
  element: '/assets/idle-session-warning.js',
  checkTabs: '/assets/idle-session-check-tabs.js',
  styles: '/assets/demo.css',
});

/** The timeouts the pages describe, in milliseconds. */
export interface PageTimeouts {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

function layout(title: string, body: SafeHtml, csrfToken?: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${csrfToken ? html`<meta name="csrf-token" content="${csrfToken}">` : ''}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · idle-session demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ROUTES.styles}">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.value;
}

/**
 * The sentence that tells a user why they were signed out, or `null` without a reason.
 * Idle: "…after 15 minutes of inactivity."; absolute: "…reached the maximum session length of 8 hours."
 */
export function expiryMessage(reason: ExpiryReason | null, timeouts: PageTimeouts): string | null {
  if (reason === 'idle') {
    return `You were signed out after ${describeDuration(timeouts.idleTimeoutMs)} of inactivity, to protect your account. Please sign in again.`;
  }
  if (reason === 'absolute') {
    return `You were signed out because your session reached the maximum session length of ${describeDuration(timeouts.absoluteTimeoutMs)}. Please sign in again.`;
  }
  return null;
}

/**
 * What a user is told when a form they sent could not be saved because their session ended while it was
 * on its way (a long upload, a sign-out in another tab): nothing was saved, and why.
 */
export function notSavedMessage(reason: SessionEndedReason): string {
  const why =
    reason === 'signed-out'
      ? 'you were signed out (in another tab or window) while they were being sent'
      : reason === 'none'
        ? 'you were not signed in any more'
        : 'your session ended while they were being sent';
  return `Your notes were not saved: ${why}. They are below: copy them, sign in again, and save them again.`;
}

/** The error of a sign-in form posted without a valid CSRF token (a stale form, cookies off, or a forgery). */
export const FORM_EXPIRED_MESSAGE = 'This sign-in form had expired. Please sign in again.';

/** The error of a sign-in attempt refused by the throttling: how long to wait, in whole minutes. */
export function tooManyAttemptsMessage(retryAfterS: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterS / 60));
  return `Too many failed sign-in attempts. For your security, please wait ${describeDuration(minutes * 60_000)} before you try again.`;
}

/**
 * GET /login: the sign-in form, with why the last session ended, or a sign-in error. The form carries the
 * CSRF token of the browser's pre-session (OWASP CSRF Prevention Cheat Sheet, "Login CSRF").
 */
export function loginPage(options: {
  reason: ExpiryReason | null;
  error?: string;
  username?: string;
  /** Where to go after signing in: a path already checked by `safeNextPath`, or `null` for the start page. */
  next?: string | null;
  timeouts: PageTimeouts;
  csrfToken: string;
}): string {
  const notice = expiryMessage(options.reason, options.timeouts);
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
${notice ? html`<p class="notice" role="status" id="expiry-reason">${notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert" id="login-error">${options.error}</p>` : ''}
<form method="post" action="${ROUTES.login}" class="card">
${csrfField(options.csrfToken)}
${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : ''}
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required value="${options.username ?? ''}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<p class="hint">Demo account: <kbd>demo</kbd> / <kbd>demo</kbd>. You are signed out after ${describeDuration(options.timeouts.idleTimeoutMs)} of inactivity.</p>
<script type="module" src="${ROUTES.checkTabs}"></script>`,
  );
}

/**
 * The answer to a notes form whose session ended while it was on its way: nothing was saved, why, the
 * notes to copy, and a link to sign in again (a link, not a form: the session the page was sent with has
 * ended, so no token of it could sign in).
 */
export function notSavedPage(options: { reason: SessionEndedReason; unsaved: string; timeouts: PageTimeouts }): string {
  const reason = options.reason === 'idle' || options.reason === 'absolute' ? options.reason : null;
  return layout(
    'Notes not saved',
    html`<h1>Your notes were not saved</h1>
<p class="error" role="alert" id="not-saved">${notSavedMessage(options.reason)}</p>
<div class="card"><label for="unsaved-notes">Your notes (not saved)</label>
<textarea id="unsaved-notes" rows="8" readonly>${options.unsaved}</textarea></div>
<p><a href="${ROUTES.login}${reason ? `?reason=${reason}` : ''}" id="sign-in-again">Sign in again</a></p>
<script type="module" src="${ROUTES.checkTabs}"></script>`,
  );
}

/**
 * How the warning looks on the home page: `default`, or `themed`, the element restyled through its CSS
 * custom properties and parts and translated into German (`lang="de"`), to show both in one app.
 */
export type Look = 'default' | 'themed';

/** The `?look=` query value, accepted only if known. */
export function knownLook(value: unknown): Look {
  return value === 'themed' ? 'themed' : 'default';
}

/** GET /: the signed-in page with the warning element and a long form to type into. */
export function homePage(options: { username: string; savedNotes: string | null; timeouts: PageTimeouts; look?: Look; csrfToken: string }): string {
  const themed = options.look === 'themed';
  return layout(
    'Your notes',
    html`<header class="bar">
  <h1>Hello, ${options.username}</h1>
  <form method="post" action="${ROUTES.logout}">${csrfField(options.csrfToken)}<button type="submit" class="secondary">Sign out</button></form>
</header>
<p>For your security you are signed out after ${describeDuration(options.timeouts.idleTimeoutMs)} of inactivity. Typing here counts as activity: the page tells the server you are still here.</p>
${options.savedNotes !== null ? html`<p class="notice" role="status" id="saved">Your notes were saved.</p>` : ''}
<form method="post" action="${ROUTES.notes}" class="card" id="notes-form">
${csrfField(options.csrfToken)}
  <label for="subject">Subject</label>
  <input id="subject" name="subject" autocomplete="off">
  <label for="notes">Notes</label>
  <textarea id="notes" name="notes" rows="18">${options.savedNotes ?? ''}</textarea>
  <button type="submit">Save notes</button>
</form>
<p class="hint">Server time: <output id="server-clock" aria-live="off">…</output> (an event stream that stops when the session ends)</p>
<p class="hint">Warning style: ${themed ? html`<a href="${ROUTES.home}">default</a> · <strong>themed, in German</strong>` : html`<strong>default</strong> · <a href="${ROUTES.home}?look=themed">themed, in German</a>`}</p>
<idle-session-warning endpoint="${ROUTES.idleSession}" login-url="${ROUTES.login}" logout-url="${ROUTES.logout}" keep-drafts draft-owner="${options.username}"${themed ? html` lang="de" class="themed"` : ''}></idle-session-warning>
<script type="module" src="${ROUTES.element}"></script>
<script type="module" src="${ROUTES.clockScript}"></script>`,
    options.csrfToken,
  );
}

/** The hidden form field that carries the CSRF token (`_csrf`, as koa-csrf reads it; the Express app reads it too). */
function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** A plain error page: a status and one sentence, never a stack trace. */
export function errorPage(status: number): string {
  const message =
    status === 404
      ? 'There is no page here.'
      : status < 500
        ? 'The request could not be understood. Please go back and try again.'
        : 'Something went wrong on our side. Please try again.';
  return layout(`Error ${status}`, html`<h1>Error ${status}</h1>
<p>${message}</p>
<p><a href="${ROUTES.home}">Go to the start page</a></p>`);
}
