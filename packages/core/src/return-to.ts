/** The query parameter that carries where the user was, on the way to the login page and back (Django's convention). */
export const NEXT_PARAM = 'next';

// core's build has no DOM or Node types; every runtime it supports has the WHATWG URL class.
type ParsedUrl = { origin: string; pathname: string; search: string; hash: string };
type UrlConstructor = new (input: string, base: string) => ParsedUrl;

/** The longest return-to path accepted, in characters. */
const MAX_LENGTH = 2_048;

// Control characters (C0, DEL, C1) and the backslash, which browsers read as a slash in URLs.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\]/;

function decodedForms(value: string): string[] {
  const forms = [value];
  let current = value;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return [...forms, '\u0000']; // malformed percent-encoding: refused
    }
    if (next === current) break;
    forms.push(next);
    current = next;
  }
  return forms;
}

/**
 * The path to send a user back to after signing in, if `value` is a safe one; `null` otherwise. Safe means
 * a path on this site and nothing else (OWASP Unvalidated Redirects and Forwards Cheat Sheet): it starts
 * with exactly one `/`, and neither it nor any percent-decoded form of it has a second `/` or a `\` right
 * after the first, a backslash anywhere, a control character (tab, newline, NUL…), a scheme (`javascript:`,
 * `https:`) or a host. The result is re-serialized from the parsed URL, so what is returned is exactly the
 * path, query and fragment a browser would follow, on the same origin.
 *
 * Refused, among others: `https://evil.example`, `//evil.example`, `/\evil.example`, `\\evil.example`,
 * `/%2F%2Fevil.example`, `/%5Cevil.example`, `%2F%2Fevil.example`, `/\t/evil.example`, `javascript:alert(1)`,
 * `http:/evil.example`, a leading space, and anything that is not a string.
 *
 * @param value - untrusted input, such as the `next` query parameter or form field.
 * @returns the path (with query and fragment), or `null`.
 */
export function safeNextPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return null;
  for (const form of decodedForms(value)) {
    if (FORBIDDEN.test(form)) return null;
    if (!form.startsWith('/') || form.startsWith('//')) return null;
  }
  const base = 'http://return-to.invalid';
  let url: ParsedUrl;
  try {
    url = new (globalThis as unknown as { URL: UrlConstructor }).URL(value, base);
  } catch {
    return null;
  }
  if (url.origin !== base) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('/') && !path.startsWith('//') ? path : null;
}
