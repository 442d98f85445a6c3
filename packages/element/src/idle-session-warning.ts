import { html, LitElement, nothing, type TemplateResult } from 'lit';
import type { ActiveStatusBody, ExpiryReason, StatusBody } from '@idle-session/core';
import { ActivityController, DOCUMENT_ACTIVITY_EVENTS, WINDOW_ACTIVITY_EVENTS } from './activity-controller.js';
import {
  ACTIVITY_EVENT,
  BUSY_EVENT,
  IdleSessionExpiredEvent,
  IdleSessionExtendedEvent,
  IdleSessionSignedOutEvent,
  IdleSessionStateChangeEvent,
  IdleSessionWarningShownEvent,
  type BusyDetail,
} from './events.js';
import { formatCountdown, formatDuration } from './format.js';
import { fill, loadLocale, splitAt, stringsFor, type IdleSessionStrings } from './strings.js';
import { signInAgainHref } from './return-link.js';
import { requestStatus } from './status-client.js';
import { styles } from './styles.js';
import { channelName, TabSync, type TabMessage } from './tab-sync.js';

type Drafts = typeof import('./drafts.js');
let drafts: Promise<Drafts> | undefined;
/**
 * The drafts module: a separate chunk, loaded once, only by elements with `keep-drafts`. After a failed
 * fetch it is asked for again at the next need; today's browsers keep a failed module in their module
 * map (whatwg/html#6768, fixed in the spec by whatwg/html#10327, not yet shipped), so that retry works
 * only where the fix has shipped, and drafts are otherwise off until the page reloads.
 */
const loadDrafts = (): Promise<Drafts> =>
  (drafts ??= import('./drafts.js').catch((error: unknown) => {
    drafts = undefined;
    throw error;
  }));

/** The tag name that `@idle-session/element/define` registers: `idle-session-warning`. */
export const TAG_NAME = 'idle-session-warning';

/**
 * What the element is showing, reflected on the host as the read-only `state` attribute:
 * - `none`: no tracked session (anonymous page, or not yet known); hidden and inert.
 * - `active`: signed in, no dialog; activity sends keep-alives.
 * - `warning`: the modal warning with the countdown, "Stay signed in" and "Sign out".
 * - `expired`: the session ended through a timeout (idle or absolute); modal, with "Sign in again".
 * - `signed-out`: signed out (here, in another tab, or the server reports no session any more); modal, with "Sign in again".
 * - `unreachable`: the deadline passed and the server could not be reached; modal, with "Try again".
 * - `other-session`: this page was built for a session that is no longer the browser's (the user signed
 *   in again, in another tab); modal, with "Reload page". It sends nothing more for either session.
 */
export type IdleSessionState = 'none' | 'active' | 'warning' | 'expired' | 'signed-out' | 'unreachable' | 'other-session';

/**
 * Why an action of {@link IdleSessionWarning.extend}, {@link IdleSessionWarning.signOut} or
 * {@link IdleSessionWarning.retry} did not succeed:
 * - `pending`: another action is still on its way; nothing was sent.
 * - `no-session`: there is no live session to act on (state `none`, `expired`, `signed-out`,
 *   `other-session`; for `extend()` also `unreachable`: use `retry()`); nothing was sent.
 * - `failed`: the request failed (network, timeout, an error status, a malformed answer); nothing
 *   changed, the user may well still be signed in. The element retries by itself as usual.
 * - `ended`: the server answered that the session has ended (`state` is now `expired` or `signed-out`).
 * - `absolute`: `extend()` reached the server, but the maximum session length ends the session
 *   before the warning time: nothing can extend it (`reason` is now `'absolute'`; call `extend()`
 *   again to acknowledge, as "Continue" does).
 */
export type IdleSessionActionError = 'pending' | 'no-session' | 'failed' | 'ended' | 'absolute';

/** What `extend()`, `signOut()` and `retry()` resolve with (they never reject). */
export interface IdleSessionActionResult {
  /** Whether the action did what it was asked (the server confirmed it). */
  readonly ok: boolean;
  /** The element's state once the action is over. */
  readonly state: IdleSessionState;
  /** Why not, when `ok` is `false`; `null` when `ok`. */
  readonly error: IdleSessionActionError | null;
}

/** The states in which the session of this page has ended: an opaque cover hides the page (see `keep-page-visible`). */
const ENDED: readonly IdleSessionState[] = ['expired', 'signed-out', 'other-session'];

/** Delays between retries after a failed request, in milliseconds; the last one repeats. */
export const BACKOFF_MS: readonly number[] = Object.freeze([1_000, 2_000, 5_000, 10_000, 30_000, 60_000]);

/** The live-region message gives a final cue when this many milliseconds are left (WCAG 2.2 SC 2.2.1 asks for at least 20 s). */
export const FINAL_CUE_MS = 20_000;

/** The longest delay `setTimeout` honours (2^31 − 1 ms); longer waits are chained. */
export const MAX_TIMEOUT_MS = 2_147_483_647;
/**
 * How long a busy period (see `beginBusy()`) lasts at most when no `maxMs` is given: 60 minutes.
 * It ends then by itself, even if the page forgets to end it.
 */
export const BUSY_MAX_MS = 60 * 60_000;
const WARN_SLACK_MS = 500;
const MIN_RECHECK_MS = 1_000;
const VISIBLE_RESYNC_MS = 5_000;
/** Activity less than this after the last activity the server knows of is not worth a keep-alive. */
const MIN_GAIN_MS = 1_000;
/** Closer than this to the warning, the element wakes every {@link wakeIntervalMs} to notice a sleep at once. */
const NEAR_MS = 10 * 60_000;
/** Further from the warning than {@link NEAR_MS}, it wakes at least this often. */
const FAR_WAKE_MS = 60 * 60_000;
/** A change of `Date.now() − performance.now()` larger than this means the wall clock jumped (sleep, or the clock was set). */
const CLOCK_JUMP_MS = 2_000;
/** Random spread of a deferred keep-alive, so two tabs with pending activity do not send at the same instant. */
const FLUSH_JITTER_MS = 250;
/** After a `check` from another tab, the server is asked at once and once more this much later (a sign-out may still be on its way). */
const CHECK_AGAIN_MS = 1_500;

/** `m:ss`, for the document title. */
function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** Whether two URLs name the same path on the same origin (query and hash aside). */
function samePath(a: string, b: string): boolean {
  try {
    const x = new URL(a, location.href);
    const y = new URL(b, location.href);
    return x.origin === y.origin && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

/**
 * How often the element compares the wall clock with its deadlines in the last 10 minutes before
 * the warning: a tenth of the warning lead, between 1 and 10 s. A computer that slept through the
 * warning time is noticed that long after it wakes (its timers stood still while it slept), so
 * the user keeps at least nine tenths of the warning.
 */
export function wakeIntervalMs(body: Pick<ActiveStatusBody, 'warnBeforeMs'>): number {
  return Math.max(1_000, Math.min(10_000, Math.floor(body.warnBeforeMs / 10)));
}

/**
 * The least time between two activity keep-alives, in milliseconds:
 * `min(60 000, (idleTimeoutMs − warnBeforeMs) / 3)`, at least 1 000. Three chances to report
 * activity before the warning is due, at most one request a minute.
 */
export function keepAliveIntervalMs(body: Pick<ActiveStatusBody, 'idleTimeoutMs' | 'warnBeforeMs'>): number {
  return Math.max(1_000, Math.min(60_000, Math.floor((body.idleTimeoutMs - body.warnBeforeMs) / 3)));
}

function isAbsoluteBound(body: ActiveStatusBody): boolean {
  return body.absoluteRemainingMs !== null && body.absoluteRemainingMs <= body.idleRemainingMs;
}

function deepActiveElement(): HTMLElement | null {
  let active: Element | null = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active instanceof HTMLElement && active !== document.body ? active : null;
}

type Source = 'auto' | 'user';

/** Where focus was before the dialog opened: the element and, for a text field, its selection. */
interface FocusMemory {
  readonly element: HTMLElement;
  readonly selection: readonly [number, number, 'forward' | 'backward' | 'none'] | null;
}

function rememberFocus(): FocusMemory | null {
  const element = deepActiveElement();
  if (!element) return null;
  let selection: FocusMemory['selection'] = null;
  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
    try {
      if (element.selectionStart !== null && element.selectionEnd !== null) {
        selection = [element.selectionStart, element.selectionEnd, element.selectionDirection ?? 'none'];
      }
    } catch {
      // Input types without a selection (number, email…).
    }
  }
  return { element, selection };
}

function restoreFocus(memory: FocusMemory | null): void {
  if (!memory?.element.isConnected) return;
  const { element, selection } = memory;
  element.focus({ preventScroll: true });
  if (selection && (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement)) {
    try {
      element.setSelectionRange(selection[0], selection[1], selection[2]);
    } catch {
      // The field changed type meanwhile.
    }
  }
}

/**
 * `<idle-session-warning>`: warns before a server-side idle timeout ends the session, lets the user
 * extend it with one action, and says why the session ended (WCAG 2.2 SC 2.2.1 Timing Adjustable;
 * GOV.UK timeout-warning pattern). Every timing comes from the server's `GET {endpoint}/status`
 * (see `@idle-session/core`, `StatusBody`); deadlines are `Date.now()` at receipt plus the server's
 * `remainingMs`, never a comparison of clocks.
 *
 * Attributes / properties (read when the element connects):
 * - `endpoint` / `endpoint`: URL prefix of the endpoints, default `/idle-session`.
 * - `login-url` / `loginUrl`: the "Sign in again" link, default `/login`; on the same origin the element
 *   adds `reason=` and `next=` (this page's path and query), so that signing in can lead back here.
 * - `logout-url` / `logoutUrl`: "Sign out" POSTs there, default `/logout`, with the CSRF token of
 *   `csrf-token` / `<meta name="csrf-token">` (field `csrf-field`, default `_csrf`, and header `X-CSRF-Token`).
 * - `state` (read-only, reflected): see {@link IdleSessionState}.
 *
 * Behaviour: while the user is active (pointer, keys, wheel, touch, scroll, input) it sends at most one
 * `POST {endpoint}/keepalive` per {@link keepAliveIntervalMs}, none without activity. Before warning and
 * before declaring expiry it asks the status endpoint again. The warning is a modal `<dialog>` with
 * `role="alertdialog"`; Escape does not close it; Tab stays inside; focus returns to the same field and
 * selection; activity while it is open does not extend.
 *
 * Tabs: every element of one origin and `endpoint` talks to the others over a `BroadcastChannel` (or
 * `storage` events), see {@link TabSync}: one keep-alive stream for all tabs, a confirmed extension
 * closes the warning everywhere, and an ending in one tab ends the others. Messages are validated,
 * name the session by its `sessionId`, and can only move a deadline later; each tab keeps its own timers.
 * The page's own sign-out form or link (one that leads to `logout-url`), a page that loads without a
 * session (such as the login page, with this element or the one-line `@idle-session/element/check-tabs`
 * script), and a page of a newer session make every other tab ask the server at once: they show the
 * ending, or `other-session`, within about 1.5 s. Keep-alives name their session (`X-Idle-Session-Id`),
 * so a tab never extends a session it was not built for. A tab re-checks when the user comes back to it
 * (focus, `visibilitychange`, `pageshow` from the back-forward cache) if its last answer is older than 5 s.
 *
 * Once ended (`expired`, `signed-out`, `other-session`) an opaque cover hides the page (health and
 * banking screens must not stay legible after the user walked away; OWASP Session Management Cheat
 * Sheet), and the modal dialog keeps the page inert and out of the accessibility tree; opt out with
 * `keep-page-visible`. The warning stays above dialogs the app opens later and above pages the app
 * makes inert. While it is up in a tab the user is not looking at, `document.title` carries the
 * countdown (once a second, no live-region noise) and is put back exactly after extending or on
 * return; after an ending the title says so. An element that cannot be seen (inside `display: none`)
 * says so once in the console and signals through the title instead.
 *
 * Activity inside same-origin iframes counts (loaded when the user first focuses a frame, or at once
 * when `activity-origins` is set); cross-origin frames may post `{ type: 'idle-session-activity' }` to
 * this window from an origin listed in `activity-origins` (space-separated).
 *
 * Activity only the page knows about: `reportActivity()` or the `idle-session-activity` event (like
 * a key press); busy periods (`beginBusy()` or the `idle-session-busy` event) keep the session alive
 * without input at the keep-alive pace, never past the absolute timeout, and end by themselves.
 *
 * Headless (attribute `headless`): renders nothing and does everything else; the page's own UI follows
 * `idle-session-state-change`, `state`, `remainingMs` and `reason`, and calls `extend()`, `signOut()`, `retry()`.
 *
 * Events (all bubble and are composed): `idle-session-warning-shown` ({@link IdleSessionWarningShownEvent},
 * `detail.remainingMs`), `idle-session-extended` ({@link IdleSessionExtendedEvent}, `detail.remainingMs`),
 * `idle-session-expired` ({@link IdleSessionExpiredEvent}, `detail.reason`), `idle-session-signed-out`,
 * `idle-session-state-change` ({@link IdleSessionStateChangeEvent}, `detail.state`, `previous`, `remainingMs`, `reason`).
 *
 * CSS parts: `dialog`, `title`, `message`, `countdown`, `note`, `extend-button`, `sign-out-button`,
 * `retry-button`, `login-link`. Custom properties: see `styles`.
 *
 * @fires idle-session-warning-shown
 * @fires idle-session-extended
 * @fires idle-session-expired
 * @fires idle-session-signed-out
 * @fires idle-session-state-change
 * @csspart dialog - the `<dialog>`.
 * @csspart title - the heading that names the dialog.
 * @csspart message - the text that describes the dialog.
 * @csspart countdown - the visible time left inside the message (not a live region).
 * @csspart note - an error note after a failed button action.
 * @csspart extend-button - "Stay signed in" (or "Continue" when the maximum session length cannot be extended).
 * @csspart sign-out-button - "Sign out".
 * @csspart retry-button - "Try again" in the unreachable state.
 * @csspart login-link - "Sign in again".
 * @csspart reload-button - "Reload page" in the other-session state.
 */
export class IdleSessionWarning extends LitElement {
  static override styles = styles;

  static override properties = {
    endpoint: { type: String },
    loginUrl: { type: String, attribute: 'login-url' },
    logoutUrl: { type: String, attribute: 'logout-url' },
    strings: { type: Object },
    keepDrafts: { type: Boolean, attribute: 'keep-drafts' },
    draftOwner: { type: String, attribute: 'draft-owner' },
    describeTimeout: { type: Boolean, attribute: 'describe-timeout' },
    csrfToken: { type: String, attribute: 'csrf-token' },
    csrfField: { type: String, attribute: 'csrf-field' },
    keepPageVisible: { type: Boolean, attribute: 'keep-page-visible', reflect: true },
    draftMaxAgeMs: { type: Number, attribute: 'draft-max-age-ms' },
    activityOrigins: { type: String, attribute: 'activity-origins' },
    headless: { type: Boolean, reflect: true },
  };

  /**
   * Attribute `headless`: render nothing (no dialog, no backdrop or cover, nothing in the shadow
   * root) and keep doing everything else: deadlines, keep-alives, tabs, drafts, the title cue,
   * the `state` attribute and the events. The page shows its own UI, driven by `state`,
   * `remainingMs`, `reason`, `extend()`, `signOut()`, `retry()` and `idle-session-state-change`.
   */
  declare headless: boolean;

  /**
   * Attribute `keep-page-visible`: in the ended states, keep the translucent backdrop of the warning
   * instead of the opaque cover (only for pages that show nothing confidential).
   */
  declare keepPageVisible: boolean;
  /**
   * The longest a kept draft may wait to be restored, in milliseconds (attribute `draft-max-age-ms`);
   * older drafts are deleted unread. Default: the drafts module's `DRAFT_MAX_AGE_MS` (24 hours). Set it
   * to your absolute timeout, so a draft never outlives the longest session.
   */
  declare draftMaxAgeMs: number | null;
  /**
   * Origins (attribute `activity-origins`, space-separated, exact, such as `https://editor.example`)
   * whose frames may report activity with `parent.postMessage({ type: 'idle-session-activity' }, origin)`.
   * The message means only "the user is active"; nothing else in it is trusted.
   */
  declare activityOrigins: string | null;

  /**
   * Replacements for any visible string (see `IdleSessionStrings`), as a property or as the `strings`
   * attribute in JSON: `strings='{"extend":"Keep me signed in"}'`. Unknown keys and non-strings are ignored.
   * The built-in language (English, German) follows the nearest `lang` attribute.
   */
  declare strings: Partial<IdleSessionStrings> | null;
  /**
   * Opt-in (attribute `keep-drafts`): when the session ends through a timeout, keep the user's unsent
   * input (form fields, `contenteditable` regions, fields in open shadow roots, form-associated custom
   * elements, hidden fields marked `data-idle-session-draft`; never password or file fields) in
   * `sessionStorage`, as plaintext, and put it back when the same user (`draft-owner`) comes back to
   * this page signed in; cleared after restoring and on sign-out, deleted when another owner signs in
   * or after `draft-max-age-ms`. Cancel the `idle-session-expired` event to save drafts your own way instead.
   */
  declare keepDrafts: boolean;
  /** A non-secret identifier of the signed-in user (attribute `draft-owner`), so drafts never reach another user. */
  declare draftOwner: string | null;
  /**
   * Attribute `describe-timeout`: state up front, next to the element, how long inactivity is allowed
   * (WCAG 2.2 SC 2.2.6 Timeouts), in a paragraph with part `timeout-notice`.
   */
  declare describeTimeout: boolean;

  /** URL prefix of the status and keep-alive endpoints (attribute `endpoint`). Default `/idle-session`. */
  declare endpoint: string;
  /** Where "Sign in again" leads (attribute `login-url`). Default `/login`. */
  declare loginUrl: string;
  /** Where "Sign out" POSTs a form (attribute `logout-url`). Default `/logout`. */
  declare logoutUrl: string;
  /**
   * The CSRF token "Sign out" sends (attribute `csrf-token`), for apps with CSRF protection (OWASP CSRF
   * Prevention Cheat Sheet, synchronizer token). Default: the `content` of `<meta name="csrf-token">`, if any.
   * Sent as the form field {@link csrfField} and as the `X-CSRF-Token` header.
   */
  declare csrfToken: string | null;
  /** The form field that carries the CSRF token (attribute `csrf-field`). Default `_csrf`. */
  declare csrfField: string;

  #state: IdleSessionState = 'none';
  #session: ActiveStatusBody | null = null;
  #hadSession = false;
  #deadline = 0;
  #warnAt = 0;
  #interval = 60_000;
  #reason: ExpiryReason | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #abort: AbortController | null = null;
  #inflight = 0;
  #seq = 0;
  #appliedSeq = 0;
  #failures = 0;
  #lastResponseAt = 0;
  #lastDeadlineCheck = -Infinity;
  /** `Date.now()` of the last activity event in this tab. */
  #lastActivityAt = -Infinity;
  /** When, by this tab's clock, the server last recorded activity (from the last status body). */
  #reportedAt = -Infinity;
  /** When a message from another tab last moved the deadline. */
  #tabAppliedAt = -Infinity;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #sync: TabSync | null = null;
  /** `Date.now() − performance.now()` when last looked at; it changes when the wall clock jumps. */
  #clockOffset = Number.NaN;
  #nextKeepAliveAt = 0;
  #busy = false;
  #dismissedAbsolute = false;
  #note = '';
  #liveKey = '';
  #liveText = '';
  #returnFocus: FocusMemory | null = null;
  #renderedState: IdleSessionState = 'none';
  /** Whether this element already told the other tabs which session its page belongs to. */
  #announced = false;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #stopFrames: (() => void) | null | undefined;
  /** The document title before this element changed it, or `null` while it shows no cue. */
  #titleBase: string | null = null;
  #titleSet = '';
  /** The dialog could not be seen (a hidden container): the title signals instead. */
  #unseen = false;
  /** Ancestors made inert by the app, made usable while the dialog is up, and inert again after. */
  #uninerted: Element[] = [];
  #observer: MutationObserver | null = null;
  /** Open busy periods of this tab: key (an object for `beginBusy()`, the id for the event) → when it ends by itself. */
  #periods = new Map<unknown, number>();

  constructor() {
    super();
    this.endpoint = '/idle-session';
    this.loginUrl = '/login';
    this.logoutUrl = '/logout';
    this.strings = null;
    this.keepDrafts = false;
    this.draftOwner = null;
    this.describeTimeout = false;
    this.csrfToken = null;
    this.csrfField = '_csrf';
    this.keepPageVisible = false;
    this.draftMaxAgeMs = null;
    this.activityOrigins = null;
    this.headless = false;
    new ActivityController(this, this.#onActivity, this.#onVisible);
  }

  /** The current state (read-only); also reflected as the `state` attribute. */
  get state(): IdleSessionState {
    return this.#state;
  }

  /** Milliseconds left before the session ends by the last server answer, or `null` without a session. */
  get remainingMs(): number | null {
    return this.#session && this.#isLive()
      ? Math.max(0, this.#deadline - Date.now())
      : null;
  }

  /**
   * Why the session will end if nothing is done (`active`, `warning`, `unreachable`): `'absolute'`
   * when the maximum session length comes first (nothing can extend it: offer "Continue" rather than
   * "Stay signed in"), else `'idle'`; in `expired`, why it ended; otherwise `null`.
   */
  get reason(): ExpiryReason | null {
    const session = this.#session;
    if (this.#state === 'expired') return this.#reason;
    return session && this.#isLive() ? (isAbsoluteBound(session) ? 'absolute' : 'idle') : null;
  }

  /** Asks the status endpoint again now (never extends the session) and acts on the answer. */
  refresh(): void {
    if (this.isConnected) void this.#send('status', 'auto');
  }

  /**
   * Tells the element "the user is active", for activity it cannot see (a video playing, a message
   * sent over a WebSocket). Counts exactly like a key press: at most one keep-alive per
   * {@link keepAliveIntervalMs}, nothing while the warning is up (the user decides there) or once
   * the warning time has passed unnoticed (that triggers a status check instead). Code without a
   * reference to the element dispatches the `idle-session-activity` event instead ({@link ACTIVITY_EVENT}).
   */
  reportActivity(): void {
    this.#onActivity();
  }

  /**
   * Opens a busy period ("an upload is running"): while one is open, this tab keeps the session
   * alive without user input, with one keep-alive per {@link keepAliveIntervalMs} (counted from the
   * last activity the server knows of, so other tabs' keep-alives count too), and the warning does
   * not come for inactivity. It never keeps a session past its maximum length: once the absolute
   * timeout is what ends the session, it sends nothing more and the usual warning comes. It does
   * not close a warning that is already up. Busy periods belong to this tab only.
   *
   * @param options.maxMs - the period ends by itself this many milliseconds later, even if the page
   *   forgets to end it; default {@link BUSY_MAX_MS} (60 minutes).
   * @returns a function that ends the period; calling it again does nothing.
   */
  beginBusy(options: { maxMs?: number } = {}): () => void {
    const key = {};
    this.#beginBusy(key, options.maxMs);
    return () => void this.#periods.delete(key);
  }

  /**
   * What "Stay signed in" does: a keep-alive, answered by the server. When the maximum session
   * length ends the session within the warning time, nothing can extend it: like "Continue", it
   * closes the warning (state `active`) without a request, and resolves `ok`. Works in `active`
   * and `warning`. Never rejects.
   */
  async extend(): Promise<IdleSessionActionResult> {
    const session = this.#session;
    if (this.#busy || (this.#state !== 'active' && this.#state !== 'warning')) return this.#result(this.#busy ? 'pending' : 'no-session');
    if (session && isAbsoluteBound(session) && this.#deadline - Date.now() <= session.warnBeforeMs) {
      // Nothing can extend the maximum session length: acknowledge and let the user keep working.
      this.#dismissedAbsolute = true;
      this.#warnAt = this.#deadline;
      this.#setState('active');
      this.#schedule(this.#deadline);
      return this.#result(null);
    }
    const answered = await this.#send('keepalive', 'user');
    return this.#result(!answered ? 'failed' : this.#state === 'active' ? null : this.#isLive() ? 'absolute' : 'ended');
  }

  /** What "Try again" does: asks the status endpoint now; `ok` once the server answered (then see `state`). Never rejects. */
  async retry(): Promise<IdleSessionActionResult> {
    if (this.#busy || !this.#isLive()) return this.#result(this.#busy ? 'pending' : 'no-session');
    this.#failures = 0;
    return this.#result((await this.#send('status', 'user')) ? null : 'failed');
  }

  #result(error: IdleSessionActionError | null): IdleSessionActionResult {
    return { ok: !error, state: this.#state, error };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#abort = new AbortController();
    this.#sync = new TabSync(channelName(this.endpoint), this.#onTabMessage);
    this.#reflect();
    // Connected again after a move: render again, so that a dialog that was up is made modal again.
    this.requestUpdate();
    // What editable regions hold before the user types is their default, never a draft.
    this.#withDrafts((module) => module.rememberDefaults(document));
    document.addEventListener('submit', this.#onLeave, true);
    document.addEventListener('click', this.#onLeave, true);
    window.addEventListener('blur', this.#onBlur);
    window.addEventListener(ACTIVITY_EVENT, this.#onActivity, true);
    window.addEventListener(BUSY_EVENT, this.#onBusy, true);
    if (this.activityOrigins || document.querySelector('iframe,frame')) this.#watchFrames();
    void this.#send('status', 'auto');
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#abort?.abort();
    this.#abort = null;
    this.#sync?.close();
    this.#sync = null;
    this.#inflight = 0;
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#checkTimer);
    this.#timer = this.#retryTimer = this.#flushTimer = this.#checkTimer = undefined;
    document.removeEventListener('submit', this.#onLeave, true);
    document.removeEventListener('click', this.#onLeave, true);
    window.removeEventListener('blur', this.#onBlur);
    window.removeEventListener(ACTIVITY_EVENT, this.#onActivity, true);
    window.removeEventListener(BUSY_EVENT, this.#onBusy, true);
    this.#stopFrames?.();
    this.#stopFrames = undefined;
    this.#observer?.disconnect();
    this.#observer = null;
    this.#cueTitle('');
  }

  /**
   * Runs `use` with the drafts module (loaded once) and `sessionStorage`, with `keep-drafts` only.
   * Storage that throws (sandboxed frames, blocked storage) means no drafts, never an error.
   */
  #withDrafts(use: (module: Drafts, storage: Storage) => void): void {
    if (this.keepDrafts) void loadDrafts().then((module) => use(module, sessionStorage)).catch(() => undefined);
  }

  /** Activity inside frames: the frames module is loaded on first need (see `frame-activity.ts`). */
  #watchFrames(): void {
    if (this.#stopFrames !== undefined) return;
    this.#stopFrames = null;
    void import('./frame-activity.js').then(({ watchFrameActivity }) => {
      if (this.#stopFrames !== null) return; // disconnected meanwhile
      const origins = (this.activityOrigins ?? '').split(/\s+/).filter(Boolean);
      const events = { window: WINDOW_ACTIVITY_EVENTS, document: DOCUMENT_ACTIVITY_EVENTS };
      try {
        this.#stopFrames = watchFrameActivity(document, this.#onActivity, events, { origins });
      } catch (error) {
        console.error(`<${TAG_NAME} activity-origins>: ${(error as Error).message}`);
      }
    }, () => {
      // The chunk could not be fetched (offline): asked for again at the next focus in a frame (see loadDrafts on browsers that cache the failure).
      if (this.#stopFrames === null) this.#stopFrames = undefined;
    });
  }

  /** Focus moved into a frame (the window blurs, the frame is the active element): watch frames. */
  #onBlur = (): void => {
    if (document.activeElement?.localName.endsWith('frame')) this.#watchFrames();
  };

  /**
   * The page's own sign-out (a form or link that leads to `logout-url`): tell the other tabs to ask
   * the server, and drop this page's draft (a sign-out is deliberate). The page itself goes on as the app wants.
   */
  #onLeave = (event: Event): void => {
    let url: string | undefined;
    if (event.type === 'submit') {
      const form = event.target as HTMLFormElement;
      const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
      url = submitter?.hasAttribute('formaction') ? submitter.formAction : form.action;
    } else {
      url = event.composedPath().find((node): node is HTMLAnchorElement => node instanceof HTMLAnchorElement)?.href;
    }
    if (!url || !samePath(url, this.logoutUrl) || !this.#session) return;
    this.#withDrafts((module, storage) => module.clearDraft(storage, location.pathname));
    this.#sync?.post({ type: 'check', sessionId: null });
  };

  /** Asks the server now and once more {@link CHECK_AGAIN_MS} later, while this tab's session is live. */
  #check(): void {
    if (!this.#isLive()) return;
    if (this.#inflight === 0) void this.#send('status', 'auto');
    clearTimeout(this.#checkTimer);
    this.#checkTimer = setTimeout(() => {
      if (this.#isLive() && this.#inflight === 0) void this.#send('status', 'auto');
    }, CHECK_AGAIN_MS);
  }

  #isLive(): boolean {
    return this.#state === 'active' || this.#state === 'warning' || this.#state === 'unreachable';
  }

  // ---- networking -------------------------------------------------------------------------------

  /** Sends a request and acts on the answer; resolves `true` once the server answered (`false`: failed, or disconnected). */
  async #send(name: 'status' | 'keepalive', source: Source): Promise<boolean> {
    const signal = this.#abort?.signal;
    if (!signal) return false;
    const seq = ++this.#seq;
    const sentAt = Date.now();
    if (name === 'keepalive') {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
      const sessionId = this.#session?.sessionId;
      if (sessionId) this.#sync?.post({ type: 'sending', sessionId });
    }
    if (source === 'user') {
      this.#busy = true;
      this.#note = '';
      this.requestUpdate();
    }
    this.#inflight++;
    const result = await requestStatus(this.endpoint, name, signal, this.#session?.sessionId);
    if (signal.aborted) return false;
    this.#inflight--;
    if (source === 'user') {
      this.#busy = false;
      this.requestUpdate();
    }
    if (seq < this.#appliedSeq) return result.ok;
    if (!result.ok) {
      this.#onFailure(source);
      return false;
    }
    this.#appliedSeq = seq;
    this.#failures = 0;
    this.#lastResponseAt = result.receivedAt;
    clearTimeout(this.#retryTimer);
    if (name === 'keepalive') this.#nextKeepAliveAt = Math.max(this.#nextKeepAliveAt, sentAt + this.#interval);
    const body = result.body;
    if (
      body.state === 'active' &&
      sentAt < this.#tabAppliedAt &&
      body.sessionId === this.#session?.sessionId &&
      result.receivedAt + body.remainingMs < this.#deadline
    ) {
      // Overtaken by a later deadline another tab reported while this request was on its way.
      if (this.#state === 'active') this.#schedule(this.#warnAt);
      return true;
    }
    if (!this.#announced) {
      // This page now knows which session (if any) the browser has: tabs built for another one ask the server.
      this.#announced = true;
      this.#sync?.post({ type: 'check', sessionId: body.state === 'active' ? body.sessionId : null });
    }
    this.#apply(body, result.receivedAt, name === 'keepalive', source);
    if (body.state === 'active' && body.sessionId && this.#isLive()) {
      this.#sync?.post({ type: 'status', sessionId: body.sessionId, receivedAt: result.receivedAt, body });
    }
    return true;
  }

  #onFailure(source: Source): void {
    const delay = BACKOFF_MS[Math.min(this.#failures, BACKOFF_MS.length - 1)] ?? 60_000;
    this.#failures++;
    const now = Date.now();
    if (source === 'user') {
      this.#note = this.#t().requestFailed;
      this.#liveText = this.#note;
    }
    switch (this.#state) {
      case 'none':
        if (!this.#hadSession) this.#retry(delay);
        break;
      case 'active':
        this.#nextKeepAliveAt = now + delay;
        this.#scheduleFlush();
        if (now >= this.#warnAt) {
          // Cannot confirm: warn on the last known deadline, so the user can still act.
          this.#showWarning();
          this.#retry(delay);
        }
        break;
      case 'warning':
        if (now >= this.#deadline) {
          this.#setState('unreachable');
        }
        this.#retry(delay);
        break;
      case 'unreachable':
        this.#retry(delay);
        break;
      default:
        break;
    }
    this.requestUpdate();
  }

  #retry(delay: number): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#inflight === 0) void this.#send('status', 'auto');
    }, delay);
  }

  #apply(body: StatusBody, receivedAt: number, fromKeepAlive: boolean, source: Source): void {
    if (body.state === 'expired') {
      this.#end(body.reason);
      return;
    }
    if (body.state === 'none') {
      if (this.#hadSession) this.#end(null);
      else this.#setState('none');
      return;
    }
    const known = this.#session?.sessionId;
    if (known && body.sessionId && body.sessionId !== known) {
      // The browser's session is another one now: this page was built for the old one.
      this.#end(null, false, 'other-session');
      return;
    }
    const previous = this.#state;
    const previousDeadline = this.#deadline;
    const first = !this.#hadSession;
    this.#session = body;
    this.#hadSession = true;
    if (first) {
      this.#withDrafts((module, storage) => {
        const options = { owner: this.draftOwner, maxAgeMs: this.draftMaxAgeMs ?? module.DRAFT_MAX_AGE_MS };
        // Drafts of another user, or too old, are deleted unread; this page's own is put back.
        module.pruneDrafts(storage, options);
        module.restoreDraft(storage, document, location.pathname, this.draftOwner, options);
      });
    }
    this.#deadline = receivedAt + body.remainingMs;
    this.#interval = keepAliveIntervalMs(body);
    this.#reportedAt = receivedAt + body.idleRemainingMs - body.idleTimeoutMs;
    this.#clockOffset = Date.now() - performance.now();
    // The page load itself is activity the server saw; the first keep-alive may follow any later activity.
    if (first) this.#nextKeepAliveAt = receivedAt;
    const absolute = isAbsoluteBound(body);
    this.#warnAt = absolute && this.#dismissedAbsolute ? this.#deadline : this.#deadline - body.warnBeforeMs;
    const now = Date.now();
    if (this.#warnAt - now > WARN_SLACK_MS) {
      this.#setState('active');
      const extended = fromKeepAlive || (previous !== 'none' && this.#deadline > previousDeadline + MIN_RECHECK_MS);
      if (extended && !first) this.dispatchEvent(new IdleSessionExtendedEvent(body.remainingMs));
      this.#schedule(this.#warnAt);
      this.#scheduleFlush();
    } else {
      if (absolute && fromKeepAlive && source === 'user') {
        this.#note = this.#t().cannotExtend;
      }
      this.#showWarning();
    }
  }

  /**
   * @param reason - as in `idle-session-expired`.
   * @param tell - tell the other tabs (not when the news came from one).
   * @param next - the ended state; by default `expired` with a reason, `signed-out` without.
   */
  #end(reason: ExpiryReason | null, tell = true, next: IdleSessionState = reason ? 'expired' : 'signed-out'): void {
    if (!this.#hadSession || this.#state === 'other-session' || (this.#state === next && this.#reason === reason)) return;
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#checkTimer);
    this.#flushTimer = undefined;
    const sessionId = this.#session?.sessionId;
    if (tell && sessionId) this.#sync?.post({ type: 'ended', sessionId, reason });
    this.#reason = reason;
    this.#setState(next);
    const event = new IdleSessionExpiredEvent(reason);
    if (next !== 'other-session') this.dispatchEvent(event);
    this.#withDrafts((module, storage) => {
      // A sign-out is deliberate: its draft goes. After a timeout, or a newer session elsewhere, the work is kept for its owner.
      if (next === 'signed-out') module.clearDraft(storage, location.pathname);
      else if (!event.defaultPrevented) module.saveDraft(storage, location.pathname, module.collectDraft(document, this.draftOwner, Date.now()));
    });
  }

  #showWarning(): void {
    if (this.#state !== 'warning') {
      this.#liveKey = '';
      this.#liveText = '';
      this.#setState('warning');
      this.dispatchEvent(new IdleSessionWarningShownEvent(Math.max(0, this.#deadline - Date.now())));
    }
    this.#tick();
  }

  // ---- timing -----------------------------------------------------------------------------------

  /**
   * Wakes {@link IdleSessionWarning.#tick} at `at` or earlier: never a delay above 2^31 − 1 ms, at
   * least hourly, and every {@link wakeIntervalMs} in the last {@link NEAR_MS}, so that after a sleep
   * (timers stand still, the wall clock jumps) the deadline is compared with the clock soon.
   */
  #schedule(at: number): void {
    clearTimeout(this.#timer);
    const left = Math.max(0, at - Date.now());
    const wake = this.#session ? wakeIntervalMs(this.#session) : MIN_RECHECK_MS;
    const delay = Math.min(left, left > NEAR_MS ? FAR_WAKE_MS : wake, MAX_TIMEOUT_MS);
    this.#timer = setTimeout(this.#tick, delay);
  }

  /** Whether the wall clock moved differently from the monotonic clock since the last look. */
  #clockJumped(now: number): boolean {
    const offset = now - performance.now();
    const previous = this.#clockOffset;
    this.#clockOffset = offset;
    return Math.abs(offset - previous) > CLOCK_JUMP_MS;
  }

  /** Whether this tab has activity the server has not heard of, recent enough to report now, or a busy period is open. */
  #hasFreshActivity(now: number): boolean {
    return this.#isBusy(now) || (this.#lastActivityAt > this.#reportedAt + MIN_GAIN_MS && now - this.#lastActivityAt <= this.#interval + MIN_GAIN_MS);
  }

  /**
   * Whether a busy period is open (ended ones are dropped) and worth a keep-alive: not once the
   * absolute timeout is what ends the session (a keep-alive cannot move that deadline).
   */
  #isBusy(now: number): boolean {
    let open = false;
    for (const [key, until] of this.#periods) {
      if (until > now) open = true;
      else this.#periods.delete(key);
    }
    return open && !!this.#session && !isAbsoluteBound(this.#session);
  }

  #beginBusy(key: unknown, maxMs: unknown): void {
    const now = Date.now();
    // Opening an open period again changes nothing, not even its end: a period always ends by itself.
    if (!((this.#periods.get(key) ?? 0) > now)) {
      this.#periods.set(key, now + (Number.isFinite(maxMs) && (maxMs as number) > 0 ? (maxMs as number) : BUSY_MAX_MS));
    }
    this.#scheduleFlush();
  }

  /** `idle-session-busy`: `{ id, busy, maxMs? }` from any code in the page; anything malformed is ignored. */
  #onBusy = (event: Event): void => {
    const detail = (event as CustomEvent<Partial<BusyDetail> | null>).detail;
    const id = detail?.id;
    if (typeof id !== 'string' || !id) return;
    if (detail!.busy === true) this.#beginBusy(id, detail!.maxMs);
    else if (detail!.busy === false) this.#periods.delete(id);
  };

  /**
   * Defers pending activity to the end of the keep-alive interval (one timer, not one per event).
   * While busy, the next keep-alive is due one interval after the last activity the server knows of.
   */
  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#state !== 'active') return;
    const now = Date.now();
    const busy = this.#isBusy(now);
    if (!busy && !(this.#lastActivityAt > this.#reportedAt + MIN_GAIN_MS)) return;
    const at = busy ? Math.max(this.#nextKeepAliveAt, this.#reportedAt + this.#interval) : this.#nextKeepAliveAt;
    const delay = Math.max(0, at - now) + Math.random() * FLUSH_JITTER_MS;
    this.#flushTimer = setTimeout(this.#flush, Math.min(delay, MAX_TIMEOUT_MS));
  }

  #flush = (): void => {
    this.#flushTimer = undefined;
    if (!this.isConnected || this.#state !== 'active') return;
    const now = Date.now();
    if (now >= this.#warnAt) {
      this.#tick();
    } else if (now < this.#nextKeepAliveAt) {
      this.#scheduleFlush();
    } else if (this.#inflight === 0 && this.#hasFreshActivity(now)) {
      void this.#send('keepalive', 'auto');
    }
  };

  /** Every timer wake-up: compare the clock to the deadlines (robust to throttling and sleep). */
  #tick = (): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.isConnected) return;
    const now = Date.now();
    if (this.#clockJumped(now) && this.#inflight === 0 && (this.#state === 'active' || this.#state === 'warning')) {
      // The wall clock jumped (the computer slept, or its clock was set): deadlines measured on it
      // are wrong by the jump, so ask the server for fresh durations (the countdown goes on meanwhile).
      void this.#send('status', 'auto');
    }
    if (this.#state === 'active') {
      if (now < this.#warnAt) {
        this.#schedule(this.#warnAt);
      } else if (this.#inflight === 0) {
        // Unsent recent activity: report it instead of warning; otherwise re-check (another tab may
        // have extended). Never a keep-alive for stale activity or once the deadline has passed.
        void this.#send(now < this.#deadline && this.#hasFreshActivity(now) ? 'keepalive' : 'status', 'auto');
      }
    } else if (this.#state === 'warning') {
      this.#updateLive(now);
      this.#cueTitle();
      this.#onTop();
      this.requestUpdate();
      const remaining = this.#deadline - now;
      if (remaining > 0) {
        this.#schedule(now + (remaining % 1000 || 1000));
      } else if (now - this.#lastDeadlineCheck < MIN_RECHECK_MS) {
        this.#schedule(this.#lastDeadlineCheck + MIN_RECHECK_MS);
      } else if (this.#inflight === 0) {
        this.#lastDeadlineCheck = now;
        void this.#send('status', 'auto');
      }
    }
  };

  #updateLive(now: number): void {
    const remaining = Math.max(0, this.#deadline - now);
    const key = remaining <= FINAL_CUE_MS ? 'final' : `m${Math.ceil(remaining / 60_000)}`;
    if (key === this.#liveKey) return;
    const first = this.#liveKey === '';
    this.#liveKey = key;
    // The dialog's description is read when it opens; announce only later changes.
    if (first) return;
    const lang = this.#lang();
    const left = key === 'final' ? formatCountdown(remaining, lang) : formatDuration(Math.ceil(remaining / 60_000) * 60_000, lang);
    this.#liveText = fill(this.#t().liveCountdown, 'time', left);
  }

  #onActivity = (): void => {
    if (this.#state !== 'active') return;
    const now = Date.now();
    if (now >= this.#warnAt) {
      // The warning time passed unnoticed (the computer slept): check, never extend.
      if (this.#inflight === 0) this.#tick();
      return;
    }
    this.#lastActivityAt = now;
    if (this.#inflight > 0 || this.#lastActivityAt <= this.#reportedAt + MIN_GAIN_MS) return;
    if (now >= this.#nextKeepAliveAt) void this.#send('keepalive', 'auto');
    else this.#scheduleFlush();
  };

  #onTabMessage = (message: TabMessage): void => {
    const session = this.#session;
    if (!session?.sessionId) return;
    if ((this.#state === 'signed-out' || this.#state === 'expired') && message.type === 'check' && message.sessionId && message.sessionId !== session.sessionId) {
      // Ended here, and a page of another session loaded (signed in again elsewhere): ask, to say so.
      if (this.#inflight === 0) void this.#send('status', 'auto');
      return;
    }
    if (!this.#isLive()) return;
    if (message.type === 'check' || message.sessionId !== session.sessionId) {
      // Maybe an ending, or another session: only the server can say (a message proves nothing).
      if (message.sessionId !== session.sessionId) this.#check();
      return;
    }
    const now = Date.now();
    switch (message.type) {
      case 'sending':
        // Another tab reports activity now: hold back this tab's keep-alive for one interval.
        this.#nextKeepAliveAt = Math.max(this.#nextKeepAliveAt, now + this.#interval);
        if (this.#flushTimer !== undefined) {
          clearTimeout(this.#flushTimer);
          this.#flushTimer = undefined;
          this.#scheduleFlush();
        }
        break;
      case 'status': {
        // Aged by the time it waited (a frozen tab's queue), never dated in the future.
        const at = Math.min(message.receivedAt, now);
        // Only ever a later deadline: a stale or hostile message cannot bring a warning or expiry forward.
        if (at + message.body.remainingMs <= this.#deadline + MIN_RECHECK_MS) return;
        this.#tabAppliedAt = now;
        this.#lastResponseAt = now;
        this.#apply(message.body, at, false, 'auto');
        break;
      }
      case 'ended':
        this.#end(message.reason, false);
        break;
    }
  };

  /** The user looks at this tab again (focus, visible, or back from the back-forward cache). */
  #onVisible = (event: Event): void => {
    this.#cueTitle();
    if (!this.#isLive() || document.visibilityState === 'hidden') return;
    const restored = event.type === 'pageshow' && (event as PageTransitionEvent).persisted;
    if ((restored || Date.now() - this.#lastResponseAt >= VISIBLE_RESYNC_MS) && this.#inflight === 0) void this.#send('status', 'auto');
    else this.#tick();
  };

  // ---- state and dialog -------------------------------------------------------------------------

  #setState(next: IdleSessionState): void {
    if (next !== 'warning') this.#note = '';
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#reflect();
    this.requestUpdate();
    this.#cueTitle();
    this.dispatchEvent(new IdleSessionStateChangeEvent({ state: next, previous, remainingMs: this.remainingMs, reason: this.reason }));
  }

  /**
   * The title cue: the countdown while the warning is up and the user is not looking (or the dialog
   * cannot be seen), "Signed out" once ended; otherwise the title exactly as the page had it.
   * A title the page set meanwhile becomes the one to put back.
   */
  #cueTitle(cue = this.#titleCue()): void {
    if (document.title !== this.#titleSet) this.#titleBase = null;
    if (cue) {
      this.#titleBase ??= document.title;
      document.title = this.#titleSet = this.#titleBase ? `${cue} · ${this.#titleBase}` : cue;
    } else if (this.#titleBase !== null) {
      document.title = this.#titleBase;
      this.#titleBase = null;
      this.#titleSet = '';
    }
  }

  #titleCue(): string {
    const t = this.#t();
    if (ENDED.includes(this.#state)) return t.titleEnded;
    if (!this.#unseen && document.visibilityState !== 'hidden') return '';
    if (this.#state === 'unreachable') return t.unreachableTitle;
    return this.#state === 'warning' ? fill(t.titleWarning, 'time', clock(this.#deadline - Date.now())) : '';
  }

  #reflect(): void {
    if (this.getAttribute('state') !== this.#state) this.setAttribute('state', this.#state);
  }

  #isModal(state: IdleSessionState): boolean {
    return state !== 'none' && state !== 'active';
  }

  protected override updated(): void {
    // No dialog: headless.
    const dialog = this.renderRoot.querySelector('dialog');
    const state = this.#state;
    const changed = state !== this.#renderedState;
    this.#renderedState = state;
    if (dialog && this.#isModal(state)) {
      if (!dialog.matches(':modal')) {
        // Not shown yet, or shown but no longer modal (the element was moved: a move leaves the top layer).
        this.#returnFocus ??= rememberFocus();
        this.#onTop(dialog, true);
      } else if (changed) {
        // A new phase: re-open so assistive technology announces the new title and message.
        this.#onTop(dialog, true);
      }
      if (!this.#observer) {
        // The app may open its own modal dialog, or make the page inert, after the warning: stay on top.
        this.#observer = new MutationObserver(() => this.#onTop(dialog));
        this.#observer.observe(document.documentElement, { attributes: true, attributeFilter: ['open', 'inert'], subtree: true });
      }
      if (!this.#unseen && dialog.getClientRects().length === 0) {
        this.#unseen = true;
        console.warn(
          `<${TAG_NAME}> cannot be seen (it is inside a container with display: none), so its warning shows only in the page title. Place it as a child of <body>.`,
        );
        this.#cueTitle();
      }
    } else {
      this.#observer?.disconnect();
      this.#observer = null;
      this.#inertAgain();
      const back = this.#returnFocus;
      this.#returnFocus = null;
      // A dialog that was up closes (or went away: made headless); back to exactly where the user
      // was: the same field, with the same caret or selection.
      if (dialog?.open === false) return;
      dialog?.close();
      restoreFocus(back);
    }
  }

  /**
   * Keeps the dialog usable and on top: ancestors the app made inert are made usable while it is up
   * (and inert again after), and when something covers it or blocks it (another modal dialog opened
   * after it: the last shown is on top), it re-enters the top layer. `again`: re-open in any case (a
   * new phase is announced anew).
   */
  #onTop(dialog = this.renderRoot.querySelector('dialog'), again = false): void {
    // Opening the dialog is `updated()`'s job (it remembers where focus was first).
    if (!dialog || (!again && !dialog.open)) return;
    for (let node: Element | null = this; node; node = node.parentElement ?? ((node.getRootNode() as ShadowRoot).host || null)) {
      if (node.hasAttribute('inert')) {
        node.removeAttribute('inert');
        this.#uninerted.push(node);
      }
    }
    const box = dialog.getBoundingClientRect();
    // Hit testing skips inert (blocked) content: the host is hit only when the dialog is on top and usable.
    const covered = box.width > 0 && (this.getRootNode() as Document).elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) !== this;
    if (!again && !covered) return;
    if (dialog.open) dialog.close();
    dialog.showModal();
    const target = this.renderRoot.querySelector<HTMLElement>('[data-autofocus]') ?? this.renderRoot.querySelector<HTMLElement>('h2');
    target?.focus();
  }

  #inertAgain(): void {
    for (const node of this.#uninerted) if (node.isConnected) node.setAttribute('inert', '');
    this.#uninerted = [];
  }

  #onCancel = (event: Event): void => {
    event.preventDefault();
  };

  #onKeydown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
    } else if (event.key === 'Tab') {
      // Keep Tab and Shift+Tab inside the dialog (they would otherwise reach the browser's own UI).
      const focusable = [...this.renderRoot.querySelectorAll<HTMLElement>('dialog button, dialog a[href]')];
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (!first || !last) return;
      const active = (this.renderRoot as ShadowRoot).activeElement;
      const index = active ? focusable.indexOf(active as HTMLElement) : -1;
      if (event.shiftKey && index <= 0) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (index === -1 || index === focusable.length - 1)) {
        event.preventDefault();
        first.focus();
      }
    }
  };

  #onClose = (event: Event): void => {
    const dialog = event.currentTarget as HTMLDialogElement;
    if (this.#isModal(this.#state) && !dialog.open && this.isConnected) dialog.showModal();
  };


  /** The element's language: the nearest `lang` attribute, else the document's, else English. */
  #lang(): string {
    return this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || 'en';
  }

  /** The strings in the element's language; a language not loaded yet is loaded, and shown once it is (English until then). */
  #t(): IdleSessionStrings {
    const lang = this.#lang();
    void loadLocale(lang)?.then(() => this.requestUpdate());
    return stringsFor(lang, this.strings);
  }

  /**
   * What "Sign out" does: POSTs to `logout-url` (with the CSRF token, when the page has one) and waits
   * for the server. Only once it confirms (a 2xx, after any redirect) are the other tabs told, the
   * page's draft cleared, the state `signed-out`, and the page sent where the server's answer leads
   * (an `idle-session-signed-out` event, cancelable, comes first). If it fails, the state stays and
   * the result says `failed`: the user is still signed in. Works in `active`, `warning` and
   * `unreachable`. Never rejects.
   */
  async signOut(): Promise<IdleSessionActionResult> {
    if (this.#busy || !this.#isLive()) return this.#result(this.#busy ? 'pending' : 'no-session');
    this.#busy = true;
    this.#note = '';
    this.requestUpdate();
    const token = this.csrfToken ?? document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? null;
    const body = new URLSearchParams();
    if (token) body.set(this.csrfField || '_csrf', token);
    let response: Response | null = null;
    try {
      response = await fetch(this.logoutUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: token ? { 'X-CSRF-Token': token } : {},
        body,
      });
    } catch {
      response = null; // the network
    }
    this.#busy = false;
    if (!response?.ok) {
      this.#note = this.#t().signOutFailed;
      this.#liveText = this.#note;
      this.requestUpdate();
      return this.#result('failed');
    }
    // Signed out: this tab shows it (even if the app keeps the page), the other tabs are told, the draft goes.
    this.#end(null);
    const url = response.redirected && response.url ? response.url : this.loginUrl;
    if (this.dispatchEvent(new IdleSessionSignedOutEvent(url))) location.assign(url);
    return this.#result(null);
  }

  protected override render(): unknown {
    if (this.headless) return nothing;
    const session = this.#session;
    const notice =
      this.describeTimeout && session
        ? html`<p part="timeout-notice">${fill(this.#t().timeoutNotice, 'duration', formatDuration(session.idleTimeoutMs, this.#lang()))}</p>`
        : nothing;
    return html`${notice}<dialog
      part="dialog"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby="title"
      aria-describedby="message"
      @cancel=${this.#onCancel}
      @keydown=${this.#onKeydown}
      @close=${this.#onClose}
    >
      ${this.#isModal(this.#state) ? this.#renderContent() : nothing}
    </dialog>`;
  }

  #renderContent(): TemplateResult {
    const t = this.#t();
    const lang = this.#lang();
    const busy = this.#busy ? 'true' : 'false';
    const live = html`<p class="visually-hidden" aria-live="polite">${this.#liveText}</p>`;
    const note = this.#note ? html`<p part="note">${this.#note}</p>` : nothing;
    const title = (text: string) => html`<h2 id="title" part="title" tabindex="-1">${text}</h2>`;
    const login = (autofocus: boolean) =>
      html`<a part="login-link" class=${autofocus ? 'primary' : ''} href=${signInAgainHref(this.loginUrl, this.#reason, location)} ?data-autofocus=${autofocus}>${t.signInAgain}</a>`;
    switch (this.#state) {
      case 'warning': {
        const session = this.#session;
        const left = html`<span part="countdown">${formatCountdown(this.#deadline - Date.now(), lang)}</span>`;
        const absolute = session !== null && isAbsoluteBound(session);
        const [before, after] = splitAt(absolute ? t.absoluteWarningMessage : t.warningMessage, 'time');
        return html`${title(t.warningTitle)}
          <p id="message" part="message">${before}${after === undefined ? nothing : html`${left}${after}`}</p>
          ${note}
          <div class="actions">
            <button type="button" part="extend-button" class="primary" data-autofocus aria-disabled=${busy} @click=${() => void this.extend()}>
              ${absolute ? t.acknowledge : t.extend}
            </button>
            <button type="button" part="sign-out-button" @click=${() => void this.signOut()}>${t.signOut}</button>
          </div>
          ${live}`;
      }
      case 'expired': {
        const idle = this.#session ? formatDuration(this.#session.idleTimeoutMs, lang) : null;
        const message =
          this.#reason === 'absolute' ? t.absoluteExpired : idle ? fill(t.idleExpired, 'duration', idle) : t.idleExpiredUnknown;
        return html`${title(t.endedTitle)}
          <p id="message" part="message">${message}</p>
          <div class="actions">${login(true)}</div>`;
      }
      case 'signed-out':
        return html`${title(t.endedTitle)}
          <p id="message" part="message">${t.signedOut}</p>
          <div class="actions">${login(true)}</div>`;
      case 'other-session':
        return html`${title(t.endedTitle)}
          <p id="message" part="message">${t.otherSession}</p>
          <div class="actions">
            <button type="button" part="reload-button" class="primary" data-autofocus @click=${() => location.reload()}>${t.reload}</button>
          </div>`;
      case 'unreachable':
        return html`${title(t.unreachableTitle)}
          <p id="message" part="message">${t.unreachableMessage}</p>
          ${note}
          <div class="actions">
            <button type="button" part="retry-button" class="primary" data-autofocus aria-disabled=${busy} @click=${() => void this.retry()}>
              ${t.retry}
            </button>
            ${login(false)}
          </div>
          ${live}`;
      default:
        return html``;
    }
  }
}
