// Runs the sample app's two vitest projects (see vitest.config.ts) in two processes side by side, and fails
// when either fails. Arguments are passed to both (such as a file filter).
import { spawn } from 'node:child_process';

const run = (project) =>
  new Promise((resolve) => {
    const child = spawn('vitest', ['run', '--project', project, ...process.argv.slice(2)], { stdio: 'inherit', shell: process.platform === 'win32' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const codes = await Promise.all([run('chromium'), run('http')]);
process.exit(codes.some((code) => code !== 0) ? 1 : 0);
