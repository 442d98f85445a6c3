import type { IdleSessionStrings } from '../strings.js';

/** German, loaded only by pages in `lang="de"` (see `loadLocale`). */
const DE: Readonly<IdleSessionStrings> = Object.freeze({
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
  otherSession: 'Sie haben sich in einem anderen Tab erneut angemeldet. Laden Sie diese Seite neu, um mit dieser Sitzung weiterzuarbeiten.',
  reload: 'Seite neu laden',
  titleWarning: 'Abmeldung in {time}',
  titleEnded: 'Abgemeldet',
});

export default DE;
