// The consumer test's machinery: pack the published packages as `pnpm pack` does for `pnpm publish`, and
// install the tarballs, with what the README set-ups need from the npm registry, into a scratch app under
// the system's temporary folder, outside the workspace, where no hoisting and no workspace link can help.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder, with a trailing separator. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Where scratch apps live: outside the workspace. Each app is kept for the next run when its install is sound. */
export const SCRATCH_ROOT = path.join(os.tmpdir(), 'idle-session-consumer-test');

/**
 * What the scratch app installs from the registry besides the tarballs, each with the version range of the
 * workspace package.json named by `from` (the workspace's own range, so the consumer test installs what the
 * repo tests against), else with `range`.
 */
const REGISTRY_DEPENDENCIES: Readonly<Record<string, { from: string; range?: string }>> = {
  express: { from: 'packages/express' },
  'express-session': { from: 'packages/express' },
  memorystore: { from: 'apps/demo' },
  koa: { from: 'packages/koa' },
  'koa-session': { from: 'packages/koa' },
  '@koa/router': { from: 'apps/demo' }, // ships its own types (@types/koa__router is a deprecated stub)
  fastify: { from: 'packages/fastify' },
  '@fastify/cookie': { from: 'packages/fastify' },
  '@fastify/session': { from: 'packages/fastify' },
  // The root README's Fastify set-up registers it; the range `npm install @fastify/formbody` writes today
  // where the sample app does not name it.
  '@fastify/formbody': { from: 'apps/demo', range: '^9.0.1' },
  redis: { from: 'packages/redis' }, // peer dependency of @idle-session/redis
  'connect-redis': { from: 'packages/redis' }, // optional peer dependency of @idle-session/redis (/express)
  vitest: { from: 'packages/adapter-contract' }, // peer dependency of @idle-session/adapter-contract
  typescript: { from: 'packages/express' },
  '@types/node': { from: 'packages/express' },
  '@types/express': { from: 'packages/express' },
  '@types/express-session': { from: 'packages/express' },
  '@types/koa': { from: 'packages/koa' },
};

type Manifest = {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
} & Partial<Record<'dependencies' | 'devDependencies' | 'peerDependencies' | 'optionalDependencies', Record<string, string>>>;

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

// ---- running commands -----------------------------------------------------------------------------------

export interface RunResult {
  readonly command: string;
  readonly cwd: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
  readonly ms: number;
}

/**
 * The environment of what runs in the scratch app: this process's, without what pnpm, turbo and vitest add
 * (`npm_config_*`, `NODE_OPTIONS`, the workspace's `node_modules/.bin` folders on `PATH`), so that nothing
 * of the workspace can reach the scratch app.
 */
export function scratchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|turbo_|vitest|node_options$|node_path$|node_env$|init_cwd$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !path.resolve(dir).startsWith(REPO))
    .join(path.delimiter);
  return { ...env, ...extra };
}

/** Runs a command to its end (killing it after `timeoutMs`); never throws for an exit code: see {@link must}. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const started = performance.now();
  const commandLine = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? scratchEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[consumer test: killed after ${options.timeoutMs} ms]\n`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${commandLine} in ${options.cwd}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command: commandLine, cwd: options.cwd, code, signal, output, ms: Math.round(performance.now() - started) });
    });
  });
}

/** Throws, with the command, where it ran, its exit and its whole output, unless it exited with 0. */
export function must(result: RunResult, what: string): RunResult {
  if (result.code === 0) return result;
  throw new Error(
    `${what} failed (exit ${result.code ?? result.signal}).\n$ cd ${result.cwd} && ${result.command}\n${result.output.trimEnd() || '(no output)'}`,
  );
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// ---- packing ----------------------------------------------------------------------------------------------

/** One published package, packed. */
export interface Packed {
  readonly name: string;
  /** The package's folder in the workspace. */
  readonly dir: string;
  /** The tarball. */
  readonly file: string;
  readonly sha256: string;
  /** The package.json inside the tarball (`workspace:*` already replaced by pnpm). */
  readonly manifest: Manifest;
}

/** The folders of the workspace's published packages: every `packages/*` whose package.json is not private. */
export async function publishedPackages(): Promise<{ name: string; dir: string }[]> {
  const found: { name: string; dir: string }[] = [];
  for (const entry of (await readdir(path.join(REPO, 'packages'))).sort()) {
    const file = path.join(REPO, 'packages', entry, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = await readJson<Manifest>(file);
    if (!manifest.private) found.push({ name: manifest.name, dir: path.dirname(file) });
  }
  return found;
}

/** `pnpm pack`s every published package into `dest`, as `pnpm publish` would pack it. */
export async function packAll(dest: string): Promise<Packed[]> {
  const packages = await publishedPackages();
  const unbuilt = packages.filter(({ dir }) => !existsSync(path.join(dir, 'dist')));
  if (unbuilt.length) {
    throw new Error(`Not built: ${unbuilt.map(({ name }) => name).join(', ')}. Run \`pnpm build\` first (\`pnpm test\` builds them through turbo).`);
  }
  await mkdir(dest, { recursive: true });
  return Promise.all(
    packages.map(async ({ name, dir }) => {
      // pnpm is the workspace's tool: it runs with this process's environment, in the package's folder.
      const packed = must(await run('pnpm', ['pack', '--json', '--pack-destination', dest], { cwd: dir, env: process.env, timeoutMs: 60_000 }), `pnpm pack of ${name}`);
      const { filename } = JSON.parse(packed.output.slice(packed.output.indexOf('{'))) as { filename: string };
      const file = path.resolve(dir, filename);
      const shown = must(await run('tar', ['-xzOf', file, 'package/package.json'], { cwd: dest }), `reading package.json from ${file}`);
      const manifest = JSON.parse(shown.output) as Manifest;
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
        for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
          if (range.startsWith('workspace:')) throw new Error(`${file}: ${field} ${dependency} is still "${range}" after pnpm pack`);
        }
      }
      return { name, dir, file, sha256: sha256(await readFile(file)), manifest };
    }),
  );
}

// ---- the scratch app ---------------------------------------------------------------------------------------

/** The registry dependencies of the scratch app, with the ranges of {@link REGISTRY_DEPENDENCIES}. */
export async function registryDependencies(): Promise<Record<string, string>> {
  const dependencies: Record<string, string> = {};
  for (const [name, source] of Object.entries(REGISTRY_DEPENDENCIES)) {
    const manifest = await readJson<Manifest>(path.join(REPO, source.from, 'package.json'));
    const range = manifest.dependencies?.[name] ?? manifest.devDependencies?.[name] ?? manifest.peerDependencies?.[name] ?? source.range;
    if (!range) throw new Error(`${source.from}/package.json does not name ${name} any more: update REGISTRY_DEPENDENCIES in packages/consumer-test/test/scratch.ts`);
    dependencies[name] = range;
  }
  return dependencies;
}

export interface ScratchApp {
  /** The app's folder: its package.json, its node_modules, and the tarballs it installed. */
  readonly dir: string;
  /**
   * `reused`: installed by an earlier run from the very same tarballs; `updated`: an earlier install with
   * the same registry dependencies, brought to these tarballs by `npm install`; `installed`: from nothing.
   */
  readonly how: 'reused' | 'updated' | 'installed';
  readonly ms: number;
}

interface ReadyMark {
  readonly key: string;
  readonly registryKey: string;
  readonly createdAt: number;
}

const READY = '.consumer-test-ready.json';
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];
/** An earlier install is a base for an `npm install` of new tarballs for this long; then the registry's versions are looked up anew. */
const BASE_MAX_AGE_MS = 3 * 24 * 60 * 60_000;

/**
 * The scratch app with these tarballs installed. An app installed by an earlier run is reused only when
 * its key matches: the SHA-256 of every tarball, the registry dependencies and their ranges, and the Node
 * and npm versions; and only after checking that every installed `@idle-session` package is, file for
 * file, the content of its tarball. When only tarballs changed, a copy of an earlier app with the same
 * registry dependencies gets them by `npm install` (each tarball named by its hash, so that npm sees which
 * changed). Otherwise a fresh `npm install`. An app is kept only once its install succeeded and was checked.
 */
export async function scratchApp(packed: readonly Packed[], log: (line: string) => void): Promise<ScratchApp> {
  const started = performance.now();
  await mkdir(SCRATCH_ROOT, { recursive: true });
  const npmVersion = must(await run('npm', ['--version'], { cwd: SCRATCH_ROOT }), 'npm --version').output.trim();
  const registry = await registryDependencies();
  const registryKey = sha256(JSON.stringify({ registry, node: process.version, npm: npmVersion, platform: process.platform, arch: process.arch }));
  const tarballs = [...packed].sort((a, b) => a.name.localeCompare(b.name));
  const key = sha256(JSON.stringify({ registryKey, tarballs: tarballs.map(({ name, sha256: hash }) => [name, hash]) }));
  const dir = path.join(SCRATCH_ROOT, `app-${key.slice(0, 20)}`);
  const done = (how: ScratchApp['how']): ScratchApp => ({ dir, how, ms: Math.round(performance.now() - started) });

  await removeLeftovers();
  const mark = await readMark(dir);
  if (!mark) await rm(dir, { recursive: true, force: true }); // the remains of an interrupted removal
  if (mark?.key === key) {
    const problem = await installedProblem(dir, tarballs);
    if (!problem) {
      const now = new Date();
      await utimes(path.join(dir, READY), now, now);
      return done('reused');
    }
    log(`consumer test: not reusing ${dir}: ${problem}`);
    await rm(dir, { recursive: true, force: true });
  }

  const base = await newestBase(registryKey);
  if (base) {
    try {
      await install(base);
      return done('updated');
    } catch (error) {
      log(`consumer test: updating a copy of ${base} failed, installing from nothing: ${(error as Error).message}`);
    }
  }
  await install(null);
  return done('installed');

  /** Installs the app in a staging folder (from a copy of `base`'s node_modules and lockfile, if given), checks it, and moves it to `dir`. */
  async function install(base: string | null): Promise<void> {
    const stage = await mkdtemp(path.join(SCRATCH_ROOT, 'stage-'));
    try {
      if (base) must(await run('cp', ['-a', path.join(base, 'node_modules'), path.join(base, 'package-lock.json'), stage], { cwd: SCRATCH_ROOT }), `copying ${base}`);
      await mkdir(path.join(stage, 'tarballs'));
      const dependencies: Record<string, string> = { ...registry };
      for (const tarball of tarballs) {
        // Named by content: npm, given the copied lockfile, takes a tarball at a path it knows for the one it
        // installed from there, and would keep the old content (the check below would catch that).
        const name = `${tarball.sha256.slice(0, 16)}-${path.basename(tarball.file)}`;
        await cp(tarball.file, path.join(stage, 'tarballs', name));
        dependencies[tarball.name] = `file:tarballs/${name}`;
      }
      const manifest = { name: 'idle-session-consumer', version: '0.0.0', private: true, type: 'module', dependencies };
      await writeFile(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      const installed = must(await run('npm', NPM_INSTALL, { cwd: stage, timeoutMs: 300_000 }), `npm ${NPM_INSTALL.join(' ')} in the scratch app ${stage}`);
      const problem = await installedProblem(stage, tarballs);
      if (problem) throw new Error(`After npm install in ${stage}: ${problem}\nnpm said:\n${installed.output}`);
      const createdAt = (base && (await readMark(base))?.createdAt) || Date.now();
      await writeFile(path.join(stage, READY), JSON.stringify({ key, registryKey, createdAt } satisfies ReadyMark));
      try {
        await rename(stage, dir);
      } catch {
        // Another run installed the same app meanwhile: use that one.
        await rm(stage, { recursive: true, force: true });
      }
      await prune(dir);
    } catch (error) {
      await rm(stage, { recursive: true, force: true });
      throw error;
    }
  }
}

async function readMark(dir: string): Promise<ReadyMark | null> {
  try {
    return await readJson<ReadyMark>(path.join(dir, READY));
  } catch {
    return null;
  }
}

/** When `file` was last modified, or null when it is gone (another run may remove folders meanwhile). */
async function modifiedAt(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

async function apps(): Promise<{ dir: string; mark: ReadyMark; usedAt: number }[]> {
  const found = [];
  for (const entry of await readdir(SCRATCH_ROOT)) {
    if (!entry.startsWith('app-')) continue;
    const dir = path.join(SCRATCH_ROOT, entry);
    const mark = await readMark(dir);
    const usedAt = await modifiedAt(path.join(dir, READY));
    if (mark && usedAt !== null) found.push({ dir, mark, usedAt });
  }
  return found.sort((a, b) => b.usedAt - a.usedAt);
}

/** The most recently used app with the same registry dependencies, young enough to be a base. */
async function newestBase(registryKey: string): Promise<string | null> {
  const base = (await apps()).find(({ mark }) => mark.registryKey === registryKey && Date.now() - mark.createdAt < BASE_MAX_AGE_MS);
  return base?.dir ?? null;
}

/** Keeps the app just installed and the most recently used other one; drops the rest once unused for 15 minutes. */
async function prune(keep: string): Promise<void> {
  const others = (await apps()).filter(({ dir }) => dir !== keep);
  for (const { dir, usedAt } of others.slice(1)) {
    if (Date.now() - usedAt > 15 * 60_000) {
      await rm(path.join(dir, READY), { force: true }); // first: a half-removed app is never taken for a sound one
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Staging folders of runs that died, and run folders older than a day (kept after a failure, for a look). */
async function removeLeftovers(): Promise<void> {
  const olderThan = async (file: string, ms: number) => Date.now() - ((await modifiedAt(file)) ?? Date.now()) > ms;
  for (const entry of await readdir(SCRATCH_ROOT)) {
    const dir = path.join(SCRATCH_ROOT, entry);
    if (entry.startsWith('stage-') && (await olderThan(dir, 60 * 60_000))) await rm(dir, { recursive: true, force: true });
    if (entry.startsWith('app-')) {
      const runs = await readdir(path.join(dir, 'runs')).catch(() => []);
      for (const runDir of runs) {
        const full = path.join(dir, 'runs', runDir);
        if (await olderThan(full, 24 * 60 * 60_000)) await rm(full, { recursive: true, force: true });
      }
    }
  }
}

/** Every file below `dir`, as paths relative to it, without nested node_modules. */
async function filesBelow(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') files.push(...(await filesBelow(dir, relative)));
    } else {
      files.push(relative);
    }
  }
  return files.sort();
}

/** Every folder of an installed `@idle-session/*` package below `node_modules`, nested ones included. */
async function idleSessionCopies(nodeModules: string): Promise<string[]> {
  const found: string[] = [];
  if (!existsSync(nodeModules)) return found;
  for (const entry of await readdir(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const names = entry.name.startsWith('@')
      ? (await readdir(path.join(nodeModules, entry.name), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => `${entry.name}/${e.name}`)
      : [entry.name];
    for (const name of names) {
      if (name.startsWith('@idle-session/')) found.push(path.join(nodeModules, name));
      found.push(...(await idleSessionCopies(path.join(nodeModules, name, 'node_modules'))));
    }
  }
  return found;
}

/**
 * Why the app's installed `@idle-session` packages are not exactly the tarballs' content (a file missing,
 * added or different; a second copy somewhere below node_modules, which could come from the registry), or
 * null when they are.
 */
async function installedProblem(dir: string, tarballs: readonly Packed[]): Promise<string | null> {
  const expected = new Set(tarballs.map(({ name }) => path.join(dir, 'node_modules', name)));
  const copies = await idleSessionCopies(path.join(dir, 'node_modules'));
  const unexpected = copies.filter((copy) => !expected.has(copy));
  if (unexpected.length) return `@idle-session packages installed where no tarball put them: ${unexpected.join(', ')}`;
  const unpacked = await mkdtemp(path.join(os.tmpdir(), 'idle-session-unpacked-'));
  try {
    for (const tarball of tarballs) {
      const into = path.join(unpacked, tarball.name.replace('/', '__'));
      await mkdir(into, { recursive: true });
      must(await run('tar', ['-xzf', tarball.file, '-C', into], { cwd: unpacked }), `unpacking ${tarball.file}`);
      const packedDir = path.join(into, 'package');
      const installedDir = path.join(dir, 'node_modules', tarball.name);
      if (!existsSync(installedDir)) return `${tarball.name} is not installed`;
      const packedFiles = await filesBelow(packedDir);
      const installedFiles = await filesBelow(installedDir);
      if (packedFiles.join('\n') !== installedFiles.join('\n')) return `${tarball.name}: the installed files are not the tarball's`;
      for (const file of packedFiles) {
        const [a, b] = await Promise.all([readFile(path.join(packedDir, file)), readFile(path.join(installedDir, file))]);
        if (!a.equals(b)) return `${tarball.name}: ${file} differs from the tarball's`;
      }
    }
    return null;
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
}
