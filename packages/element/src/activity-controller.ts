import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** The window events that count as user activity (listened to passively). */
export const WINDOW_ACTIVITY_EVENTS: readonly string[] = Object.freeze(['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart']);
/** The document events that count as user activity (listened to passively, in the capture phase). */
export const DOCUMENT_ACTIVITY_EVENTS: readonly string[] = Object.freeze(['scroll', 'input']);

/**
 * A Lit reactive controller that reports user activity and page visibility to its host.
 *
 * In `hostConnected` it adds passive listeners for {@link WINDOW_ACTIVITY_EVENTS} on `window` and
 * {@link DOCUMENT_ACTIVITY_EVENTS} (capture) plus `visibilitychange` on `document`; in
 * `hostDisconnected` it removes them. Each activity event costs O(1): it calls `onActivity`, which
 * must only record a timestamp or flag (no timers per event). A `pointermove` whose screen
 * coordinates equal the previous one's is not activity.
 */
export class ActivityController implements ReactiveController {
  readonly #onActivity: () => void;
  readonly #onVisible: () => void;
  #lastX: number | undefined = Number.NaN;
  #lastY: number | undefined = Number.NaN;
  readonly #activity = (event: Event): void => {
    if (event.type === 'pointermove') {
      // A pointermove to the same place (sent by some browsers on layout changes or scrolling) is not the user.
      const { screenX, screenY } = event as PointerEvent;
      if (screenX === this.#lastX && screenY === this.#lastY) return;
      this.#lastX = screenX;
      this.#lastY = screenY;
    }
    this.#onActivity();
  };
  readonly #visibility = (): void => {
    if (document.visibilityState === 'visible') this.#onVisible();
  };

  /**
   * @param host - the element whose lifecycle drives the listeners.
   * @param onActivity - called for every activity event; keep it O(1).
   * @param onVisible - called when the page becomes visible again (after a background tab or sleep).
   */
  constructor(host: ReactiveControllerHost, onActivity: () => void, onVisible: () => void) {
    this.#onActivity = onActivity;
    this.#onVisible = onVisible;
    host.addController(this);
  }

  /** Adds the passive activity listeners and the `visibilitychange` listener. */
  hostConnected(): void {
    for (const type of WINDOW_ACTIVITY_EVENTS) window.addEventListener(type, this.#activity, { passive: true });
    for (const type of DOCUMENT_ACTIVITY_EVENTS) document.addEventListener(type, this.#activity, { passive: true, capture: true });
    document.addEventListener('visibilitychange', this.#visibility);
  }

  /** Removes every listener added by {@link ActivityController.hostConnected}. */
  hostDisconnected(): void {
    for (const type of WINDOW_ACTIVITY_EVENTS) window.removeEventListener(type, this.#activity);
    for (const type of DOCUMENT_ACTIVITY_EVENTS) document.removeEventListener(type, this.#activity, { capture: true });
    document.removeEventListener('visibilitychange', this.#visibility);
  }
}
