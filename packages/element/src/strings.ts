/**
 * Every visible string of `<idle-session-warning>`. `{time}` stands for the live countdown,
 * `{duration}` for the idle timeout, both formatted with `Intl` for the element's language.
 * Replace any of them with the element's `strings` property or its `strings` attribute (JSON).
 */
export interface IdleSessionStrings {
  /** Heading of the warning. */
  warningTitle: string;
  /** The warning when inactivity will end the session; contains `{time}`. */
  warningMessage: string;
  /** The warning when the absolute timeout will end the session; contains `{time}`. */
  absoluteWarningMessage: string;
  /** The button that sends a keep-alive. */
  extend: string;
  /** The button that closes the absolute-timeout warning (nothing can extend it). */
  acknowledge: string;
  /** The button that signs out. */
  signOut: string;
  /** Heading once the session has ended. */
  endedTitle: string;
  /** After an idle expiry; contains `{duration}`. */
  idleExpired: string;
  /** After an idle expiry when the idle timeout is unknown. */
  idleExpiredUnknown: string;
  /** After an absolute expiry. */
  absoluteExpired: string;
  /** When the server reports no session any more (signed out elsewhere). */
  signedOut: string;
  /** The link to the login page. */
  signInAgain: string;
  /** Heading when the server cannot be reached at the deadline. */
  unreachableTitle: string;
  /** Message when the server cannot be reached at the deadline. */
  unreachableMessage: string;
  /** The button that asks the server again. */
  retry: string;
  /** Note after a button's request failed. */
  requestFailed: string;
  /** Note when "Sign out" failed (the server refused it, or could not be reached): the user is still signed in. */
  signOutFailed: string;
  /** Note when "Stay signed in" meets the absolute timeout. */
  cannotExtend: string;
  /** The polite screen-reader cue, about once a minute; contains `{time}`. */
  liveCountdown: string;
  /** The up-front statement of the timeout (WCAG 2.2 SC 2.2.6); contains `{duration}`. */
  timeoutNotice: string;
  /** When this tab was built for a session that is no longer the browser's (the user signed in again elsewhere). */
  otherSession: string;
  /** The button that reloads the page (in the other-session state). */
  reload: string;
  /** The document title's prefix while the warning is up in a tab the user is not looking at; contains `{time}` (as `m:ss`). */
  titleWarning: string;
  /** The document title's prefix once the session has ended. */
  titleEnded: string;
}

/** English, the default. */
export const EN: Readonly<IdleSessionStrings> = Object.freeze({
  warningTitle: 'Your session is about to end',
  warningMessage: 'You will be signed out in {time} because you have been inactive. Do you want to stay signed in?',
  absoluteWarningMessage: 'You will reach the maximum session length in {time}. Save your work now: you will need to sign in again.',
  extend: 'Stay signed in',
  acknowledge: 'Continue',
  signOut: 'Sign out',
  endedTitle: 'Your session has ended',
  idleExpired: 'You were signed out after {duration} of inactivity.',
  idleExpiredUnknown: 'You were signed out because of inactivity.',
  absoluteExpired: 'You were signed out because you reached the maximum session length.',
  signedOut: 'You have been signed out.',
  signInAgain: 'Sign in again',
  unreachableTitle: 'Cannot reach the server',
  unreachableMessage: 'We cannot reach the server, so your session may have ended. Check your connection and try again.',
  retry: 'Try again',
  requestFailed: 'We could not reach the server. Please try again.',
  signOutFailed: 'We could not sign you out, so you are still signed in. Please try again.',
  cannotExtend: 'Your session has reached its maximum length and cannot be extended.',
  liveCountdown: 'You will be signed out in {time}.',
  timeoutNotice: 'For your security, you will be signed out after {duration} of inactivity.',
  otherSession: 'You signed in again in another tab. Reload this page to carry on with that session.',
  reload: 'Reload page',
  titleWarning: 'Signing out in {time}',
  titleEnded: 'Signed out',
});

/**
 * The languages other than English, by primary language subtag, each loaded only when a page uses
 * it (a separate chunk of the bundle, fetched once): `{ de: () => import('./locales/de.js') }`. An
 * app may add its own: `LOCALE_LOADERS.fr = () => import('./my-french.js')` (a module whose default
 * export is a complete {@link IdleSessionStrings}). A loader that fails leaves English.
 */
export const LOCALE_LOADERS: Record<string, () => Promise<{ default: Readonly<IdleSessionStrings> }>> = {
  de: () => import('./locales/de.js'),
};
const loaded: Record<string, Readonly<IdleSessionStrings>> = { en: EN };
const loading: Record<string, Promise<unknown>> = {};

/** The primary language subtag of a language tag, lower case: `de-AT` → `de`. */
function primary(lang: string | null | undefined): string {
  return (lang ?? '').toLowerCase().split('-')[0] ?? '';
}

/**
 * Loads the built-in table of a language, when there is one and it is not loaded yet.
 * @returns a promise that settles once it is loaded (or failed to load: then English stays, and the
 * language counts as loaded, so it is never asked for again), or `null` when nothing needs loading.
 */
export function loadLocale(lang: string | null | undefined): Promise<unknown> | null {
  const key = primary(lang);
  const loader = LOCALE_LOADERS[key];
  if (!loader || loaded[key]) return null;
  return (loading[key] ??= loader().then(
    (module) => (loaded[key] = module.default),
    // Not fetched (offline, an old page after a redeploy): English for the rest of this page's life.
    () => (loaded[key] = EN),
  ));
}

/**
 * The strings for a language tag (`de-AT` uses `de`) with `overrides` on top: the built-in table when
 * it is loaded (see {@link loadLocale}), English otherwise. Untrusted overrides (from an attribute) are
 * checked: only known keys with non-empty string values are taken.
 */
export function stringsFor(lang: string | null | undefined, overrides?: unknown): IdleSessionStrings {
  const result: IdleSessionStrings = { ...(loaded[primary(lang)] ?? EN) };
  if (overrides && typeof overrides === 'object') {
    for (const key of Object.keys(EN) as (keyof IdleSessionStrings)[]) {
      const value = (overrides as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.trim() !== '') result[key] = value;
    }
  }
  return result;
}

/** Splits a string at `{name}`: `['You will be signed out in ', ' because…']`; one part when it has none. */
export function splitAt(text: string, name: 'time' | 'duration'): [string] | [string, string] {
  const at = text.indexOf(`{${name}}`);
  return at === -1 ? [text] : [text.slice(0, at), text.slice(at + name.length + 2)];
}

/** Fills `{name}` in a string. */
export function fill(text: string, name: 'time' | 'duration', value: string): string {
  return text.split(`{${name}}`).join(value);
}
