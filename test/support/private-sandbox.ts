// A primary + replica of the test flavour on ports of its own (scripts/sandbox with OSC_SANDBOX_PORT and its own
// OSC_SANDBOX_DIR), for the tests that stop, restart, disturb or configure a server (TLS certificates, read_only):
// the shared servers are never touched.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Flavor } from '../../src/core/types.js';
import type { Endpoint } from './load.js';
import { freePort, parseDsn, waitFor } from './servers.js';

const SANDBOX = fileURLToPath(new URL('../../scripts/sandbox', import.meta.url));

export interface PrivateSandbox {
  readonly flavor: Flavor;
  readonly primary: Endpoint;
  readonly replica: Endpoint;
  /** Kills the primary (SIGKILL); resolves once its process is gone. */
  stopPrimary(): Promise<void>;
  /** Starts the primary again (the replica reconnects by itself). */
  startPrimary(): Promise<void>;
  /** Stops both servers and deletes their files. */
  remove(): Promise<void>;
  /** The same as remove(). */
  stop(): Promise<void>;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SANDBOX, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`scripts/sandbox ${args.join(' ')} failed (${code}):\n${err}`)),
    );
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function killServer(pid: number | null): Promise<void> {
  if (pid === null || !Number.isSafeInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitFor(() => !existsSync(`/proc/${pid}`), {
    timeoutMs: 30_000,
    intervalMs: 20,
    message: `server ${pid} gone`,
  });
}

/** Two consecutive free ports (primary, replica). */
async function freePair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65_000 && (await canListen(p + 1))) return p;
  }
}

/** `mysqldOptions`: lines (name=value) added to both servers' [mysqld] (OSC_SANDBOX_MYSQLD_OPTIONS). */
export async function startPrivateSandbox(
  flavor: Flavor,
  mysqldOptions: readonly string[] = [],
): Promise<PrivateSandbox> {
  const port = await freePair();
  // Short: the servers' unix socket paths live under it.
  const dir = `/tmp/osc-sbx-${port}`;
  const env = {
    OSC_SANDBOX_PORT: String(port),
    OSC_SANDBOX_DIR: dir,
    OSC_SANDBOX_MYSQLD_OPTIONS: mysqldOptions.join('\n'),
  };
  const pidOf = (role: 'primary' | 'replica'): number | null => {
    const file = `${dir}/${flavor}/${role}/mysqld.pid`;
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : null;
  };
  const args = ['--flavor', flavor];
  const remove = async () => {
    // Throwaway servers: killed, not shut down, and their files deleted.
    for (const role of ['replica', 'primary'] as const) await killServer(pidOf(role));
    rmSync(dir, { recursive: true, force: true });
  };
  let out: string;
  try {
    out = await run(['start', ...args], env);
  } catch (err) {
    await remove();
    throw err;
  }
  const dsn = /^OSC_TEST_DSN=(\S+)$/m.exec(out)?.[1];
  const replicaDsn = /^OSC_TEST_REPLICA_DSN=(\S+)$/m.exec(out)?.[1];
  if (dsn === undefined || replicaDsn === undefined) throw new Error(`the private sandbox printed no DSNs:\n${out}`);
  const primary = parseDsn(dsn);
  return {
    flavor,
    primary,
    replica: parseDsn(replicaDsn),
    stopPrimary: async () => {
      // Killed, as a crash or a power cut would (a clean SHUTDOWN takes MySQL ten seconds and more here).
      await killServer(pidOf('primary'));
    },
    startPrimary: async () => {
      await run(['start', ...args], env);
    },
    remove,
    stop: remove,
  };
}
