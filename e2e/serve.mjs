// Starts `cjm serve` on a free port with a fresh data directory and reads
// the address and the one-time setup link from what it prints.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cjmBin } from './browser.mjs';

export async function startServer(opts = {}) {
  const data = opts.data || mkdtempSync(join(tmpdir(), 'cjm-serve-'));
  const args = ['serve', '--data', data, '--addr', '127.0.0.1:0', ...(opts.args || [])];
  const proc = spawn(cjmBin(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cjm serve did not start:\n${log}`)), 20000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const addr = /listening on (http:\/\/[^\s]+)/.exec(log);
      // A link counts once its line is complete: stderr may arrive in
      // chunks that end inside it.
      const done = /no account yet[^\n]*\n\s*\n\s*(http\S+)\n/.exec(log) || /cjm serve: open (http\S+)\n/.exec(log);
      if (addr && done) {
        clearTimeout(timer);
        const setup = /\/setup\//.test(done[1]) ? done[1] : null;
        resolve({ base: addr[1], setup });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`cjm serve exited with ${code}:\n${log}`)); });
  });
  const { base, setup } = await ready;
  return { proc, base, setup, data, log: () => log, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}
