/**
 * Registers `<idle-session-warning>` (side effect). Loading it twice (for example the bundle and the
 * npm package on one page) warns with `console.warn` instead of throwing.
 *
 * @packageDocumentation
 */
import { IdleSessionWarning, TAG_NAME } from './idle-session-warning.js';

if (customElements.get(TAG_NAME)) {
  console.warn(`idle-session: <${TAG_NAME}> is already defined; this copy was not registered (is the script loaded twice?).`);
} else {
  customElements.define(TAG_NAME, IdleSessionWarning);
}

export { IdleSessionWarning, TAG_NAME };

declare global {
  interface HTMLElementTagNameMap {
    'idle-session-warning': IdleSessionWarning;
  }
}
