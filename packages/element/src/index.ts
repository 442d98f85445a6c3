/**
 * `@idle-session/element`: the `<idle-session-warning>` Lit element, without registering it.
 * Import `@idle-session/element/define` (or load `dist/idle-session-warning.bundle.js`) to register the tag.
 *
 * @packageDocumentation
 */
export {
  BACKOFF_MS,
  BUSY_MAX_MS,
  FINAL_CUE_MS,
  IdleSessionWarning,
  keepAliveIntervalMs,
  MAX_TIMEOUT_MS,
  TAG_NAME,
  wakeIntervalMs,
  type IdleSessionActionError,
  type IdleSessionActionResult,
  type IdleSessionState,
} from './idle-session-warning.js';
export { parseTabMessage, TAB_MESSAGE_VERSION, TabSync, type TabMessage } from './tab-sync.js';
export {
  ACTIVITY_EVENT,
  BUSY_EVENT,
  IdleSessionExpiredEvent,
  IdleSessionExtendedEvent,
  IdleSessionSignedOutEvent,
  IdleSessionStateChangeEvent,
  IdleSessionWarningShownEvent,
  type BusyDetail,
  type ExpiredDetail,
  type RemainingDetail,
  type SignedOutDetail,
  type StateChangeDetail,
} from './events.js';
export { signInAgainHref } from './return-link.js';
export { ActivityController, DOCUMENT_ACTIVITY_EVENTS, WINDOW_ACTIVITY_EVENTS } from './activity-controller.js';
export { formatCountdown, formatDuration } from './format.js';
export { endpointUrl, REQUEST_TIMEOUT_MS, requestStatus, type StatusResult } from './status-client.js';
export { styles } from './styles.js';
export { EN, loadLocale, LOCALE_LOADERS, stringsFor, type IdleSessionStrings } from './strings.js';
