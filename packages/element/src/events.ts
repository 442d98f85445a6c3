import type { ExpiryReason } from '@idle-session/core';

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

declare global {
  interface HTMLElementEventMap {
    'idle-session-signed-out': IdleSessionSignedOutEvent;
    'idle-session-warning-shown': IdleSessionWarningShownEvent;
    'idle-session-extended': IdleSessionExtendedEvent;
    'idle-session-expired': IdleSessionExpiredEvent;
  }
}
