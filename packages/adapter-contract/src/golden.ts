import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonical, sameEntry, type Answer, type AnswerEntry } from './answers.js';
import type { SessionMode } from './harness.js';

/**
 * The golden file: the whole answers every adapter must give, case by case, checked into the repository.
 * Read from `src/` whether this module runs from `src/` or from `dist/` (and kept in `src/` so that a
 * change to it is a change to the package's sources for the build's cache).
 */
export const ANSWERS_FILE: string = fileURLToPath(new URL('../src/answers.json', import.meta.url));

/** A difference allowed between session modes, with why it is inherent to the mode. */
export interface ModeException {
  /** The response header that may differ (lower-case). */
  header: string;
  reason: string;
}

/**
 * The only differences allowed between adapters: per session *mode*, never per framework. The golden
 * file holds the answers of store-backed sessions (`cases`); a mode listed here may have its own answer
 * for an exchange (`modes.<mode>`), which may differ from the store-backed one in these headers only.
 */
export const MODE_EXCEPTIONS: Readonly<Record<SessionMode, readonly ModeException[]>> = Object.freeze({
  store: [],
  cookie: [
    {
      header: 'set-cookie',
      reason:
        'A cookie-only session lives in its cookie: each write of the session (activity written after ' +
        'touchInterval, a keep-alive, an expiry marker) is a new cookie value the browser must get, where a ' +
        'store-backed session writes its store and sends its cookie only when the session id changes.',
    },
  ],
});

/** The mode whose answers are the golden file's `cases`. */
const BASE_MODE: SessionMode = 'store';

/** The golden file's content. */
export interface Golden {
  /** Answers of each case, by case name (`describe > … > test`), for store-backed sessions. */
  cases: Record<string, AnswerEntry[]>;
  /** Per mode, per case, per exchange index: that mode's answer where it differs (see {@link MODE_EXCEPTIONS}). */
  modes: Partial<Record<SessionMode, Record<string, Record<string, AnswerEntry>>>>;
}

const NOTE = [
  'The whole answers every idle-session adapter gives in the contract suite (packages/adapter-contract/src/suite.ts).',
  'Written by the suite with UPDATE_ANSWERS=1 (or UPDATE_ANSWERS=<part of an adapter name>); see src/answers.ts for the normalization,',
  'and src/golden.ts for the per-mode exceptions (MODE_EXCEPTIONS), the only differences allowed between adapters.',
];

/** Reads the golden file; an absent file is an empty one. */
export function readGolden(path: string = ANSWERS_FILE): Golden {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { cases: {}, modes: {} };
    throw error;
  }
  const data = JSON.parse(text) as Partial<Golden>;
  return { cases: data.cases ?? {}, modes: data.modes ?? {} };
}

/** The answers a case must give in `mode`, or `undefined` when the golden file has none for it. */
export function expectedAnswers(golden: Golden, caseName: string, mode: SessionMode): AnswerEntry[] | undefined {
  const base = golden.cases[caseName];
  if (!base) return undefined;
  const variants = golden.modes[mode]?.[caseName] ?? {};
  return base.map((entry, index) => variants[String(index)] ?? entry);
}

function stripAnswer(answer: Answer, headers: readonly string[]): Answer {
  return { ...answer, headers: Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !headers.includes(name))) };
}

/** An entry without the headers `mode` may change ({@link MODE_EXCEPTIONS}); a group stays sorted. */
export function withoutModeExceptions(entry: AnswerEntry, mode: SessionMode): AnswerEntry {
  const headers = MODE_EXCEPTIONS[mode].map((exception) => exception.header);
  if (headers.length === 0) return entry;
  if (!('unordered' in entry)) return stripAnswer(entry, headers);
  const stripped = entry.unordered.map((answer) => [canonical(stripAnswer(answer, headers)), stripAnswer(answer, headers)] as const);
  stripped.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { unordered: stripped.map(([, answer]) => answer) };
}

const line = (entry: AnswerEntry | undefined) => (entry === undefined ? '(none)' : JSON.stringify(entry));

function describeAnswerDifference(expected: Answer, actual: Answer): string[] {
  const lines: string[] = [];
  const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
  if (expected.request !== actual.request || canonical(expected.sent ?? {}) !== canonical(actual.sent ?? {})) {
    lines.push(`request: expected ${expected.request} ${show(expected.sent ?? {})}, made ${actual.request} ${show(actual.sent ?? {})} (the case changed: record it again)`);
  }
  if (expected.status !== actual.status) lines.push(`status: expected ${expected.status}, got ${actual.status}`);
  const names = [...new Set([...Object.keys(expected.headers), ...Object.keys(actual.headers)])].sort();
  for (const name of names) {
    const want = expected.headers[name];
    const got = actual.headers[name];
    if (canonical(want) !== canonical(got)) lines.push(`header ${name}: expected ${show(want)}, got ${show(got)}`);
  }
  if (canonical(expected.body) !== canonical(actual.body)) lines.push(`body: expected ${show(expected.body)}, got ${show(actual.body)}`);
  return lines;
}

/**
 * The differences between the answers a case must give and the ones it got, as readable text, or `null`
 * when they are the same.
 *
 * @param stoppedEarly - the case failed before its end: exchanges it did not make are not differences.
 */
export function diffAnswers(expected: readonly AnswerEntry[], actual: readonly AnswerEntry[], stoppedEarly = false): string | null {
  const lines: string[] = [];
  const count = stoppedEarly ? actual.length : Math.max(expected.length, actual.length);
  for (let index = 0; index < count; index++) {
    const want = expected[index];
    const got = actual[index];
    if (sameEntry(want, got)) continue;
    if (want === undefined) {
      lines.push(`#${index} not in the golden file: ${line(got)}`);
    } else if (got === undefined) {
      lines.push(`#${index} not made: ${line(want)}`);
    } else if (!('unordered' in want) && !('unordered' in got)) {
      lines.push(`#${index} ${got.request}${got.sent ? ` ${JSON.stringify(got.sent)}` : ''}`, ...describeAnswerDifference(want, got).map((text) => `    ${text}`));
    } else {
      lines.push(`#${index} (requests in parallel, compared as a set)`, `    expected ${line(want)}`, `    got      ${line(got)}`);
    }
  }
  return lines.length === 0 ? null : lines.join('\n');
}

/**
 * Puts a case's answers, as one adapter in `mode` gave them, into the golden file (in memory). The store
 * mode writes `cases` (and drops the other modes' answers that no longer differ from them only as
 * allowed); another mode writes its own answers where they differ, and only where they differ as its
 * {@link MODE_EXCEPTIONS} allow.
 *
 * @returns `null`, or why the answers could not be taken (they differ from the store-backed ones in more
 *   than the mode allows, or there are no store-backed ones yet).
 */
export function updateGolden(golden: Golden, caseName: string, mode: SessionMode, actual: AnswerEntry[]): string | null {
  if (mode === BASE_MODE) {
    golden.cases[caseName] = actual;
    for (const other of Object.keys(golden.modes) as SessionMode[]) {
      const variants = golden.modes[other]?.[caseName];
      if (!variants) continue;
      for (const index of Object.keys(variants)) {
        const base = actual[Number(index)];
        const variant = variants[index]!;
        if (!base || sameEntry(base, variant) || !sameEntry(withoutModeExceptions(base, other), withoutModeExceptions(variant, other))) delete variants[index];
      }
      if (Object.keys(variants).length === 0) delete golden.modes[other]![caseName];
    }
    return null;
  }
  const base = golden.cases[caseName];
  if (!base) return `no ${BASE_MODE}-mode answers for this case yet: record them first (UPDATE_ANSWERS with a ${BASE_MODE}-mode adapter)`;
  const problems: string[] = [];
  const variants: Record<string, AnswerEntry> = {};
  if (base.length !== actual.length) problems.push(`${actual.length} exchanges, where the ${BASE_MODE}-mode answers have ${base.length}`);
  actual.forEach((entry, index) => {
    const want = base[index];
    if (!want || sameEntry(want, entry)) return;
    if (sameEntry(withoutModeExceptions(want, mode), withoutModeExceptions(entry, mode))) variants[String(index)] = entry;
    else problems.push(`#${index} differs from the ${BASE_MODE}-mode answer in more than ${MODE_EXCEPTIONS[mode].map((e) => e.header).join(', ') || 'nothing'}`);
  });
  if (problems.length > 0) return problems.join('; ');
  const modes = (golden.modes[mode] ??= {});
  if (Object.keys(variants).length > 0) modes[caseName] = variants;
  else delete modes[caseName];
  return null;
}

function formatEntry(entry: AnswerEntry, indent: string): string {
  if (!('unordered' in entry)) return JSON.stringify(entry);
  return `{"unordered": [\n${entry.unordered.map((answer) => `${indent}  ${JSON.stringify(answer)}`).join(',\n')}\n${indent}]}`;
}

/**
 * Writes the golden file: cases in `order` (the suite's order; cases the suite no longer has are
 * dropped), one exchange per line, so that a change shows as the lines of the exchanges it changes.
 */
export function writeGolden(golden: Golden, order: readonly string[], path: string = ANSWERS_FILE): void {
  const known = new Set(order);
  const names = order.filter((name) => golden.cases[name]);
  const cases = names.map(
    (name) => `    ${JSON.stringify(name)}: [\n${golden.cases[name]!.map((entry) => `      ${formatEntry(entry, '      ')}`).join(',\n')}\n    ]`,
  );
  const modes = (Object.keys(golden.modes) as SessionMode[])
    .sort()
    .map((mode) => {
      const byCase = golden.modes[mode]!;
      const inner = order
        .filter((name) => known.has(name) && byCase[name] && golden.cases[name])
        .map((name) => {
          const variants = byCase[name]!;
          const indexes = Object.keys(variants).sort((a, b) => Number(a) - Number(b));
          return `      ${JSON.stringify(name)}: {\n${indexes.map((index) => `        ${JSON.stringify(index)}: ${formatEntry(variants[index]!, '        ')}`).join(',\n')}\n      }`;
        });
      return `    ${JSON.stringify(mode)}: {${inner.length ? `\n${inner.join(',\n')}\n    ` : ''}}`;
    });
  const text = `{\n  "//": ${JSON.stringify(NOTE)},\n  "cases": {\n${cases.join(',\n')}\n  },\n  "modes": {${modes.length ? `\n${modes.join(',\n')}\n  ` : ''}}\n}\n`;
  JSON.parse(text); // never write a file that does not read back
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
