/**
 * Keeping a user's unsent input across a session timeout ("no lost work"): what
 * `<idle-session-warning keep-drafts>` saves to `sessionStorage` when the session ends and puts back
 * when the same user signs in again and returns to the same page. Framework-free DOM functions.
 *
 * Kept: `input`, `textarea` and `select` fields; `contenteditable` regions (the outermost editable
 * element, named by `data-idle-session-draft="name"` or its id); form-associated custom elements with a
 * string `value`; hidden inputs only when marked `data-idle-session-draft` (editors such as Trix keep
 * their content there). Fields inside open shadow roots are found too, nested ones included.
 *
 * Never kept: password and file inputs (nor custom elements whose `type` is `password` or `file`),
 * unmarked hidden inputs, buttons, disabled fields, fields without a name or id, and anything inside an
 * element marked `data-idle-session-no-draft` (shadow roots of such elements included).
 *
 * Drafts are plaintext in `sessionStorage`: they stay in the tab, expire after a maximum age
 * ({@link DRAFT_MAX_AGE_MS} unless told otherwise) and are removed, unused, for another owner.
 */

/** One saved field: where it was, and its value (or checked state). */
export interface DraftField {
  /**
   * `form|field`: the form's id, name or position, and the field's name or id; `~name` for a
   * contenteditable region. Inside shadow roots it starts with the chain of hosts, each `#id` or
   * `tag:n` (the n-th host with that tag in its tree) followed by `>`, e.g. `#editor>note:0>|title`.
   */
  readonly key: string;
  /** The value; a contenteditable region's `innerHTML`. */
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

/** How long a saved draft may be used, in milliseconds, unless told otherwise: 24 hours. */
export const DRAFT_MAX_AGE_MS = 86_400_000;

/** Options of {@link restoreDraft}. */
export interface DraftAgeOptions {
  /** A draft saved longer ago than this, in milliseconds, is removed unused. Default {@link DRAFT_MAX_AGE_MS}. */
  readonly maxAgeMs?: number;
  /** The current time, epoch milliseconds. Default `Date.now()`. */
  readonly now?: number;
}

/** Options of {@link pruneDrafts}. */
export interface PruneOptions extends DraftAgeOptions {
  /** Drafts of any other owner are removed (`null` is an owner too); `undefined` keeps every owner's. */
  readonly owner?: string | null;
}

const PREFIX = 'idle-session-draft:';
const NO_DRAFT = '[data-idle-session-no-draft]';
const OPT_IN = 'data-idle-session-draft';
const SKIPPED_TYPES = new Set(['password', 'hidden', 'file', 'submit', 'button', 'reset', 'image']);

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
/** A form-associated custom element with a string `value`. */
type Face = HTMLElement & { value: string; defaultValue?: unknown };

/** Values of contenteditable regions, custom elements and hidden inputs when first seen by {@link rememberDefaults}. */
const defaults = new WeakMap<Element, string>();

const isField = (el: Element): el is Field =>
  el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;
const isFace = (el: Element): el is Face =>
  (el.constructor as { formAssociated?: unknown }).formAssociated === true && typeof (el as Partial<Face>).value === 'string';
const isEditable = (el: Element): el is HTMLElement =>
  el instanceof HTMLElement && el.hasAttribute('contenteditable') && el.isContentEditable && !el.parentElement?.isContentEditable;
const isCheckable = (el: Element): el is HTMLInputElement => el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio');
/** Kept by value against a remembered default: contenteditable, custom elements, opted-in hidden inputs. */
const isPlain = (el: Element): boolean => !isField(el) || el.type === 'hidden';

function formKey(el: Element, root: Document | ShadowRoot): string {
  const form = isField(el) ? el.form : el.closest('form');
  if (!form) return '';
  return form.id || form.getAttribute('name') || `#${Array.prototype.indexOf.call(root.querySelectorAll('form'), form)}`;
}

/** The key of a keepable element, or `null`. */
function keyOf(el: Element, root: Document | ShadowRoot, prefix: string): string | null {
  if (isEditable(el)) {
    const name = el.getAttribute(OPT_IN) || el.id;
    return name ? `${prefix}~${name}` : null;
  }
  if (!isField(el) && !isFace(el)) return null;
  const type = String((el as { type?: unknown }).type ?? el.getAttribute('type') ?? '').toLowerCase();
  if (el.matches(':disabled') || (SKIPPED_TYPES.has(type) && !(type === 'hidden' && el.hasAttribute(OPT_IN)))) return null;
  const name = (isField(el) ? el.name : el.getAttribute('name')) || el.id;
  return name ? `${prefix}${formKey(el, root)}|${name}` : null;
}

/** Every keepable element with its key, in tree order, descending into open shadow roots. */
function walk(root: Document | ShadowRoot, prefix = '', out: [Element, string][] = []): [Element, string][] {
  const hosts = new Map<string, number>();
  for (const el of Array.from(root.querySelectorAll('*'))) {
    if (el.closest(NO_DRAFT)) continue;
    const key = keyOf(el, root, prefix);
    if (key) out.push([el, key]);
    const shadow = el.shadowRoot;
    if (!shadow || isFace(el)) continue; // a custom element's own value stands for its insides
    const n = hosts.get(el.localName) ?? 0;
    hosts.set(el.localName, n + 1);
    walk(shadow, `${prefix}${el.id ? `#${el.id}` : `${el.localName}:${n}`}>`, out);
  }
  return out;
}

const valueOf = (el: Element): string => (isEditable(el) ? el.innerHTML : (el as Face).value);

/** What a plain element held before the user typed: `defaultValue` of a custom element, else what {@link rememberDefaults} saw, else empty. */
function initial(el: Element): string {
  const given = isFace(el) ? el.defaultValue : undefined;
  return typeof given === 'string' ? given : (defaults.get(el) ?? '');
}

/** Whether the user changed a field: from its default, or for plain elements from {@link initial} (ignoring outer white space). */
function changed(el: Element): boolean {
  if (isCheckable(el)) return el.checked !== el.defaultChecked;
  if (isPlain(el)) return valueOf(el).trim() !== initial(el).trim();
  const given = el instanceof HTMLSelectElement
    ? (el.querySelector<HTMLOptionElement>('option[selected]') ?? (el.multiple ? null : el.options[0]))?.value ?? ''
    : (el as HTMLInputElement).defaultValue;
  return valueOf(el) !== given;
}

/**
 * Notes the current content of the page's contenteditable regions, form-associated custom elements and
 * opted-in hidden inputs (those have no default value of their own), so that later only what the user
 * changed is kept, and a draft is put back only where nothing changed. Call it when the page is ready
 * (the element does at connect time); elements already noted keep their first value. Without it, any
 * non-empty content of those counts as changed. Never throws.
 */
export function rememberDefaults(doc: Document): void {
  try {
    for (const [el] of walk(doc)) if (isPlain(el) && !defaults.has(el)) defaults.set(el, valueOf(el));
  } catch {
    // a custom element's getter threw: nothing to remember
  }
}

/** The storage key of a page's draft: a fixed prefix and `path`. */
export function draftKey(path: string): string {
  return PREFIX + path;
}

/**
 * Collects the keepable fields that the user changed (see the module notes for what is never kept).
 * Empty contenteditable regions, custom elements and hidden inputs are never kept.
 * @param doc - the page, open shadow roots included.
 * @param owner - whose draft it is, or `null`.
 * @param now - epoch milliseconds.
 */
export function collectDraft(doc: Document, owner: string | null, now: number): Draft {
  const saved: DraftField[] = [];
  for (const [el, key] of walk(doc)) {
    try {
      if (!changed(el)) continue;
      if (isCheckable(el)) saved.push({ key: `${key}=${el.value}`, value: el.value, checked: el.checked });
      else if (!isPlain(el) || valueOf(el).trim()) saved.push({ key, value: valueOf(el) });
    } catch {
      // a custom element's getter threw: skip it
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

/** A stored draft, or `null` when it is absent or malformed in any part (fail closed). */
function parse(text: string | null): Draft | null {
  try {
    const value: unknown = JSON.parse(text ?? 'null');
    if (!value || typeof value !== 'object') return null;
    const { owner, savedAt, fields: saved } = value as Record<string, unknown>;
    if ((owner !== null && typeof owner !== 'string') || typeof savedAt !== 'number' || !Array.isArray(saved)) return null;
    const valid = saved.every(
      (f: Record<string, unknown> | null) =>
        !!f && typeof f === 'object' && typeof f.key === 'string' && typeof f.value === 'string' && (f.checked === undefined || typeof f.checked === 'boolean'),
    );
    return valid ? { owner, savedAt, fields: saved as DraftField[] } : null;
  } catch {
    return null;
  }
}

/** Whether a draft is too old; a maxAgeMs that is not a number makes every draft too old. */
const expired = (draft: Draft, { maxAgeMs = DRAFT_MAX_AGE_MS, now = Date.now() }: DraftAgeOptions): boolean => !(now - draft.savedAt <= maxAgeMs);

function fire(el: Element, ...types: string[]): void {
  for (const type of types) el.dispatchEvent(new Event(type, { bubbles: true, composed: true }));
}

/**
 * Puts a saved draft back into the page when it belongs to `owner` and is not older than
 * `options.maxAgeMs`, then removes it. Only fields the user has not changed yet are filled; each filled
 * field gets an `input` event (custom elements also `change`; both bubble and are composed) so
 * frameworks notice. A draft of another owner, a too old one and a malformed one are removed unused.
 * Never throws.
 * @param options - `maxAgeMs` (default {@link DRAFT_MAX_AGE_MS}) and `now` (epoch ms, default `Date.now()`).
 * @returns how many fields were filled.
 */
export function restoreDraft(storage: Storage, doc: Document, path: string, owner: string | null, options: DraftAgeOptions = {}): number {
  let draft: Draft | null;
  try {
    draft = parse(storage.getItem(draftKey(path)));
  } catch {
    return 0;
  }
  clearDraft(storage, path);
  if (!draft || draft.owner !== owner || expired(draft, options)) return 0;
  const byKey = new Map(draft.fields.map((f) => [f.key, f]));
  let filled = 0;
  for (const [el, key] of walk(doc)) {
    try {
      if (isCheckable(el)) {
        const saved = byKey.get(`${key}=${el.value}`);
        if (saved?.checked === undefined || changed(el)) continue;
        el.checked = saved.checked;
      } else {
        const saved = byKey.get(key);
        if (!saved || changed(el)) continue;
        if (isEditable(el)) el.innerHTML = saved.value;
        else (el as Face).value = saved.value;
      }
      fire(el, ...(isFace(el) ? ['input', 'change'] : ['input']));
      filled++;
    } catch {
      // a custom element's setter threw: leave it
    }
  }
  return filled;
}

/**
 * Removes every idle-session draft in `storage` (all pages) that belongs to another owner than
 * `options.owner` (skipped when `owner` is `undefined`), is older than `options.maxAgeMs` (default
 * {@link DRAFT_MAX_AGE_MS}, measured from `options.now`, epoch ms, default `Date.now()`), or is malformed.
 * Call it when a signed-in user is known, so nobody else's drafts linger in the tab. Never throws.
 * @returns how many drafts were removed.
 */
export function pruneDrafts(storage: Storage, options: PruneOptions = {}): number {
  let removed = 0;
  try {
    const keys: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(PREFIX)) keys.push(key);
    }
    for (const key of keys) {
      const draft = parse(storage.getItem(key));
      if (draft && (options.owner === undefined || draft.owner === options.owner) && !expired(draft, options)) continue;
      storage.removeItem(key);
      removed++;
    }
  } catch {
    // storage blocked: stop here
  }
  return removed;
}
