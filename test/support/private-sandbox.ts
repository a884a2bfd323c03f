// A private primary + replica for tests that must configure a server (TLS certificates, read_only): scripts/sandbox
// with its own directory and ports, so the shared sandboxes are never touched; stopped and deleted afterwards.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Endpoint } from './load.js';
import type { Flavor } from '../../src/core/types.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../scripts/sandbox');

export interface PrivateSandbox {
  readonly primary: Endpoint;
  readonly replica: Endpoint;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** Two free consecutive ports (primary, replica), from a range derived from the pid so parallel runs differ. */
async function freePair(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const base = 21_000 + (((process.pid % 1_000) * 2 + i * 2) % 20_000);
    if ((await portFree(base)) && (await portFree(base + 1))) return base;
  }
  throw new Error('no two free consecutive ports for a private sandbox');
}

/**
 * Starts the sandbox under `dir` (short: socket paths are limited) with extra [mysqld] options. Takes a few
 * seconds for MariaDB, about ten for MySQL (two data directories initialized).
 */
export async function startPrivateSandbox(
  flavor: Flavor,
  dir: string,
  mysqldOptions: readonly string[],
): Promise<PrivateSandbox> {
  const port = await freePair();
  const env = {
    ...process.env,
    OSC_SANDBOX_DIR: dir,
    OSC_SANDBOX_PORT: String(port),
    OSC_SANDBOX_MYSQLD_OPTIONS: mysqldOptions.join('\n'),
  };
  const stop = async () => {
    await run('bash', [SCRIPT, 'stop', '--flavor', flavor], { env }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('bash', [SCRIPT, 'start', '--flavor', flavor], { env, timeout: 180_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  const admin = { host: '127.0.0.1', user: 'osc', password: 'osc' };
  return { primary: { ...admin, port }, replica: { ...admin, port: port + 1 }, stop };
}
