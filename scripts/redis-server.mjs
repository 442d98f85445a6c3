// The one place that starts a real Redis for tests and benchmarks: Debian's redis-server
// (apt-get install -y redis-server), on a free loopback port, with persistence off. Nothing is mocked.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Path of the redis-server executable: REDIS_SERVER_PATH, else Debian's /usr/bin/redis-server. */
export const redisServerPath = process.env.REDIS_SERVER_PATH || '/usr/bin/redis-server';

/** A free TCP port on 127.0.0.1 (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} RedisServer
 * @property {string} url - `redis://127.0.0.1:PORT`.
 * @property {number} port
 * @property {(options?: { keepData?: boolean }) => Promise<void>} stop - stops the server (SIGTERM) and
 *   waits for it to exit; with `keepData`, it first saves its data (SAVE), which `start` loads again, as a
 *   Redis with persistence does across a restart.
 * @property {() => Promise<void>} start - starts it again on the same port (after `stop`).
 * @property {() => void} pause - freezes the server (SIGSTOP): connected, but it answers nothing.
 * @property {() => void} resume - lets a paused server answer again (SIGCONT).
 */

/**
 * Starts redis-server on a free port (`--save '' --appendonly no`) and waits until it accepts connections.
 * Fails at once, with the install command, when redis-server is missing.
 * @param {string} who - what needs it, for the message.
 * @returns {Promise<RedisServer>}
 */
export async function startRedisServer(who) {
  if (!existsSync(redisServerPath)) {
    throw new Error(
      `${who} need redis-server, not found at ${redisServerPath}. Install Debian's Redis with ` +
        '`sudo apt-get install -y redis-server`, or set REDIS_SERVER_PATH.',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'idle-session-redis-'));
  let child = await launch(port, dir);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop({ keepData = false } = {}) {
      if (exited()) return;
      child.kill('SIGCONT');
      if (keepData) await command(port, 'SAVE');
      await new Promise((resolve) => {
        child.once('exit', () => resolve(undefined));
        child.kill('SIGTERM');
      });
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
    async start() {
      if (!exited()) return;
      child = await launch(port, dir);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  };
}

/** Sends one inline command to the server and waits for its first line of answer. */
function command(port, text) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${text}\r\n`));
    socket.once('data', (data) => {
      socket.end();
      resolve(String(data));
    });
    socket.once('error', reject);
  });
}

function launch(port, dir) {
  // No automatic saves and no append-only file: data is kept across a restart only when a test asks (SAVE).
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn(redisServerPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`));
    });
  });
}
