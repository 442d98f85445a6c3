/**
 * Keeping a user's unsent form input across a session timeout ("no lost work"): what
 * `<idle-session-warning keep-drafts>` saves to `sessionStorage` when the session ends and puts back
 * when the same user signs in again and returns to the same page. Framework-free DOM functions.
 *
 * Never kept: password, hidden and file inputs, buttons, disabled fields, fields without a name or id,
 * and any field inside an element marked `data-idle-session-no-draft`.
 */

/** One saved field: where it was, and its value (or checked state). */
export interface DraftField {
  /** `form|field`: the form's id, name or position, and the field's name or id. */
  readonly key: string;
  readonly value: string;
  /** For checkboxes and radio buttons. */
  readonly checked?: boolean;
}

/** What is saved for one page. */
export interface Draft {
  /** Whose draft it is (the element's `draft-owner`), so another user signing in never sees it; `null` when the app gives none. */
  readonly owner: string | null;
  /** Epoch milliseconds when it was saved. */
  readonly savedAt: number;
  readonly fields: readonly DraftField[];
}

const PREFIX = 'idle-session-draft:';
const SKIPPED_TYPES = new Set(['password', 'hidden', 'file', 'submit', 'button', 'reset', 'image']);

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function formKey(field: Field, doc: Document): string {
  const form = field.form;
  if (!form) return '';
  return form.id || form.getAttribute('name') || `#${Array.prototype.indexOf.call(doc.forms, form)}`;
}

function keyOf(field: Field, doc: Document): string | null {
  const name = field.name || field.id;
  return name ? `${formKey(field, doc)}|${name}` : null;
}

function keepable(field: Field): boolean {
  if (field.disabled || field.closest('[data-idle-session-no-draft]')) return false;
  return !(field instanceof HTMLInputElement) || !SKIPPED_TYPES.has(field.type);
}

function fields(doc: Document): Field[] {
  return Array.from(doc.querySelectorAll<Field>('input, textarea, select')).filter(keepable);
}

/** The storage key of a page's draft. */
export function draftKey(path: string): string {
  return PREFIX + path;
}

/**
 * Collects the keepable fields whose value differs from their default (what the user changed).
 * @param doc - the page.
 * @param owner - whose draft it is, or `null`.
 * @param now - epoch milliseconds.
 */
export function collectDraft(doc: Document, owner: string | null, now: number): Draft {
  const saved: DraftField[] = [];
  for (const field of fields(doc)) {
    const key = keyOf(field, doc);
    if (!key) continue;
    if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio')) {
      if (field.checked !== field.defaultChecked) saved.push({ key: `${key}=${field.value}`, value: field.value, checked: field.checked });
    } else if (field instanceof HTMLSelectElement ? field.value !== (field.querySelector('option[selected]') as HTMLOptionElement | null)?.value : field.value !== field.defaultValue) {
      saved.push({ key, value: field.value });
    }
  }
  return { owner, savedAt: now, fields: saved };
}

/** Saves a draft for `path`, when it has any field. Returns whether it was saved (storage may be full or blocked). */
export function saveDraft(storage: Storage, path: string, draft: Draft): boolean {
  if (draft.fields.length === 0) return false;
  try {
    storage.setItem(draftKey(path), JSON.stringify(draft));
    return true;
  } catch {
    return false;
  }
}

/** Removes the draft of `path`. Never throws. */
export function clearDraft(storage: Storage, path: string): void {
  try {
    storage.removeItem(draftKey(path));
  } catch {
    // storage blocked: nothing to clear
  }
}

function readDraft(storage: Storage, path: string): Draft | null {
  try {
    const value: unknown = JSON.parse(storage.getItem(draftKey(path)) ?? 'null');
    if (!value || typeof value !== 'object') return null;
    const { owner, savedAt, fields: saved } = value as Record<string, unknown>;
    if ((owner !== null && typeof owner !== 'string') || typeof savedAt !== 'number' || !Array.isArray(saved)) return null;
    const valid = saved.filter(
      (f): f is DraftField =>
        !!f && typeof f === 'object' && typeof f.key === 'string' && typeof f.value === 'string' && (f.checked === undefined || typeof f.checked === 'boolean'),
    );
    return { owner: owner as string | null, savedAt, fields: valid };
  } catch {
    return null;
  }
}

/**
 * Puts a saved draft back into the page when it belongs to `owner`, then removes it. Only fields the
 * user has not changed yet are filled; each filled field gets an `input` event so frameworks notice.
 * A draft of another owner is removed without being used. Malformed storage is ignored.
 * @returns how many fields were filled.
 */
export function restoreDraft(storage: Storage, doc: Document, path: string, owner: string | null): number {
  const draft = readDraft(storage, path);
  if (!draft) return 0;
  clearDraft(storage, path);
  if (draft.owner !== owner) return 0;
  const byKey = new Map(draft.fields.map((f) => [f.key, f]));
  let filled = 0;
  for (const field of fields(doc)) {
    const key = keyOf(field, doc);
    if (!key) continue;
    if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio')) {
      const saved = byKey.get(`${key}=${field.value}`);
      if (saved?.checked === undefined || field.checked !== field.defaultChecked) continue;
      field.checked = saved.checked;
    } else {
      const saved = byKey.get(key);
      if (!saved || (field instanceof HTMLSelectElement ? false : field.value !== field.defaultValue)) continue;
      field.value = saved.value;
    }
    field.dispatchEvent(new Event('input', { bubbles: true }));
    filled++;
  }
  return filled;
}
