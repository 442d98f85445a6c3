// Starts benchmark servers (server.mjs) as child processes and reads their CPU time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./server.mjs', import.meta.url));
/**
 * With two or more cores, the server runs on core 0 (`taskset`), and the load generator should run on
 * the others (bench.mjs moves itself there): they then do not take turns on one core, which is most of
 * the noise in CPU-per-request figures on a small machine.
 */
const taskset = existsSync('/usr/bin/taskset') ? '/usr/bin/taskset' : null;

/**
 * Starts one server in a child process with the given environment (and Node options, such as
 * `--cpu-prof`); resolves once it listens.
 * @returns {Promise<{ url: string, cpuMicros(): Promise<number>, stop(): Promise<void> }>}
 */
export function startServer(env, nodeArgs = []) {
  const node = [process.execPath, ...nodeArgs, script];
  const command = taskset ? [taskset, '-c', '0', ...node] : node;
  const child = spawn(command[0], command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (!match) return;
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        cpuMicros: () =>
          new Promise((done) => {
            child.once('message', (message) => done(message.usage.user + message.usage.system));
            child.send({ type: 'cpu' });
          }),
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.disconnect();
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}: ${output}`)));
  });
}

/** Moves this process (the load generator) off core 0, where the servers run. */
export function pinLoadGenerator() {
  if (!taskset) return;
  spawn(taskset, ['-a', '-p', '-c', '1-1023', String(process.pid)], { stdio: 'ignore' });
}

/** Signs `count` sessions in at `url`; resolves to their Cookie headers. */
export async function signIn(url, count) {
  const cookies = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/sign-in`, { method: 'POST' });
    if (response.status !== 200) throw new Error(`sign-in answered ${response.status}`);
    cookies.push(response.headers.getSetCookie().map((header) => header.split(';', 1)[0]).join('; '));
    await response.arrayBuffer();
  }
  return cookies;
}
