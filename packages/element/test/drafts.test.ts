import { expect } from '@open-wc/testing';
import { clearDraft, collectDraft, draftKey, restoreDraft, saveDraft } from '../src/drafts.js';

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
    expect(restoreDraft(sessionStorage, document, '/notes', 'u1')).to.equal(2);
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
    clearDraft(sessionStorage, '/notes');
    expect(sessionStorage.getItem(draftKey('/notes'))).to.equal(null);
  });
});
