// Issue 13, "packages that work outside the monorepo": the published packages, packed as `pnpm publish` packs
// them and installed with npm into an app outside the workspace, are what the READMEs say. The README
// set-ups type-check against the packed types, run as real servers, and the element's bundle from the
// tarball runs in Chromium. See the README's "Releasing" section.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertChromium, chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs';
import { codeBlocks, fromReadme } from './readme.js';
import {
  must,
  packAll,
  publishedPackages,
  REPO,
  run,
  scratchApp,
  scratchEnv,
  type Packed,
  type RunResult,
  type ScratchApp,
} from './scratch.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** 32 characters or more, as @fastify/session asks. */
const SESSION_SECRET = 'consumer-test-session-secret-0123456789abcdef';
const FRAMEWORKS = ['express', 'koa', 'fastify'] as const;
type Framework = (typeof FRAMEWORKS)[number];

// ---- the README code under test ---------------------------------------------------------------------------

const SETUP = {
  express: codeBlocks('README.md', '## Setup: Express'),
  koa: codeBlocks('README.md', '## Setup: Koa'),
  fastify: codeBlocks('README.md', '## Setup: Fastify'),
};
const MINIMAL_EXAMPLE = {
  express: codeBlocks('packages/express/README.md', '## Minimal example'),
  koa: codeBlocks('packages/koa/README.md', '## Minimal example'),
  fastify: codeBlocks('packages/fastify/README.md', '## Minimal example'),
};
/** How the element's README serves the package's dist/ folder, with Express: added to the Express set-up. */
const SERVE_ELEMENT = codeBlocks('packages/element/README.md', '## Minimal example');

/** Entry points that only make sense in a browser: type-checked with the DOM library, not loaded in Node. */
const isBrowserEntry = (specifier: string) => specifier.startsWith('@idle-session/element') || specifier === '@idle-session/testing/browser';
/**
 * Node entry points whose types need the DOM library too: the Playwright helpers take the element's type
 * from `/browser` (`extends Element`), as Playwright's own types need it.
 */
const needsDom = (specifier: string) => specifier === '@idle-session/testing/playwright';

/** Every entry point of the packed packages, by their package.json `exports`. */
function entryPoints(packed: readonly Packed[]): string[] {
  return packed.flatMap(({ name, manifest }) =>
    Object.keys(manifest.exports ?? { '.': null })
      .filter((subpath) => !subpath.includes('*') && subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`)),
  );
}

// ---- the run's files in the scratch app -------------------------------------------------------------------

const BASE_OPTIONS = {
  strict: true,
  target: 'es2022',
  module: 'nodenext',
  moduleResolution: 'nodenext',
  lib: ['es2022'],
  types: ['node'],
  skipLibCheck: false,
  rootDir: '.',
  noEmit: true,
};

/** A program of its own per file set: a module augmentation in one snippet must not make another compile. */
const PROJECTS: Record<string, { files: string[]; emit?: boolean; compilerOptions?: Record<string, unknown> }> = {
  express: { files: ['prelude.d.ts', 'express-setup.ts', 'express-main.ts'], emit: true },
  koa: { files: ['prelude.d.ts', 'koa-setup.ts', 'koa-main.ts'], emit: true },
  fastify: { files: ['prelude.d.ts', 'fastify-setup.ts', 'fastify-main.ts'], emit: true },
  'express-readme': { files: ['prelude.d.ts', 'express-readme.ts'] },
  'koa-readme': { files: ['prelude.d.ts', 'koa-readme.ts'] },
  'fastify-readme': { files: ['prelude.d.ts', 'fastify-readme.ts'] },
  // A Node app or test file: no DOM library.
  'exports-node': { files: ['exports-node.ts'] },
  // A Playwright test file: Node, and the DOM library that Playwright's types need as well.
  'exports-playwright': { files: ['exports-playwright.ts'], compilerOptions: { lib: ['es2022', 'dom', 'dom.iterable'] } },
  // What a page's bundler type-checks: the DOM library, no Node types.
  'exports-browser': { files: ['exports-browser.ts'], compilerOptions: { lib: ['es2022', 'dom', 'dom.iterable'], types: [] } },
};
/** Two processes side by side (two cores), each sharing parsed declaration files between its programs. */
const TYPECHECK_GROUPS = [
  ['express', 'express-readme', 'koa', 'koa-readme', 'exports-node'],
  ['fastify', 'fastify-readme', 'exports-playwright', 'exports-browser'],
];

async function writeRun(dir: string, packed: readonly Packed[]): Promise<void> {
  for (const fixture of ['prelude.d.ts', 'globals.mjs', 'typecheck.mjs', 'node-imports.mjs', 'express-main.ts', 'koa-main.ts', 'fastify-main.ts']) {
    await cp(path.join(FIXTURES, fixture), path.join(dir, fixture));
  }
  const setup = (framework: Framework, extra = '') =>
    `${SETUP[framework].map(fromReadme).join('\n')}${extra}\n// ---- consumer test: for ${framework}-main.ts, which listens on a free port\nexport { app };\n`;
  await writeFile(path.join(dir, 'express-setup.ts'), setup('express', `\n${SERVE_ELEMENT.map(fromReadme).join('\n')}`));
  await writeFile(path.join(dir, 'koa-setup.ts'), setup('koa'));
  await writeFile(path.join(dir, 'fastify-setup.ts'), setup('fastify'));
  for (const framework of FRAMEWORKS) {
    await writeFile(path.join(dir, `${framework}-readme.ts`), `${MINIMAL_EXAMPLE[framework].map(fromReadme).join('\n')}\nexport {};\n`);
  }
  const imports = (specifiers: string[], what: string) =>
    `// ${what}: each resolves, with its types, under "module": "nodenext".\n` +
    specifiers.map((specifier, i) => `import * as entry${i} from '${specifier}';`).join('\n') +
    `\nexport const entries = [${specifiers.map((_, i) => `entry${i}`).join(', ')}];\n`;
  const entries = entryPoints(packed);
  const node = entries.filter((entry) => !isBrowserEntry(entry));
  await writeFile(path.join(dir, 'exports-node.ts'), imports(node.filter((entry) => !needsDom(entry)), 'Every Node entry point of the packed packages'));
  await writeFile(path.join(dir, 'exports-playwright.ts'), imports(node.filter(needsDom), 'The Node entry points whose types need the DOM library'));
  await writeFile(path.join(dir, 'exports-browser.ts'), imports(entries.filter(isBrowserEntry), 'Every browser entry point of the packed packages'));
  await writeFile(path.join(dir, 'tsconfig.base.json'), `${JSON.stringify({ compilerOptions: BASE_OPTIONS }, null, 2)}\n`);
  for (const [name, project] of Object.entries(PROJECTS)) {
    const compilerOptions = { ...project.compilerOptions, ...(project.emit ? { noEmit: false, outDir: `out/${name}` } : {}) };
    await writeFile(path.join(dir, `tsconfig.${name}.json`), `${JSON.stringify({ extends: './tsconfig.base.json', compilerOptions, files: project.files }, null, 2)}\n`);
  }
}

// ---- servers ----------------------------------------------------------------------------------------------

interface Server {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a compiled README set-up with plain `node`, and waits for it to listen. */
async function startServer(runDir: string, framework: Framework): Promise<Server> {
  const main = path.join(runDir, 'out', framework, `${framework}-main.js`);
  if (!existsSync(main)) throw new Error(`${main} was not compiled: see the type-check test`);
  const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(runDir, 'globals.mjs')).href, main], {
    cwd: runDir,
    env: scratchEnv({ SESSION_SECRET }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}: not listening after 30 s. Its output:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening on (http:\/\/\S+)/.exec(output);
      if (listening?.[1]) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${framework}: \`node ${path.relative(runDir, main)}\` exited (${code ?? signal}) before listening. Its output:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The cookies a client keeps, from `Set-Cookie` answers; a cookie set to expire is dropped. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get size(): number {
    return this.#cookies.size;
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

const describeAnswer = async (response: Response) =>
  `${response.status} ${response.url}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${await response.clone().text()}`;

// ---- the test ---------------------------------------------------------------------------------------------

let packed: Packed[] = [];
let app: ScratchApp;
let runDir = '';
let typecheck: RunResult[] = [];
/** The run's folder is kept after a failure, or always with CONSUMER_TEST_KEEP=1. */
let keepRunDir = process.env.CONSUMER_TEST_KEEP === '1';
const timings: string[] = [];
const servers = new Map<Framework, Server>();

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings.push(`${what} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

beforeAll(async () => {
  try {
    const tarballs = await mkdtemp(path.join(os.tmpdir(), 'idle-session-tarballs-'));
    try {
      packed = await timed('pnpm pack', () => packAll(tarballs));
      app = await timed('npm install', () => scratchApp(packed, (line) => console.log(line)));
    } finally {
      await rm(tarballs, { recursive: true, force: true });
    }
    timings[timings.length - 1] += ` (${app.how})`;
    await mkdir(path.join(app.dir, 'runs'), { recursive: true });
    runDir = await mkdtemp(path.join(app.dir, 'runs', 'run-'));
    await writeRun(runDir, packed);
    typecheck = await timed('type-check', () =>
      Promise.all(
        TYPECHECK_GROUPS.map(async (group) =>
          run(process.execPath, ['typecheck.mjs', ...group.map((name) => `tsconfig.${name}.json`)], { cwd: runDir, timeoutMs: 300_000 }),
        ),
      ),
    );
  } catch (error) {
    keepRunDir = true;
    throw error;
  }
}, 600_000);

beforeEach((context) => {
  context.onTestFailed(() => {
    keepRunDir = true;
  });
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
  console.log(`consumer test: ${timings.join(', ')}; scratch app ${app?.dir ?? '(none)'}`);
  if (runDir && keepRunDir) {
    console.log(
      `consumer test: kept ${runDir} to look at. Type-check again: \`cd ${runDir} && node typecheck.mjs tsconfig.<name>.json\` ` +
        '(or with `node ../../node_modules/typescript/bin/tsc -p tsconfig.<name>.json`, which also checks third-party declaration files)',
    );
  } else if (runDir) {
    await rm(runDir, { recursive: true, force: true });
  }
});

describe('the published packages, packed and installed with npm outside the workspace', () => {
  it('packs every published package, and devDepends on each (so turbo builds them first)', async () => {
    const published = (await publishedPackages()).map(({ name }) => name).sort();
    expect(packed.map(({ name }) => name).sort()).toEqual(published);
    const own = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
    const workspaceDeps = Object.entries(own.devDependencies).filter(([, range]) => range.startsWith('workspace:')).map(([name]) => name);
    expect(workspaceDeps.sort(), 'packages/consumer-test/package.json: a `workspace:*` devDependency on every published package').toEqual(published);
  });

  it('the tarballs depend on each other by the versions packed, never workspace:*', () => {
    const versions = new Map(packed.map(({ name, manifest }) => [name, manifest.version]));
    for (const { name, manifest } of packed) {
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
        for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
          if (versions.has(dependency)) expect(range, `${name} ${field} ${dependency}`).toBe(versions.get(dependency));
        }
      }
    }
  });

  it('are installed outside the workspace, file for file as packed', () => {
    expect(path.relative(REPO, app.dir).startsWith('..')).toBe(true);
    expect(app.how).toMatch(/^(reused|updated|installed)$/); // each checked against the tarballs' content
  });

  it('type-check: the README set-ups (Express, Koa, Fastify, and the packages\' minimal examples) and every entry point, tsc --strict, module nodenext, target es2022', () => {
    for (const result of typecheck) must(result, 'Type-checking against the packed types');
  });

  it('load in Node, every entry point but the browser ones, with import() and require()', async () => {
    const entries = entryPoints(packed).filter((entry) => !isBrowserEntry(entry));
    must(await run(process.execPath, ['node-imports.mjs', ...entries], { cwd: runDir, timeoutMs: 60_000 }), 'Loading the entry points in Node');
  });
});

const TITLES = { express: 'Express', koa: 'Koa', fastify: 'Fastify' } satisfies Record<Framework, string>;

describe.each(FRAMEWORKS.map((framework) => [TITLES[framework], framework] as const))('the root README\'s "Setup: %s", compiled by tsc and run with node', (_, framework) => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(runDir, framework);
    servers.set(framework, server);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    servers.delete(framework);
  });

  it('signs in, answers the status (active) and a keep-alive (200, active), and signs out', async () => {
    const base = server.url;
    const statusOf = async (cookie: string) => {
      const response = await fetch(`${base}/idle-session/status`, { headers: cookie ? { cookie } : {} });
      expect(response.status, await describeAnswer(response)).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };

    expect(await statusOf('')).toEqual({ state: 'none' });
    const guarded = await fetch(`${base}/`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(guarded.status, await describeAnswer(guarded)).toBe(303);
    expect(guarded.headers.get('location')).toMatch(/^\/login\b/);

    const jar = new CookieJar();
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=demo',
    });
    expect([302, 303], await describeAnswer(login)).toContain(login.status);
    jar.take(login);
    expect(jar.size, 'a session cookie after signing in').toBeGreaterThan(0);

    const home = await fetch(`${base}/`, { redirect: 'manual', headers: { cookie: jar.header(), accept: 'text/html' } });
    expect(home.status, await describeAnswer(home)).toBe(200);
    expect(await home.text()).toContain('<idle-session-warning');
    jar.take(home);

    const active = await statusOf(jar.header());
    expect(active).toMatchObject({ state: 'active', idleTimeoutMs: 15 * 60_000, warnBeforeMs: 2 * 60_000, sessionId: expect.any(String) });
    expect(active.idleRemainingMs).toBeGreaterThan(14 * 60_000);
    expect(active.absoluteRemainingMs).toBeGreaterThan(8 * 60 * 60_000 - 60_000);

    const forged = await fetch(`${base}/idle-session/keepalive`, { method: 'POST', headers: { cookie: jar.header() } });
    expect(forged.status, `a keep-alive without X-Idle-Session: 1\n${await describeAnswer(forged)}`).toBe(403);
    const kept = await fetch(`${base}/idle-session/keepalive`, { method: 'POST', headers: { cookie: jar.header(), 'X-Idle-Session': '1' } });
    expect(kept.status, await describeAnswer(kept)).toBe(200);
    expect(await kept.json()).toMatchObject({ state: 'active', sessionId: active.sessionId, idleTimeoutMs: 15 * 60_000 });
    jar.take(kept);

    const signedIn = jar.header();
    const logout = await fetch(`${base}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: signedIn } });
    expect([302, 303], await describeAnswer(logout)).toContain(logout.status);
    expect(await statusOf(signedIn), 'the signed-in cookie, after signing out').toEqual({ state: 'none' });
  });
});

describe("the element's bundle from the packed tarball, served as its README says, in Chromium", () => {
  let server: Server;
  beforeAll(async () => {
    assertChromium('The consumer test');
    server = await startServer(runDir, 'express');
  }, 60_000);
  afterAll(async () => server?.stop());

  it('defines <idle-session-warning>, which asks the status endpoint and renders in German (a chunk of dist/chunks/)', async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems: string[] = [];
      const loaded: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      page.on('response', (response) => {
        loaded.push(`${response.status()} ${new URL(response.url()).pathname}`);
        if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
      });

      const login = await context.request.post(`${server.url}/login`, { form: { username: 'demo' }, maxRedirects: 0 });
      expect(login.status()).toBe(303);
      await page.goto(`${server.url}/`);
      const element = page.locator('idle-session-warning');
      await element.and(page.locator('[state="active"]')).waitFor({ state: 'attached', timeout: 20_000 }).catch((error: Error) => {
        throw new Error(`${error.message}\nloaded: ${loaded.join(', ')}\nproblems: ${problems.join('\n')}\nserver output:\n${server.output()}`);
      });
      expect(await page.evaluate(() => customElements.get('idle-session-warning') !== undefined)).toBe(true);
      expect(await element.evaluate((el) => el.shadowRoot?.querySelector('dialog[part="dialog"]') != null)).toBe(true);
      await expect
        .poll(() => element.locator('[part="timeout-notice"]').textContent(), { timeout: 10_000 })
        .toBe('Zu Ihrer Sicherheit werden Sie nach 15 Minuten Inaktivität abgemeldet.');
      expect(loaded).toContain('200 /assets/idle-session/idle-session-warning.bundle.js');
      expect(loaded).toContain('200 /idle-session/status');
      expect(loaded.some((line) => /^200 \/assets\/idle-session\/chunks\/de-[\w-]+\.js$/.test(line)), loaded.join('\n')).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
