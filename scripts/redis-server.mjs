// The one place that starts a real Redis for tests and benchmarks: Debian's redis-server
// (apt-get install -y redis-server), on a free loopback port, with persistence off. Nothing is mocked.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

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
 * @property {() => Promise<void>} stop - stops the server (SIGTERM) and waits for it to exit.
 * @property {() => Promise<void>} restart - starts it again on the same port, empty (an outage ends).
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
  let child = await launch(port);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop();
      child = await launch(port);
    },
  };
}

function launch(port) {
  const child = spawn(redisServerPath, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
