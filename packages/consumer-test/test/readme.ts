import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './scratch.js';

/** One fenced code block of a README, and where it is. */
export interface Snippet {
  /** Repository-relative path of the README. */
  readonly file: string;
  readonly heading: string;
  /** Line of the README on which the code starts (1-based). */
  readonly line: number;
  readonly code: string;
}

/**
 * The code blocks of language `lang` in one section of a Markdown file: from the line that is exactly
 * `heading` to the next heading of any level (so a subsection's examples are not the section's). Throws,
 * naming the README and the heading, when the heading is missing or the section does not hold exactly
 * `count` such blocks: a README that drifts breaks the consumer test instead of being skipped.
 */
export function codeBlocks(file: string, heading: string, { lang = 'ts', count = 1 } = {}): Snippet[] {
  const lines = readFileSync(path.join(REPO, file), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trimEnd() === heading);
  if (start < 0) throw new Error(`${file} has no heading "${heading}" any more: update the consumer test (packages/consumer-test).`);
  const blocks: Snippet[] = [];
  let open: { line: number; code: string[] } | null = null;
  for (let i = start + 1; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (open) {
      if (/^```\s*$/.test(line)) {
        blocks.push({ file, heading, line: open.line, code: open.code.join('\n') });
        open = null;
      } else {
        open.code.push(line);
      }
    } else if (/^#{1,6} /.test(line)) {
      break;
    } else if (line.trimEnd() === '```' + lang) {
      open = { line: i + 2, code: [] };
    }
  }
  if (blocks.length !== count) {
    throw new Error(`${file}, section "${heading}": expected ${count} \`\`\`${lang} block(s), found ${blocks.length}: update the consumer test (packages/consumer-test).`);
  }
  return blocks;
}

/** A snippet as it goes into a file of the scratch app: its code, after a comment saying where it comes from. */
export function fromReadme(snippet: Snippet): string {
  return `// ---- ${snippet.file}, "${snippet.heading}" (its code starts at line ${snippet.line}), unchanged:\n${snippet.code}\n`;
}
