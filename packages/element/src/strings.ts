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
});

/** German. */
export const DE: Readonly<IdleSessionStrings> = Object.freeze({
  warningTitle: 'Ihre Sitzung läuft gleich ab',
  warningMessage: 'Sie werden in {time} abgemeldet, weil Sie inaktiv waren. Möchten Sie angemeldet bleiben?',
  absoluteWarningMessage: 'In {time} erreichen Sie die maximale Sitzungsdauer. Sichern Sie jetzt Ihre Arbeit: Sie müssen sich danach neu anmelden.',
  extend: 'Angemeldet bleiben',
  acknowledge: 'Weiter',
  signOut: 'Abmelden',
  endedTitle: 'Ihre Sitzung ist beendet',
  idleExpired: 'Sie wurden nach {duration} Inaktivität abgemeldet.',
  idleExpiredUnknown: 'Sie wurden wegen Inaktivität abgemeldet.',
  absoluteExpired: 'Sie wurden abgemeldet, weil Sie die maximale Sitzungsdauer erreicht haben.',
  signedOut: 'Sie wurden abgemeldet.',
  signInAgain: 'Erneut anmelden',
  unreachableTitle: 'Server nicht erreichbar',
  unreachableMessage: 'Der Server ist nicht erreichbar, Ihre Sitzung ist daher möglicherweise abgelaufen. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  retry: 'Erneut versuchen',
  requestFailed: 'Der Server war nicht erreichbar. Bitte versuchen Sie es erneut.',
  signOutFailed: 'Die Abmeldung ist fehlgeschlagen, Sie sind noch angemeldet. Bitte versuchen Sie es erneut.',
  cannotExtend: 'Ihre Sitzung hat die maximale Dauer erreicht und kann nicht verlängert werden.',
  liveCountdown: 'Sie werden in {time} abgemeldet.',
  timeoutNotice: 'Zu Ihrer Sicherheit werden Sie nach {duration} Inaktivität abgemeldet.',
});

/** The built-in languages, by primary language subtag. */
export const LOCALES: Readonly<Record<string, Readonly<IdleSessionStrings>>> = Object.freeze({ en: EN, de: DE });

/**
 * The strings for a language tag (`de-AT` uses `de`), English when there is no built-in table, with
 * `overrides` on top. Untrusted overrides (from an attribute) are checked: only known keys with string
 * values are taken.
 */
export function stringsFor(lang: string | null | undefined, overrides?: unknown): IdleSessionStrings {
  const base = LOCALES[(lang ?? '').toLowerCase().split('-')[0] ?? ''] ?? EN;
  const result: IdleSessionStrings = { ...base };
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
