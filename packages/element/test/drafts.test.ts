import { expect } from '@open-wc/testing';
import { DRAFT_MAX_AGE_MS, clearDraft, collectDraft, draftKey, pruneDrafts, rememberDefaults, restoreDraft, saveDraft } from '../src/drafts.js';

function page(): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = `
    <form id="notes">
      <input name="subject" value="">
      <input name="secret" type="password" value="">
      <input name="token" type="hidden" value="t">
      <input name="upload" type="file">
      <textarea name="body"></textarea>
      <input name="agree" type="checkbox" value="yes">
      <select name="color"><option value="red" selected>red</option><option value="blue">blue</option></select>
      <div data-idle-session-no-draft><input name="card" value=""></div>
    </form>`;
  document.body.append(root);
  return root;
}

function field<T extends Element = HTMLInputElement>(selector: string): T {
  return document.querySelector(selector) as unknown as T;
}

describe('drafts (keep-drafts)', () => {
  let root: HTMLElement;
  beforeEach(() => {
    sessionStorage.clear();
    root = page();
  });
  afterEach(() => root.remove());

  it('keeps what the user typed, never password, hidden, file or opted-out fields', () => {
    field('[name=subject]').value = 'Report';
    field('[name=secret]').value = 'hunter2';
    field<HTMLTextAreaElement>('[name=body]').value = 'A long text';
    field('[name=agree]').checked = true;
    field<HTMLSelectElement>('[name=color]').value = 'blue';
    field('[name=card]').value = '4111';
    const draft = collectDraft(document, 'u1', 1000);
    expect(draft.fields.map((f) => f.key)).to.deep.equal(['notes|subject', 'notes|body', 'notes|agree=yes', 'notes|color']);
    expect(JSON.stringify(draft)).not.to.contain('hunter2');
    expect(JSON.stringify(draft)).not.to.contain('4111');
  });

  it('puts the draft back for the same user and clears it after', () => {
    field('[name=subject]').value = 'Report';
    field<HTMLTextAreaElement>('[name=body]').value = 'A long text';
    expect(saveDraft(sessionStorage, '/notes', collectDraft(document, 'u1', 1000))).to.equal(true);
    root.remove();
    root = page();
    let inputs = 0;
    root.addEventListener('input', () => inputs++);
    expect(restoreDraft(sessionStorage, document, '/notes', 'u1', { now: 1000 })).to.equal(2);
    expect(field('[name=subject]').value).to.equal('Report');
    expect(field<HTMLTextAreaElement>('[name=body]').value).to.equal('A long text');
    expect(inputs).to.equal(2);
    expect(sessionStorage.getItem(draftKey('/notes'))).to.equal(null);
  });

  it('never shows one user\'s draft to another, and drops it', () => {
    field('[name=subject]').value = 'Private';
    saveDraft(sessionStorage, '/notes', collectDraft(document, 'u1', 1000));
    root.remove();
    root = page();
    expect(restoreDraft(sessionStorage, document, '/notes', 'u2')).to.equal(0);
    expect(field('[name=subject]').value).to.equal('');
    expect(sessionStorage.getItem(draftKey('/notes'))).to.equal(null);
  });

  it('does not overwrite what the user already typed again', () => {
    field('[name=subject]').value = 'Old';
    saveDraft(sessionStorage, '/notes', collectDraft(document, null, 1000));
    root.remove();
    root = page();
    field('[name=subject]').value = 'New';
    restoreDraft(sessionStorage, document, '/notes', null);
    expect(field('[name=subject]').value).to.equal('New');
  });

  it('saves nothing when nothing changed, and survives malformed storage', () => {
    expect(saveDraft(sessionStorage, '/notes', collectDraft(document, null, 1000))).to.equal(false);
    sessionStorage.setItem(draftKey('/notes'), '{"owner":5,');
    expect(restoreDraft(sessionStorage, document, '/notes', null)).to.equal(0);
    sessionStorage.setItem(draftKey('/notes'), JSON.stringify({ owner: null, savedAt: 1, fields: [{ key: 'notes|subject', value: 7 }] }));
    expect(restoreDraft(sessionStorage, document, '/notes', null)).to.equal(0);
    expect(sessionStorage.getItem(draftKey('/notes'))).to.equal(null);
    sessionStorage.setItem(draftKey('/notes'), '{}');
    clearDraft(sessionStorage, '/notes');
    expect(sessionStorage.getItem(draftKey('/notes'))).to.equal(null);
  });
});

/** A form-associated custom element with a string `value`, as design systems make them. */
class XRating extends HTMLElement {
  static formAssociated = true;
  #value = this.getAttribute('value') ?? '';
  get value(): string {
    return this.#value;
  }
  set value(value: string) {
    this.#value = value;
  }
}
/** A host whose open shadow root holds fields (and a closed one that must stay unseen). */
class XNote extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' }).innerHTML = `
      <form><input name="title" value=""><input name="pin" type="password" value=""></form>
      <div contenteditable="true" id="text"></div>`;
  }
}
/** A host whose open shadow root holds another host. */
class XOuter extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' }).innerHTML = '<x-note></x-note>';
  }
}
if (!customElements.get('x-rating')) {
  customElements.define('x-rating', XRating);
  customElements.define('x-note', XNote);
  customElements.define('x-outer', XOuter);
}

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function mount(html: string): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = html;
  document.body.append(root);
  return root;
}

/** The shadow root of `selector`, or of a path of hosts (`a`, then `b` inside a's shadow root...). */
function shadow(...selectors: string[]): ShadowRoot {
  let scope: Document | ShadowRoot = document;
  for (const selector of selectors) scope = scope.querySelector(selector)!.shadowRoot!;
  return scope as ShadowRoot;
}

function keys(owner: string | null = null): string[] {
  return collectDraft(document, owner, NOW).fields.map((f) => f.key);
}

/** Saves what the page holds now, then rebuilds the page from `html` as if reloaded. */
function saveAndReload(root: HTMLElement, html: string, owner: string | null = null): HTMLElement {
  expect(saveDraft(sessionStorage, '/p', collectDraft(document, owner, NOW))).to.equal(true);
  root.remove();
  const fresh = mount(html);
  rememberDefaults(document);
  return fresh;
}

describe('drafts of editors, shadow roots and custom elements', () => {
  let root: HTMLElement;
  beforeEach(() => sessionStorage.clear());
  afterEach(() => root?.remove());

  it('keeps contenteditable regions named by data-idle-session-draft or id, only when changed since load', () => {
    const html = `
      <div contenteditable="true" data-idle-session-draft="story"></div>
      <div contenteditable="true" id="intro">Preset</div>
      <div contenteditable="true" id="untouched">Preset</div>
      <div contenteditable="true"><p contenteditable="true" id="inner"></p></div>
      <div contenteditable="true" id="outer"><p id="nested"></p></div>
      <div data-idle-session-no-draft><div contenteditable="true" id="private"></div></div>`;
    root = mount(html);
    rememberDefaults(document);
    root.querySelector('[data-idle-session-draft=story]')!.innerHTML = '<b>Once</b> upon';
    root.querySelector('#intro')!.innerHTML = 'Changed';
    root.querySelector('#inner')!.innerHTML = 'x';
    root.querySelector('#nested')!.innerHTML = 'Nested';
    root.querySelector('#private')!.innerHTML = 'Secret';
    const draft = collectDraft(document, null, NOW);
    expect(draft.fields).to.deep.equal([
      { key: '~story', value: '<b>Once</b> upon' },
      { key: '~intro', value: 'Changed' },
      { key: '~outer', value: '<p id="nested">Nested</p>' },
    ]);

    root = saveAndReload(root, html);
    root.querySelector('#intro')!.innerHTML = 'Typed again';
    const events: Event[] = [];
    root.addEventListener('input', (e) => events.push(e));
    expect(restoreDraft(sessionStorage, document, '/p', null, { now: NOW })).to.equal(2);
    expect(root.querySelector('[data-idle-session-draft=story]')!.innerHTML).to.equal('<b>Once</b> upon');
    expect(root.querySelector('#intro')!.innerHTML).to.equal('Typed again');
    expect(root.querySelector('#outer #nested')!.innerHTML).to.equal('Nested');
    expect(events.map((e) => [e.bubbles, e.composed])).to.deep.equal([[true, true], [true, true]]);
  });

  it('without rememberDefaults, keeps any non-empty region and restores only into empty ones', () => {
    root = mount('<div contenteditable="true" id="a">Preset</div><div contenteditable="true" id="b"> </div>');
    expect(keys()).to.deep.equal(['~a']);
    sessionStorage.setItem(draftKey('/p'), JSON.stringify({ owner: null, savedAt: NOW, fields: [{ key: '~a', value: 'A' }, { key: '~b', value: 'B' }] }));
    expect(restoreDraft(sessionStorage, document, '/p', null, { now: NOW })).to.equal(1);
    expect(root.querySelector('#a')!.innerHTML).to.equal('Preset');
    expect(root.querySelector('#b')!.innerHTML).to.equal('B');
  });

  it('keeps fields of open shadow roots, keyed by host, never their passwords', () => {
    const html = '<x-note id="first"></x-note><x-note></x-note><x-note></x-note>';
    root = mount(html);
    rememberDefaults(document);
    shadow('#first').querySelector<HTMLInputElement>('[name=title]')!.value = 'One';
    shadow('#first').querySelector<HTMLInputElement>('[name=pin]')!.value = 'hunter2';
    shadow('x-note:nth-of-type(3)').querySelector<HTMLInputElement>('[name=title]')!.value = 'Three';
    shadow('x-note:nth-of-type(3)').querySelector<HTMLInputElement>('[name=pin]')!.value = 'hunter3';
    shadow('x-note:nth-of-type(3)').querySelector('#text')!.innerHTML = 'Body';
    const draft = collectDraft(document, 'u1', NOW);
    expect(draft.fields.map((f) => f.key)).to.deep.equal(['#first>#0|title', 'x-note:2>#0|title', 'x-note:2>~text']);
    expect(JSON.stringify(draft)).not.to.match(/hunter/);

    root = saveAndReload(root, html, 'u1');
    shadow('#first').querySelector<HTMLInputElement>('[name=title]')!.value = 'Mine';
    let composed = 0;
    document.addEventListener('input', () => composed++, { once: true });
    expect(restoreDraft(sessionStorage, document, '/p', 'u1', { now: NOW })).to.equal(2);
    expect(composed).to.equal(1);
    expect(shadow('#first').querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('Mine');
    expect(shadow('x-note:nth-of-type(2)').querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('');
    expect(shadow('x-note:nth-of-type(3)').querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('Three');
    expect(shadow('x-note:nth-of-type(3)').querySelector('#text')!.innerHTML).to.equal('Body');
  });

  it('keeps fields of nested shadow roots, but nothing under data-idle-session-no-draft nor in closed roots', () => {
    const html = '<x-outer></x-outer><x-outer id="o"></x-outer><x-outer data-idle-session-no-draft></x-outer>';
    root = mount(html);
    const closed = root.appendChild(document.createElement('div')).attachShadow({ mode: 'closed' });
    closed.innerHTML = '<input name="hidden-away" id="c">';
    closed.querySelector('input')!.value = 'Closed';
    for (const host of root.querySelectorAll('x-outer')) {
      host.shadowRoot!.querySelector('x-note')!.shadowRoot!.querySelector<HTMLInputElement>('[name=title]')!.value = `T${host.id}`;
    }
    expect(keys()).to.deep.equal(['x-outer:0>x-note:0>#0|title', '#o>x-note:0>#0|title']);

    root = saveAndReload(root, html);
    expect(restoreDraft(sessionStorage, document, '/p', null, { now: NOW })).to.equal(2);
    expect(shadow('#o', 'x-note').querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('To');
    expect(shadow('x-outer', 'x-note').querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('T');
    expect(shadow('x-outer[data-idle-session-no-draft]', 'x-note').querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('');
  });

  it('keeps form-associated custom elements by name or id, and restores them with input and change', () => {
    const html = `<form id="f">
      <x-rating name="stars" value="3"></x-rating>
      <x-rating id="mood"></x-rating>
      <x-rating name="same" value="2"></x-rating>
      <x-rating name="pin" type="password"></x-rating>
      <x-rating></x-rating>
    </form>`;
    root = mount(html);
    rememberDefaults(document);
    const rating = (selector: string): XRating => root.querySelector<XRating>(selector)!;
    rating('[name=stars]').value = '5';
    rating('#mood').value = 'happy';
    rating('[name=same]').value = '2';
    rating('[name=pin]').value = '1234';
    rating('x-rating:not([name]):not([id])').value = 'anonymous';
    expect(collectDraft(document, null, NOW).fields).to.deep.equal([
      { key: 'f|stars', value: '5' },
      { key: 'f|mood', value: 'happy' },
    ]);

    root = saveAndReload(root, html);
    rating('#mood').value = 'grumpy';
    const events: string[] = [];
    root.addEventListener('input', (e) => events.push(`input:${(e.target as Element).getAttribute('name')}`));
    root.addEventListener('change', (e) => events.push(`change:${(e.target as Element).getAttribute('name')}`));
    expect(restoreDraft(sessionStorage, document, '/p', null, { now: NOW })).to.equal(1);
    expect(rating('[name=stars]').value).to.equal('5');
    expect(rating('#mood').value).to.equal('grumpy');
    expect(events).to.deep.equal(['input:stars', 'change:stars']);
  });

  it('keeps a hidden input only when it opts in with data-idle-session-draft', () => {
    const html = `<form id="f">
      <input type="hidden" name="content" data-idle-session-draft value="">
      <input type="hidden" name="preset" data-idle-session-draft value="&lt;p&gt;x&lt;/p&gt;">
      <input type="hidden" name="csrf" value="">
    </form>`;
    root = mount(html);
    rememberDefaults(document);
    root.querySelector<HTMLInputElement>('[name=content]')!.value = '<div>Rich</div>';
    root.querySelector<HTMLInputElement>('[name=csrf]')!.value = 'token';
    expect(collectDraft(document, null, NOW).fields).to.deep.equal([{ key: 'f|content', value: '<div>Rich</div>' }]);

    root = saveAndReload(root, html);
    expect(restoreDraft(sessionStorage, document, '/p', null, { now: NOW })).to.equal(1);
    expect(root.querySelector<HTMLInputElement>('[name=content]')!.value).to.equal('<div>Rich</div>');
    expect(root.querySelector<HTMLInputElement>('[name=preset]')!.value).to.equal('<p>x</p>');
  });

  it('uses a draft only within its maximum age, and removes a too old one unused', () => {
    root = mount('<input name="subject" value="">');
    const store = (savedAt: number): void =>
      sessionStorage.setItem(draftKey('/p'), JSON.stringify({ owner: 'u1', savedAt, fields: [{ key: '|subject', value: 'Kept' }] }));
    const subject = root.querySelector('input')!;

    store(NOW - DRAFT_MAX_AGE_MS - 1);
    expect(restoreDraft(sessionStorage, document, '/p', 'u1', { now: NOW })).to.equal(0);
    expect(subject.value).to.equal('');
    expect(sessionStorage.getItem(draftKey('/p'))).to.equal(null);

    store(NOW - 2 * HOUR);
    expect(restoreDraft(sessionStorage, document, '/p', 'u1', { now: NOW, maxAgeMs: HOUR })).to.equal(0);
    expect(subject.value).to.equal('');

    store(NOW - DRAFT_MAX_AGE_MS);
    expect(restoreDraft(sessionStorage, document, '/p', 'u1', { now: NOW })).to.equal(1);
    expect(subject.value).to.equal('Kept');
    expect(DRAFT_MAX_AGE_MS).to.equal(24 * HOUR);
  });

  it('restores only for the same owner (null included), removing the draft either way', () => {
    root = mount('<input name="subject" value="">');
    for (const [saved, asked] of [['u1', null], [null, 'u1'], ['u1', 'U1']] as const) {
      sessionStorage.setItem(draftKey('/p'), JSON.stringify({ owner: saved, savedAt: NOW, fields: [{ key: '|subject', value: 'X' }] }));
      expect(restoreDraft(sessionStorage, document, '/p', asked, { now: NOW })).to.equal(0);
      expect(sessionStorage.getItem(draftKey('/p'))).to.equal(null);
    }
    expect(root.querySelector('input')!.value).to.equal('');
  });

  it('does not overwrite a select or checkbox the user already changed', () => {
    const html = `<select name="color"><option>red</option><option>blue</option></select>
      <input type="checkbox" name="agree" value="yes">`;
    root = mount(html);
    expect(keys()).to.deep.equal([]);
    root.querySelector('select')!.value = 'blue';
    root.querySelector<HTMLInputElement>('[name=agree]')!.checked = true;
    root = saveAndReload(root, html);
    root.querySelector('select')!.value = 'blue';
    expect(restoreDraft(sessionStorage, document, '/p', null, { now: NOW })).to.equal(1);
    expect(root.querySelector('select')!.value).to.equal('blue');
    expect(root.querySelector<HTMLInputElement>('[name=agree]')!.checked).to.equal(true);
  });

  it('pruneDrafts removes drafts of other owners, too old and malformed ones, in every page', () => {
    const put = (path: string, owner: string | null, savedAt: number): void =>
      sessionStorage.setItem(draftKey(path), JSON.stringify({ owner, savedAt, fields: [{ key: '|a', value: 'x' }] }));
    put('/mine', 'u1', NOW - HOUR);
    put('/theirs', 'u2', NOW - HOUR);
    put('/anonymous', null, NOW - HOUR);
    put('/old', 'u1', NOW - DRAFT_MAX_AGE_MS - 1);
    sessionStorage.setItem(draftKey('/broken'), '{"owner":');
    sessionStorage.setItem(draftKey('/bad-field'), JSON.stringify({ owner: 'u1', savedAt: NOW, fields: [{ key: '|a', value: 1 }] }));
    sessionStorage.setItem('unrelated', 'stays');

    expect(pruneDrafts(sessionStorage, { owner: 'u1', now: NOW })).to.equal(5);
    expect(Object.keys(sessionStorage).sort()).to.deep.equal([draftKey('/mine'), 'unrelated']);

    put('/theirs', 'u2', NOW - HOUR);
    expect(pruneDrafts(sessionStorage, { owner: undefined, now: NOW, maxAgeMs: 2 * HOUR })).to.equal(0);
    expect(pruneDrafts(sessionStorage, { now: NOW + HOUR, maxAgeMs: HOUR })).to.equal(2);
    expect(sessionStorage.getItem('unrelated')).to.equal('stays');
  });

  it('never throws on blocked storage', () => {
    const blocked = new Proxy(sessionStorage, {
      get(_, name) {
        if (name === 'length') throw new DOMException('blocked', 'SecurityError');
        return () => {
          throw new DOMException('blocked', 'SecurityError');
        };
      },
    });
    root = mount('<input name="subject" value="">');
    root.querySelector('input')!.value = 'x';
    expect(saveDraft(blocked, '/p', collectDraft(document, null, NOW))).to.equal(false);
    expect(restoreDraft(blocked, document, '/p', null)).to.equal(0);
    expect(pruneDrafts(blocked, { owner: 'u1' })).to.equal(0);
    expect(() => clearDraft(blocked, '/p')).not.to.throw();
  });
});
