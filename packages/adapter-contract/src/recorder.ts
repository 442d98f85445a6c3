import { canonical, normalizeExchange, Placeholders, type Answer, type AnswerEntry, type NormalizeOptions, type RawExchange } from './answers.js';

/**
 * What a `TestBrowser` tells about each request it sends: `begin` when the request starts (so the
 * exchanges of a case are numbered in the order the case made them, whatever order the answers come
 * in), then the function it returns with a copy of the response (`Response.clone()`), or the error.
 */
export interface ExchangeRecorder {
  begin(method: string, path: string, sent: Record<string, string>): (outcome: Response | Error) => void;
}

type RecordingMode = { kind: 'unordered'; group: number } | { kind: 'unrecorded' };

interface Slot {
  /** Exchanges of one `unordered()` call share a group number. */
  group: number | null;
  exchange: Promise<RawExchange | { error: string; method: string; path: string; sent: Record<string, string> }>;
  /** Resolves when the body has been read to its end (or could not be). */
  read: Promise<unknown>;
}

/**
 * Records every exchange of one contract case, for comparison with the golden file. Requests started
 * inside {@link AnswerRecorder.unordered} form one group compared as a set (parallel requests answer in
 * any order); those started inside {@link AnswerRecorder.unrecorded} are left out (answers that depend
 * on a race by design, and the harness's own plumbing). Both apply to the requests a function *starts*
 * before it first waits, which is how `Promise.all([...])` starts them.
 */
export class AnswerRecorder implements ExchangeRecorder {
  readonly #slots: Slot[] = [];
  #mode: RecordingMode | null = null;
  #groups = 0;

  /** How many exchanges were recorded so far. */
  get count(): number {
    return this.#slots.length;
  }

  begin(method: string, path: string, sent: Record<string, string>): (outcome: Response | Error) => void {
    if (this.#mode?.kind === 'unrecorded') return () => {};
    let settle!: (outcome: Response | Error) => void;
    const outcome = new Promise<Response | Error>((resolve) => (settle = resolve));
    const exchange = outcome.then(async (response) => {
      if (response instanceof Error) return { error: response.message, method, path, sent };
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers[name] = value;
      });
      const body = await response.arrayBuffer().then(
        (buffer) => new Uint8Array(buffer),
        () => null,
      );
      return { method, path, sent, status: response.status, headers, setCookies: response.headers.getSetCookie(), body };
    });
    this.#slots.push({ group: this.#mode?.kind === 'unordered' ? this.#mode.group : null, exchange, read: exchange });
    return settle;
  }

  /** Runs `fn`; the requests it starts before it first waits are compared as a set, in any order. */
  unordered<T>(fn: () => Promise<T>): Promise<T> {
    return this.#within({ kind: 'unordered', group: ++this.#groups }, fn);
  }

  /**
   * Runs `fn`; the requests it starts before it first waits are not recorded. For answers that depend on
   * a race by design, and for the harness's plumbing (whose number of polls varies).
   */
  unrecorded<T>(fn: () => Promise<T>): Promise<T> {
    return this.#within({ kind: 'unrecorded' }, fn);
  }

  #within<T>(mode: RecordingMode, fn: () => Promise<T>): Promise<T> {
    const before = this.#mode;
    this.#mode = mode;
    try {
      return fn();
    } finally {
      this.#mode = before;
    }
  }

  /**
   * Waits until every answer's body has been read to its end, at most `timeoutMs` (a stream the case
   * left open never ends by itself). Returns whether all were read.
   */
  async settle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(this.#slots.map((slot) => slot.read)).then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The normalized answers, in the order the case made the requests; a group of `unordered()` requests
   * is one entry with its answers sorted. Waits for every body (call `settle` first, and close the app
   * if it did not settle, so that an open stream ends).
   */
  async entries(options: NormalizeOptions = {}): Promise<AnswerEntry[]> {
    const placeholders = new Placeholders();
    const entries: AnswerEntry[] = [];
    const groups = new Map<number, Answer[]>();
    for (const slot of this.#slots) {
      const raw = await slot.exchange;
      const group = slot.group === null ? undefined : groups.get(slot.group);
      const index = group ? entries.findIndex((entry) => 'unordered' in entry && entry.unordered === group) : entries.length;
      const answer: Answer =
        'error' in raw
          ? { request: `${raw.method} ${raw.path}`, status: 0, headers: {}, body: `(no answer: ${raw.error})` }
          : normalizeExchange(raw, placeholders, index, options);
      if (slot.group === null) entries.push(answer);
      else if (group) group.push(answer);
      else {
        const answers = [answer];
        groups.set(slot.group, answers);
        entries.push({ unordered: answers });
      }
    }
    for (const entry of entries) {
      if (!('unordered' in entry)) continue;
      const keyed = entry.unordered.map((answer) => [canonical(answer), answer] as const);
      keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      entry.unordered = keyed.map(([, answer]) => answer);
    }
    return entries;
  }
}
