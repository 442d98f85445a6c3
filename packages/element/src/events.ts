import type { ExpiryReason } from '@idle-session/core';
import type { IdleSessionState } from './idle-session-warning.js';

/** Detail of {@link IdleSessionWarningShownEvent} and {@link IdleSessionExtendedEvent}. */
export interface RemainingDetail {
  /** Milliseconds until the session ends, as the server last reported it (measured at receipt). */
  readonly remainingMs: number;
}

/** Detail of {@link IdleSessionExpiredEvent}. */
export interface ExpiredDetail {
  /**
   * Why the session ended: `'idle'` (inactivity), `'absolute'` (maximum session length), or `null`
   * when the session was signed out (by this element, the page, another tab, or the server reports no session any more).
   */
  readonly reason: ExpiryReason | null;
}

const init = { bubbles: true, composed: true } as const;

/**
 * `idle-session-warning-shown`: the warning dialog opened. Bubbles, composed, not cancelable.
 * `detail.remainingMs` is the time left in milliseconds. A good moment to save a draft.
 */
export class IdleSessionWarningShownEvent extends CustomEvent<RemainingDetail> {
  /** The event type, `'idle-session-warning-shown'`. */
  static readonly eventName = 'idle-session-warning-shown' as const;
  constructor(remainingMs: number) {
    super(IdleSessionWarningShownEvent.eventName, { ...init, detail: { remainingMs } });
  }
}

/**
 * `idle-session-extended`: the server confirmed a later deadline, after a keep-alive (the
 * "Stay signed in" button or user activity) or after a re-check found that another tab or request
 * extended the session. Bubbles, composed. `detail.remainingMs` is the new time left in milliseconds.
 */
export class IdleSessionExtendedEvent extends CustomEvent<RemainingDetail> {
  /** The event type, `'idle-session-extended'`. */
  static readonly eventName = 'idle-session-extended' as const;
  constructor(remainingMs: number) {
    super(IdleSessionExtendedEvent.eventName, { ...init, detail: { remainingMs } });
  }
}

/**
 * `idle-session-expired`: the session ended (the server said `expired`, or `none` after having
 * had a session). Bubbles, composed, cancelable. `detail.reason` is `'idle'`, `'absolute'` or `null`.
 * With `keep-drafts`, calling `preventDefault()` tells the element that the app saves the user's
 * unsent input itself, so the element does not keep a draft.
 */
export class IdleSessionExpiredEvent extends CustomEvent<ExpiredDetail> {
  /** The event type, `'idle-session-expired'`. */
  static readonly eventName = 'idle-session-expired' as const;
  constructor(reason: ExpiryReason | null) {
    super(IdleSessionExpiredEvent.eventName, { ...init, cancelable: true, detail: { reason } });
  }
}

/** Detail of {@link IdleSessionSignedOutEvent}. */
export interface SignedOutDetail {
  /** Where the page goes next: the URL the server's sign-out answer led to, else `login-url`. */
  readonly url: string;
}

/**
 * `idle-session-signed-out`: "Sign out" succeeded (the server confirmed it); the other tabs were told.
 * Bubbles, composed, cancelable: by default the page then goes to `detail.url`; call `preventDefault()`
 * to navigate your own way (a single-page app's router).
 */
export class IdleSessionSignedOutEvent extends CustomEvent<SignedOutDetail> {
  /** The event type, `'idle-session-signed-out'`. */
  static readonly eventName = 'idle-session-signed-out' as const;
  constructor(url: string) {
    super(IdleSessionSignedOutEvent.eventName, { ...init, cancelable: true, detail: { url } });
  }
}

/** Detail of {@link IdleSessionStateChangeEvent}. */
export interface StateChangeDetail {
  /** The new state (as `state` on the element). */
  readonly state: IdleSessionState;
  /** The state before. */
  readonly previous: IdleSessionState;
  /** Milliseconds left now (as `remainingMs` on the element): a number in `active`, `warning` and `unreachable`, else `null`. */
  readonly remainingMs: number | null;
  /** As `reason` on the element: what will end the session (`active`, `warning`) or ended it (`expired`). */
  readonly reason: ExpiryReason | null;
}

/**
 * `idle-session-state-change`: the element's `state` changed (fired on every change, after the
 * `state` attribute was updated, before `idle-session-warning-shown` or `idle-session-expired`).
 * Bubbles, composed, not cancelable. What a headless element's own UI follows.
 */
export class IdleSessionStateChangeEvent extends CustomEvent<StateChangeDetail> {
  /** The event type, `'idle-session-state-change'`. */
  static readonly eventName = 'idle-session-state-change' as const;
  constructor(detail: StateChangeDetail) {
    super(IdleSessionStateChangeEvent.eventName, { ...init, detail });
  }
}

/**
 * `idle-session-activity`: any code in the page tells the element "the user is active" (a video
 * playing, a message the user sent over a WebSocket), without a reference to the element:
 * `document.dispatchEvent(new CustomEvent('idle-session-activity'))`. Dispatched on `window`, on
 * `document` or on any element of the document (bubbling or not): the element listens on `window`
 * in the capture phase. Counts exactly like a key press (see `reportActivity()`).
 */
export const ACTIVITY_EVENT = 'idle-session-activity';

/**
 * `idle-session-busy`: any code in the page opens or ends a busy period (see `beginBusy()`) without a
 * reference to the element: `document.dispatchEvent(new CustomEvent('idle-session-busy', { detail:
 * { id: 'upload-1', busy: true, maxMs: 30 * 60_000 } }))`, and later the same with `busy: false`.
 * Heard like {@link ACTIVITY_EVENT}. The detail is a {@link BusyDetail}; anything else is ignored.
 */
export const BUSY_EVENT = 'idle-session-busy';

/** Detail of an {@link BUSY_EVENT} event. */
export interface BusyDetail {
  /** Names the busy period (a non-empty string): `busy: false` with the same `id` ends it. */
  readonly id: string;
  /**
   * `true` opens the period (again opening one that is still open changes nothing, not even its
   * end), `false` ends it (an unknown `id` is ignored).
   */
  readonly busy: boolean;
  /** With `busy: true`: the period ends by itself this many milliseconds later. Default `BUSY_MAX_MS` (60 minutes). */
  readonly maxMs?: number;
}

declare global {
  interface HTMLElementEventMap {
    'idle-session-signed-out': IdleSessionSignedOutEvent;
    'idle-session-warning-shown': IdleSessionWarningShownEvent;
    'idle-session-extended': IdleSessionExtendedEvent;
    'idle-session-expired': IdleSessionExpiredEvent;
    'idle-session-state-change': IdleSessionStateChangeEvent;
  }
}
