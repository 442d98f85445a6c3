/**
 * `@idle-session/element/check-tabs`: the one line for pages that do not load the element, such as
 * the login page after a sign-out:
 *
 * ```html
 * <script type="module" src="/assets/idle-session-check-tabs.js"></script>
 * ```
 *
 * When it runs it tells every other tab of the origin to ask the server about its session at once
 * (a `check` message, see `TabMessage`), so a sign-out or a new sign-in in this tab shows in every
 * other tab within about a second. The message proves nothing by itself: each tab believes only the
 * server. When the elements use another `endpoint` than `/idle-session`, give it in the query:
 * `idle-session-check-tabs.js?endpoint=/api/idle-session`.
 *
 * @packageDocumentation
 */
import { channelName, TabSync } from './tab-sync.js';

/**
 * Tells the other tabs whose elements use `endpoint` to ask the server now. Never throws (a browser
 * without `BroadcastChannel` or storage simply has nobody to tell).
 * @param endpoint - the elements' `endpoint` attribute, default `/idle-session`.
 */
export function checkTabs(endpoint = '/idle-session'): void {
  const sync = new TabSync(channelName(endpoint), () => undefined);
  sync.post({ type: 'check', sessionId: null });
  sync.close();
}

checkTabs(new URL(import.meta.url).searchParams.get('endpoint') ?? undefined);
