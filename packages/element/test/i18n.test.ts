import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';
import { draftKey } from '../src/drafts.js';
import { formatCountdown, formatDuration } from '../src/format.js';
import { loadLocale, stringsFor } from '../src/strings.js';
import { advance, FakeServer, installClock, MINUTE, part, settle, text, watchErrors } from './helpers.js';

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;

/** Default policy: idle 15 min, warn 2 min. */
const WARN_AT = 13 * MINUTE;

async function settled<T extends Element>(element: Promise<T>): Promise<T> {
  const el = await element;
  await settle(clock, el.querySelector('idle-session-warning') ?? (el as unknown as IdleSessionWarning));
  return el;
}

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.install();
  sessionStorage.clear();
});

afterEach(() => {
  fixtureCleanup();
  server.restore();
  clock.uninstall();
  watcher.stop();
  sessionStorage.clear();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

describe('<idle-session-warning> words', () => {
  it('formats durations with Intl for the language, plural-aware', () => {
    expect(formatCountdown(119_000)).to.equal('1 minute 59 seconds');
    expect(formatCountdown(60_000)).to.equal('1 minute');
    expect(formatCountdown(119_000, 'de')).to.equal('1 Minute, 59 Sekunden');
    expect(formatDuration(900_000, 'de')).to.equal('15 Minuten');
    expect(formatDuration(1000, 'de')).to.equal('1 Sekunde');
  });

  it('speaks German inside lang="de": every string of the warning and the expiry', async () => {
    const root = await settled(fixture(html`<div lang="de"><idle-session-warning></idle-session-warning></div>`));
    const el = root.querySelector('idle-session-warning')!;
    // German is a chunk of its own, fetched once a page needs it: the element asked for it, wait for the same fetch.
    await loadLocale('de');
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    expect(text(part(el, 'title'))).to.equal('Ihre Sitzung läuft gleich ab');
    expect(text(part(el, 'message'))).to.equal('Sie werden in 2 Minuten abgemeldet, weil Sie inaktiv waren. Möchten Sie angemeldet bleiben?');
    expect(text(part(el, 'extend-button'))).to.equal('Angemeldet bleiben');
    expect(text(part(el, 'sign-out-button'))).to.equal('Abmelden');
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(text(part(el, 'message'))).to.equal('Sie wurden nach 15 Minuten Inaktivität abgemeldet.');
    expect(text(part(el, 'login-link'))).to.equal('Erneut anmelden');
  });

  it('takes replacements for any string from the strings attribute (JSON), ignoring unknown keys and non-strings', async () => {
    const el = await settled(
      fixture<IdleSessionWarning>(html`<idle-session-warning strings='{"extend":"Keep me in","warningTitle":42,"bogus":"x"}'></idle-session-warning>`),
    );
    await advance(clock, WARN_AT, el);
    expect(text(part(el, 'extend-button'))).to.equal('Keep me in');
    expect(text(part(el, 'title'))).to.equal('Your session is about to end');
    expect(stringsFor('fr-CA', null).extend).to.equal('Stay signed in');
  });

  it('states the timeout up front with describe-timeout (WCAG 2.2 SC 2.2.6)', async () => {
    const el = await settled(fixture<IdleSessionWarning>(html`<idle-session-warning describe-timeout></idle-session-warning>`));
    expect(text(part(el, 'timeout-notice'))).to.equal('For your security, you will be signed out after 15 minutes of inactivity.');
  });
});

describe('<idle-session-warning keep-drafts>', () => {
  const page = (owner: string) => html`<div>
    <form id="notes"><textarea name="body"></textarea><input name="pin" type="password"></form>
    <idle-session-warning keep-drafts draft-owner=${owner}></idle-session-warning>
  </div>`;

  it('keeps unsent input when the session times out and puts it back for the same user, then clears it', async () => {
    let root = await settled(fixture(page('u1')));
    (root.querySelector('textarea') as HTMLTextAreaElement).value = 'Half-written letter';
    (root.querySelector('[name=pin]') as HTMLInputElement).value = '1234';
    const el = root.querySelector('idle-session-warning')!;
    await advance(clock, 15 * MINUTE, el);
    expect(el.state).to.equal('expired');
    const saved = sessionStorage.getItem(draftKey(location.pathname));
    expect(saved).to.contain('Half-written letter');
    expect(saved).not.to.contain('1234');

    fixtureCleanup();
    server.lastActivity = Date.now(); // signed in again
    root = await settled(fixture(page('u1')));
    expect((root.querySelector('textarea') as HTMLTextAreaElement).value).to.equal('Half-written letter');
    expect(sessionStorage.getItem(draftKey(location.pathname))).to.equal(null);
  });

  it('keeps no draft when the app cancels idle-session-expired to save its own way', async () => {
    const root = await settled(fixture(page('u1')));
    (root.querySelector('textarea') as HTMLTextAreaElement).value = 'Saved by the app';
    const el = root.querySelector('idle-session-warning')!;
    el.addEventListener('idle-session-expired', (event) => event.preventDefault());
    await advance(clock, 15 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(sessionStorage.getItem(draftKey(location.pathname))).to.equal(null);
  });
});
