/**
 * Whole answers: one HTTP exchange of a contract case turned into a value that is the same on every
 * adapter that answers the same way, and differs wherever an adapter answers differently.
 *
 * What is kept, and how volatile parts are made stable:
 * - the request: method, path and the headers the case set itself (the cookie jar's `Cookie` is left out);
 * - the status;
 * - every response header except the ones that are per-connection or per-moment by nature
 *   ({@link PER_REQUEST_HEADERS}): `Date`, `Connection`, `Keep-Alive`, `Transfer-Encoding`;
 * - `Set-Cookie`, one string per cookie: its name (the session cookie as `<session>`), its value as a
 *   placeholder named after the exchange that first set it (`<cookie from #3>`: a value sent again keeps
 *   its placeholder, so a re-sent cookie shows) or `(deleted)` for a deletion (Expires in the past, or
 *   Max-Age=0), and its other attributes, lower-cased and sorted. A `Cookie` the case sent itself (a
 *   replayed copy) shows a value the app gave as `<given earlier>`, any other value as it is.
 *   A signature cookie `<name>.sig` sent with its cookie (koa-session's keygrip signatures) is folded
 *   into it: how a framework signs its cookie is its own business, what the browser must keep is not;
 * - `Content-Length` left out when it is the length of the body, else kept as it is (a HEAD answer's):
 *   like `Transfer-Encoding`, it frames the message (RFC 9112, section 6), and whether a server sends one
 *   or streams in chunks depends on how the framework ended the response, not on the answer; the body is
 *   compared itself. `ETag` as `<etag>` (its presence matters, its hash of a body with random ids does not);
 * - the body: parsed JSON when the answer says JSON, else text; random ids in it (`sessionId`, a CSRF
 *   `token`) become placeholders numbered within the case, so "the same id again" and "a new id" stay apart;
 * - anywhere, the test server's origin (`http://127.0.0.1:<port>`) becomes `<origin>`.
 */

/** The response headers that belong to one connection or one moment, never to an answer. */
export const PER_REQUEST_HEADERS: ReadonlySet<string> = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** The default session cookie names of the session libraries the adapters run on. */
export const DEFAULT_SESSION_COOKIES: readonly string[] = ['connect.sid', 'koa.sess'];

/** The JSON body fields that carry random identifiers, with the name of their placeholder. */
const VOLATILE_BODY_FIELDS: Readonly<Record<string, string>> = { sessionId: 'sessionId', token: 'token' };

/** Request headers whose values are random identifiers; shown as placeholders. */
const VOLATILE_SENT_HEADERS: ReadonlySet<string> = new Set(['x-idle-session-id', 'x-csrf-token']);

/** Bodies longer than this many characters are cut (with a note of the rest's length). */
const MAX_TEXT = 2_000;

/** A normalized HTTP exchange, as the golden file holds it. */
export interface Answer {
  /** `METHOD path`, the path as the case gave it (relative to the app's URL). */
  request: string;
  /** The request headers the case set itself, normalized; absent when none. */
  sent?: Record<string, string>;
  status: number;
  /** Every response header but {@link PER_REQUEST_HEADERS}, by lower-case name; `set-cookie` is a list. */
  headers: Record<string, string | string[]>;
  /** Parsed JSON, text, or `""` for no body. */
  body: unknown;
}

/** Exchanges whose order depends on timing (requests sent in parallel), compared as a set. */
export interface UnorderedAnswers {
  unordered: Answer[];
}

/** One entry of a case: an exchange, or a group of parallel exchanges. */
export type AnswerEntry = Answer | UnorderedAnswers;

/** What was received, before normalization. */
export interface RawExchange {
  method: string;
  path: string;
  sent: Record<string, string>;
  status: number;
  /** Response headers by lower-case name, without `set-cookie`. */
  headers: Record<string, string>;
  setCookies: string[];
  /** The body as received, or `null` when it could not be read to its end. */
  body: Uint8Array | null;
}

const ORIGIN = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/g;

/**
 * The placeholders of one case: each distinct random value gets one, so that two answers naming the same
 * session say so, and a new one shows. Ids in bodies are numbered by kind in the order the exchanges were
 * made (`<sessionId#2>`); cookie values are named after the exchange that first set them, so that the
 * extra cookies of one session mode (see `MODE_EXCEPTIONS`) do not renumber every cookie after them.
 */
export class Placeholders {
  readonly #byValue = new Map<string, string>();
  readonly #counts = new Map<string, number>();
  readonly #cookies = new Map<string, string>();
  readonly #cookieNames = new Set<string>();

  /** The placeholder of a cookie value first set by the exchange numbered `entry` (given one now when new). */
  cookie(value: string, entry: number): string {
    let placeholder = this.#cookies.get(value);
    if (placeholder === undefined) {
      placeholder = `<cookie from #${entry}>`;
      for (let nth = 2; this.#cookieNames.has(placeholder); nth++) placeholder = `<cookie from #${entry}, ${nth}>`;
      this.#cookieNames.add(placeholder);
      this.#cookies.set(value, placeholder);
    }
    return placeholder;
  }

  /** Whether `value` is a cookie value the app set in this case. */
  isCookie(value: string): boolean {
    return this.#cookies.has(value);
  }

  /** The placeholder of `value` (given one now when new). */
  of(kind: string, value: string): string {
    const key = `${kind}\u0000${value}`;
    let placeholder = this.#byValue.get(key);
    if (placeholder === undefined) {
      const count = (this.#counts.get(kind) ?? 0) + 1;
      this.#counts.set(kind, count);
      placeholder = `<${kind}#${count}>`;
      this.#byValue.set(key, placeholder);
    }
    return placeholder;
  }

  /**
   * The placeholder `value` already has under any kind, if any; a value that differs from a known one
   * only in letter case is shown as that one's placeholder, `(other case)`.
   */
  known(value: string): string | undefined {
    let other: string | undefined;
    for (const [key, placeholder] of this.#byValue) {
      const known = key.slice(key.indexOf('\u0000') + 1);
      if (known === value) return placeholder;
      if (other === undefined && known.toLowerCase() === value.toLowerCase()) other = `${placeholder} (other case)`;
    }
    return other;
  }
}

/** Options of {@link normalizeExchange}. */
export interface NormalizeOptions {
  /** Session cookie names, shown as `<session>`. Default {@link DEFAULT_SESSION_COOKIES}. */
  sessionCookies?: readonly string[];
}

const withoutOrigin = (text: string) => text.replace(ORIGIN, '<origin>');

function cookieName(name: string, sessionCookies: readonly string[]): string {
  if (sessionCookies.includes(name)) return '<session>';
  const base = name.endsWith('.sig') ? name.slice(0, -4) : null;
  return base !== null && sessionCookies.includes(base) ? '<session>.sig' : name;
}

interface ParsedCookie {
  name: string;
  value: string;
  deleted: boolean;
  attributes: string[];
}

function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...parts] = header.split(';');
  const at = pair.indexOf('=');
  const name = (at === -1 ? pair : pair.slice(0, at)).trim();
  const value = at === -1 ? '' : pair.slice(at + 1).trim();
  let deleted = false;
  const attributes: string[] = [];
  for (const part of parts) {
    const text = part.trim();
    if (!text) continue;
    const eq = text.indexOf('=');
    const key = (eq === -1 ? text : text.slice(0, eq)).trim().toLowerCase();
    const raw = eq === -1 ? null : text.slice(eq + 1).trim();
    if (key === 'expires' && raw !== null && Date.parse(raw) < Date.UTC(2000, 0, 1)) {
      deleted = true;
      continue;
    }
    if (key === 'max-age' && raw !== null && Number(raw) <= 0) {
      deleted = true;
      continue;
    }
    const shown = raw === null ? key : key === 'samesite' ? `${key}=${raw.toLowerCase()}` : `${key}=${withoutOrigin(raw)}`;
    attributes.push(shown);
  }
  attributes.sort();
  return { name, value, deleted, attributes };
}

/**
 * The `Set-Cookie` headers of one answer as sorted strings `name=value; attribute; …` (see the module's
 * description): the same on every adapter that sets the same cookies with the same attributes.
 */
export function normalizeSetCookies(
  headers: readonly string[],
  placeholders: Placeholders,
  entry: number,
  sessionCookies: readonly string[] = DEFAULT_SESSION_COOKIES,
): string[] {
  const cookies = headers.map(parseSetCookie);
  const shown = cookies
    .filter((cookie) => {
      if (!cookie.name.endsWith('.sig')) return true;
      // A signature travelling with its cookie, deleted or set as it is, with the same attributes: folded in.
      const signed = cookies.find((other) => other.name === cookie.name.slice(0, -4));
      return !(signed && signed.deleted === cookie.deleted && signed.attributes.join(';') === cookie.attributes.join(';'));
    })
    .map((cookie) => {
      const value = cookie.deleted ? '(deleted)' : placeholders.cookie(cookie.value, entry);
      return [`${cookieName(cookie.name, sessionCookies)}=${value}`, ...cookie.attributes].join('; ');
    });
  return shown.sort();
}

function normalizeJson(value: unknown, placeholders: Placeholders, key?: string): unknown {
  if (typeof value === 'string') {
    const kind = key === undefined ? undefined : VOLATILE_BODY_FIELDS[key];
    return kind ? placeholders.of(kind, value) : withoutOrigin(value);
  }
  if (Array.isArray(value)) return value.map((item) => normalizeJson(item, placeholders));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, normalizeJson(item, placeholders, name)]));
  }
  return value;
}

function normalizeBody(body: Uint8Array | null, contentType: string | undefined, placeholders: Placeholders): unknown {
  if (body === null) return '(not read to its end)';
  const text = new TextDecoder().decode(body);
  if (text === '') return '';
  if (contentType !== undefined && /[/+]json\b/i.test(contentType)) {
    try {
      return normalizeJson(JSON.parse(text), placeholders);
    } catch {
      // not JSON after all: compared as text
    }
  }
  const shown = withoutOrigin(text);
  return shown.length > MAX_TEXT ? `${shown.slice(0, MAX_TEXT)}…(${shown.length - MAX_TEXT} more characters)` : shown;
}

/** A value the case sent, for the record: placeholders for known random values, long values shortened. */
function normalizeSent(name: string, value: string, placeholders: Placeholders, sessionCookies: readonly string[]): string {
  const shorten = (text: string) => placeholders.known(text) ?? (text.length > 40 ? `<${text.length} characters>` : withoutOrigin(text));
  if (name === 'cookie') {
    if (value === '') return '';
    const pairs = value.split(/;\s*/);
    const names = new Set(pairs.map((pair) => pair.slice(0, Math.max(0, pair.indexOf('=')))));
    return pairs
      .filter((pair) => {
        const named = pair.slice(0, Math.max(0, pair.indexOf('=')));
        return !(named.endsWith('.sig') && names.has(named.slice(0, -4))); // a signature sent with its cookie
      })
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at === -1) return shorten(pair);
        const given = pair.slice(at + 1);
        return `${cookieName(pair.slice(0, at), sessionCookies)}=${placeholders.isCookie(given) ? '<given earlier>' : shorten(given)}`;
      })
      .join('; ');
  }
  if (VOLATILE_SENT_HEADERS.has(name)) return value === '' ? '' : shorten(value);
  return shorten(value);
}

/**
 * Turns one exchange into its {@link Answer}. Call it for the exchanges of a case in the order they
 * were made, with one {@link Placeholders} for the whole case.
 *
 * @param entry - the number of the case's entry the exchange is (or is in, for parallel requests).
 */
export function normalizeExchange(exchange: RawExchange, placeholders: Placeholders, entry: number, options: NormalizeOptions = {}): Answer {
  const sessionCookies = options.sessionCookies ?? DEFAULT_SESSION_COOKIES;
  const sentEntries = Object.entries(exchange.sent).map(([name, value]) => [name.toLowerCase(), value] as const);
  const sent = Object.fromEntries(sentEntries.map(([name, value]) => [name, normalizeSent(name, value, placeholders, sessionCookies)]));
  const headers: Record<string, string | string[]> = {};
  const body = normalizeBody(exchange.body, exchange.headers['content-type'], placeholders);
  for (const name of Object.keys(exchange.headers).sort()) {
    if (PER_REQUEST_HEADERS.has(name)) continue;
    const value = exchange.headers[name]!;
    if (name === 'content-length' && exchange.body !== null && Number(value) === exchange.body.byteLength) continue;
    if (name === 'etag') headers[name] = '<etag>';
    else headers[name] = withoutOrigin(value);
  }
  if (exchange.setCookies.length > 0) headers['set-cookie'] = normalizeSetCookies(exchange.setCookies, placeholders, entry, sessionCookies);
  const answer: Answer = { request: `${exchange.method} ${exchange.path}`, status: exchange.status, headers, body };
  if (sentEntries.length > 0) return { request: answer.request, sent, status: answer.status, headers, body };
  return answer;
}

/** A stable text form of an entry, for sorting and equality. Object keys in sorted order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two entries are the same answer. */
export function sameEntry(a: AnswerEntry | undefined, b: AnswerEntry | undefined): boolean {
  return canonical(a) === canonical(b);
}
