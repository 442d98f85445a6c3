import { EXPIRY_REASONS, parseStatusBody, type ActiveStatusBody, type ExpiryReason } from '@idle-session/core';

/**
 * A message between the tabs (and frames) of one origin about one tracked session. Every message
 * names the session by its non-secret `sessionId` (from the status body); a tab acts only on
 * messages about the session it knows, so a tab left over from an old session can never extend a
 * newer one.
 *
 * - `sending`: a tab is sending an activity keep-alive now; the others hold back theirs for one interval.
 * - `status`: a tab received this validated `active` body from the server at `receivedAt` (`Date.now()`
 *   of that tab: the tabs of one browser share one clock, so a message that waited in a frozen tab's
 *   queue is aged by its wait, never taken as fresh).
 * - `ended`: the session ended in a tab (`reason` as in `idle-session-expired`: `'idle'`,
 *   `'absolute'`, or `null` for signed out).
 * - `check`: the browser's session may have changed: a page's own sign-out form or link was used, a
 *   page without a session loaded (`sessionId: null`), or a page of session `sessionId` loaded. A tab
 *   that tracks another session asks the server (the message itself proves nothing).
 */
export type TabMessage =
  | { readonly type: 'check'; readonly sessionId: string | null }
  | { readonly type: 'sending'; readonly sessionId: string }
  | { readonly type: 'status'; readonly sessionId: string; readonly receivedAt: number; readonly body: ActiveStatusBody }
  | { readonly type: 'ended'; readonly sessionId: string; readonly reason: ExpiryReason | null };

/** Version tag of the wire format, so a future format is ignored rather than misread. */
export const TAB_MESSAGE_VERSION = 1;

/** The channel (and `localStorage` key) of the tabs whose elements use `endpoint`. */
export function channelName(endpoint: string): string {
  return `idle-session ${endpoint}`;
}

function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 100;
}

/**
 * Validates an untrusted value received from another tab as a {@link TabMessage}, as strictly as a
 * server response (the `status` body goes through `parseStatusBody` and must be `active` and name
 * the same session). Never throws.
 * @returns a fresh message with only the known fields, or `null` for anything malformed.
 */
export function parseTabMessage(value: unknown): TabMessage | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const message = value as Record<string, unknown>;
  if (message.v !== TAB_MESSAGE_VERSION) return null;
  if (message.type === 'check') {
    const id = message.sessionId ?? null;
    return id === null || isSessionId(id) ? { type: 'check', sessionId: id } : null;
  }
  if (!isSessionId(message.sessionId)) return null;
  const sessionId = message.sessionId;
  switch (message.type) {
    case 'sending':
      return { type: 'sending', sessionId };
    case 'status': {
      const { receivedAt } = message;
      if (typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) return null;
      const body = parseStatusBody(message.body);
      if (body?.state !== 'active' || body.sessionId !== sessionId) return null;
      return { type: 'status', sessionId, receivedAt, body };
    }
    case 'ended': {
      const { reason } = message;
      if (reason !== null && !(typeof reason === 'string' && (EXPIRY_REASONS as readonly string[]).includes(reason))) return null;
      return { type: 'ended', sessionId, reason: reason as ExpiryReason | null };
    }
    default:
      return null;
  }
}

/**
 * The channel between the tabs of one origin: a `BroadcastChannel`, or where that is missing, a
 * `localStorage` key whose `storage` events the other tabs receive. Posting never throws (storage
 * may be full or forbidden: the tab then simply works alone). Received messages are validated
 * with {@link parseTabMessage}; malformed ones are dropped.
 */
export class TabSync {
  readonly #name: string;
  readonly #onMessage: (message: TabMessage) => void;
  #channel: BroadcastChannel | null = null;
  #closed = false;

  /**
   * @param name - the channel name (tabs that share it act as one); also the `localStorage` key of the fallback.
   * @param onMessage - receives each valid message from another tab (never this instance's own).
   */
  constructor(name: string, onMessage: (message: TabMessage) => void) {
    this.#name = name;
    this.#onMessage = onMessage;
    if (typeof globalThis.BroadcastChannel === 'function') {
      try {
        this.#channel = new BroadcastChannel(name);
        this.#channel.addEventListener('message', this.#onChannel);
      } catch {
        // Some sandboxed or opaque-origin documents refuse a channel: fall back to storage events.
        this.#channel = null;
      }
    }
    if (!this.#channel) window.addEventListener('storage', this.#onStorage);
  }

  /** Whether messages go through `BroadcastChannel` (`true`) or the `storage`-event fallback. */
  get usesBroadcastChannel(): boolean {
    return this.#channel !== null;
  }

  /** Sends a message to every other tab of the origin that listens on the same name. */
  post(message: TabMessage): void {
    if (this.#closed) return;
    const wire = { v: TAB_MESSAGE_VERSION, ...message };
    try {
      if (this.#channel) {
        this.#channel.postMessage(wire);
      } else {
        // A nonce makes every value new, so a repeated message still fires `storage` elsewhere.
        localStorage.setItem(this.#name, JSON.stringify({ ...wire, n: Math.random() }));
      }
    } catch {
      // No channel: this tab works alone.
    }
  }

  /** Stops sending and receiving. */
  close(): void {
    this.#closed = true;
    this.#channel?.removeEventListener('message', this.#onChannel);
    this.#channel?.close();
    this.#channel = null;
    window.removeEventListener('storage', this.#onStorage);
  }

  #deliver(value: unknown): void {
    if (this.#closed) return;
    const message = parseTabMessage(value);
    if (message) this.#onMessage(message);
  }

  #onChannel = (event: MessageEvent): void => {
    this.#deliver(event.data);
  };

  #onStorage = (event: StorageEvent): void => {
    if (event.key !== this.#name || !event.newValue) return;
    let value: unknown;
    try {
      value = JSON.parse(event.newValue);
    } catch {
      return;
    }
    this.#deliver(value);
  };
}
