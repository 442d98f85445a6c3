import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** The window events that count as user activity (listened to passively). */
export const WINDOW_ACTIVITY_EVENTS: readonly string[] = Object.freeze(['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart']);
/** The document events that count as user activity (listened to passively, in the capture phase). */
export const DOCUMENT_ACTIVITY_EVENTS: readonly string[] = Object.freeze(['scroll', 'input']);

/**
 * A Lit reactive controller that reports user activity and page visibility to its host.
 *
 * In `hostConnected` it adds passive listeners for {@link WINDOW_ACTIVITY_EVENTS} on `window` and
 * {@link DOCUMENT_ACTIVITY_EVENTS} (capture) plus `visibilitychange` on `document` and `focus` and
 * `pageshow` on `window`; in
 * `hostDisconnected` it removes them. Each activity event costs O(1): it calls `onActivity`, which
 * must only record a timestamp or flag (no timers per event). A `pointermove` whose screen
 * coordinates equal the previous one's is not activity.
 */
export class ActivityController implements ReactiveController {
  readonly #onActivity: () => void;
  readonly #onVisible: (event: Event) => void;
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
  readonly #visibility = (event: Event): void => this.#onVisible(event);

  /**
   * @param host - the element whose lifecycle drives the listeners.
   * @param onActivity - called for every activity event; keep it O(1).
   * @param onVisible - called with the event when the page's visibility changes (`visibilitychange`,
   *   either way: read `document.visibilityState`), its window gets focus, or it is shown (`pageshow`,
   *   `persisted` after the back-forward cache).
   */
  constructor(host: ReactiveControllerHost, onActivity: () => void, onVisible: (event: Event) => void) {
    this.#onActivity = onActivity;
    this.#onVisible = onVisible;
    host.addController(this);
  }

  /** Adds the passive activity listeners and the `visibilitychange`, `focus` and `pageshow` listeners. */
  hostConnected(): void {
    for (const type of WINDOW_ACTIVITY_EVENTS) window.addEventListener(type, this.#activity, { passive: true });
    for (const type of DOCUMENT_ACTIVITY_EVENTS) document.addEventListener(type, this.#activity, { passive: true, capture: true });
    document.addEventListener('visibilitychange', this.#visibility);
    window.addEventListener('focus', this.#visibility);
    window.addEventListener('pageshow', this.#visibility);
  }

  /** Removes every listener added by {@link ActivityController.hostConnected}. */
  hostDisconnected(): void {
    for (const type of WINDOW_ACTIVITY_EVENTS) window.removeEventListener(type, this.#activity);
    for (const type of DOCUMENT_ACTIVITY_EVENTS) document.removeEventListener(type, this.#activity, { capture: true });
    document.removeEventListener('visibilitychange', this.#visibility);
    window.removeEventListener('focus', this.#visibility);
    window.removeEventListener('pageshow', this.#visibility);
  }
}
