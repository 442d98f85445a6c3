/**
 * The `type` of the message a cross-origin frame posts to report user activity:
 * `parent.postMessage({ type: 'idle-session-activity' }, 'https://app.example')`.
 * Only the exact object `{ type: 'idle-session-activity' }` counts (no other keys, not a bare string).
 */
export const FRAME_ACTIVITY_MESSAGE = 'idle-session-activity';

/** Options of {@link watchFrameActivity}. */
export interface FrameActivityOptions {
  /**
   * Serialized origins (`https://editor.example`: scheme, host, port if not the default; no path, no
   * trailing slash) whose activity messages count. Compared by exact string match with `event.origin`.
   * `'*'` and `'null'` (sandboxed or opaque frames) are rejected with a `TypeError`. Default: none, so
   * no message counts.
   */
  readonly origins?: readonly string[];
}

/**
 * The activity events to listen to in each frame: on its window, and on its document (capture); the
 * element passes `ActivityController`'s `WINDOW_ACTIVITY_EVENTS` and `DOCUMENT_ACTIVITY_EVENTS`. (A
 * parameter rather than an import, so this module, loaded on demand, shares no code with the bundle's entry.)
 */
export interface FrameActivityEvents {
  readonly window: readonly string[];
  readonly document: readonly string[];
}

/**
 * Reports user activity that happens inside frames, which the window and document of `root` never see.
 *
 * What counts:
 * - In every same-origin `iframe` and `frame` of `root`, recursively (nested frames, `srcdoc` and
 *   `about:blank` frames included): the activity events of `ActivityController`, that is
 *   `WINDOW_ACTIVITY_EVENTS` on the frame's window and `DOCUMENT_ACTIVITY_EVENTS` (capture) on its
 *   document, all passive. So typing in a contenteditable editor frame (TinyMCE, CKEditor 4) counts.
 *   Frames added later and frames that navigate to another same-origin page are picked up on their
 *   `load` event (seen by a capturing `load` listener on each watched document).
 * - From a cross-origin frame, nothing unless it posts the message itself, throttled by the frame
 *   (say once per few seconds, on keydown or pointerdown):
 *   `parent.postMessage({ type: 'idle-session-activity' }, 'https://app.example')`.
 *   It counts only if `event.origin` is listed in {@link FrameActivityOptions.origins} and the data is
 *   exactly `{ type: 'idle-session-activity' }`. It means "activity happened", nothing more: no
 *   duration, session or other data is read from it.
 *
 * What is skipped, silently: cross-origin and sandboxed frames that do not post the message (their
 * documents are unreadable), frames inside shadow roots, events in a frame's new document before that
 * document's `load` event (and after `document.open()`, until `close()`), and the events of `root` itself (the `ActivityController` handles those). Unlike the controller, a
 * `pointermove` to an unchanged position inside a frame counts.
 *
 * @param root - the document whose frames are watched (usually `document`).
 * @param onActivity - called once per activity event or message; keep it O(1) (record a timestamp).
 * @param events - see {@link FrameActivityEvents}.
 * @param options - see {@link FrameActivityOptions}.
 * @returns a function that removes every listener added (in `root` and in the frames it can reach),
 *   after which `onActivity` is never called.
 * @throws TypeError if `options.origins` holds anything but serialized origins.
 */
export function watchFrameActivity(
  root: Document,
  onActivity: () => void,
  events: FrameActivityEvents,
  { origins = [] }: FrameActivityOptions = {},
): () => void {
  for (const origin of origins) {
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {}
    if (!ok) throw new TypeError(`watchFrameActivity: options.origins must list origins like 'https://editor.example' (no '*', path or trailing slash), got ${JSON.stringify(origin)}`);
  }
  let live = true;
  const passive = { passive: true };
  const capture = { passive: true, capture: true };
  const hit = (): void => {
    if (live) onActivity();
  };
  const onMessage = (event: Event): void => {
    const { origin, data } = event as MessageEvent;
    if (origins.includes(origin) && data?.type === FRAME_ACTIVITY_MESSAGE && Object.keys(data).length === 1) hit();
  };
  const onLoad = ({ target }: Event): void => {
    const name = (target as Element).localName;
    if (live && (name === 'iframe' || name === 'frame')) frame(target as HTMLIFrameElement, true);
  };
  // Adding is idempotent (the same listener with the same capture flag is added once), so a
  // document seen twice (at start, then at its load event) is harmless.
  const frame = (element: HTMLIFrameElement, add: boolean): void => {
    let doc: Document | null = null;
    try {
      doc = element.contentDocument; // null (or a throw, in old browsers) when cross-origin
    } catch {}
    if (doc) visit(doc, add);
  };
  const visit = (doc: Document, add: boolean): void => {
    const method = add ? 'addEventListener' : 'removeEventListener';
    const win = doc.defaultView;
    if (win && doc !== root) {
      for (const type of events.window) win[method](type, hit, passive);
      for (const type of events.document) doc[method](type, hit, capture);
    }
    // Messages to a frame's window count too: a cross-origin frame nested in a same-origin one posts to its parent.
    if (win && origins.length) win[method]('message', onMessage);
    doc[method]('load', onLoad, capture);
    for (const element of doc.querySelectorAll('iframe,frame')) frame(element as HTMLIFrameElement, add);
  };
  visit(root, true);
  // Nothing keeps a frame's document alive: stop walks the frames reachable now. Documents gone since
  // (navigated away, frame removed) keep dead listeners, silenced by `live`.
  return () => {
    live = false;
    visit(root, false);
  };
}
