// Credentials and exposure: the password never shows in the process list, logs, status, metrics, hook environment
// or error messages; --ask-pass prompts on a terminal without echo; the control socket is 0600 and the user's, and
// the TCP control port listens on loopback only. osc runs as a real process here (node --import tsx bin/osc.ts),
// since the process list and the terminal are what is tested.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import type { Endpoint } from '../support/load.js';
import { socketCommand } from '../support/operator.js';
import { dropUser, explainRun, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import { freePort, testServer, uniqueServerId, waitFor } from '../support/servers.js';

const DB = `osc_t_exposure_${RUN_TAG}`;
const USER = `osc_e2e_exp_${RUN_TAG}`;
// Distinctive, so that any trace of it anywhere is found.
const PASSWORD = `Pw-${RUN_TAG}-s3cret`;
const REPO = resolve(import.meta.dirname, '../..');

let admin: Connection;
let who: Endpoint;
let dir: string;

/** A child's output, collected as it comes. */
interface Child {
  readonly proc: ChildProcess;
  readonly out: () => string;
  readonly exited: Promise<number | null>;
}

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(command, args, { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return { proc, out: () => out, exited };
}

/** osc's environment without any password of the test runner's. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env['MYSQL_PWD'];
  if (extra['OSC_PASSWORD'] === undefined) delete env['OSC_PASSWORD'];
  return env;
}

/** True when something listens on 127.0.0.1:port and nothing on another address (/proc/net/tcp, IPv4). */
function listensOnLoopbackOnly(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`))
    .map((f) => f[1]?.split(':')[0]);
  const tcp6 = readFileSync('/proc/net/tcp6', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`));
  return listening.length === 1 && listening[0] === '0100007F' && tcp6.length === 0;
}

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DB)}`);
  await admin.query(`CREATE TABLE ${quoteId(DB)}.t (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`);
  await admin.query(`INSERT INTO ${quoteId(DB)}.t VALUES (1, 1), (2, 2), (3, 3)`);
  who = await migrationUser(admin, testServer().primary, DB, { user: USER, password: PASSWORD });
  dir = mkdtempSync(join(tmpdir(), 'osc-exposure-'));
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await dropUser(admin, USER);
  await admin.end();
});

describe('the password stays secret', () => {
  test('not in the process list, logs, status, metrics or hook environment of a running migration', async () => {
    const hooks = join(dir, 'hooks');
    const envDump = join(dir, 'hook-env.txt');
    const flag = join(dir, 'postpone.flag');
    const socket = join(dir, 'ctl.sock');
    const [tcpPort, metricsPort] = [await freePort(), await freePort()];
    rmSync(hooks, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(hooks));
    writeFileSync(join(hooks, 'osc-on-begin-postponed'), `#!/bin/sh\nenv > '${envDump}'\n`);
    chmodSync(join(hooks, 'osc-on-begin-postponed'), 0o755);
    writeFileSync(flag, '');

    const argv = oscArgv(who, DB, 't', [
      '--replica-server-id',
      String(uniqueServerId()),
      '--alter',
      'ADD COLUMN w INT NULL',
      '--execute',
      '--ok-to-drop-table',
      '--verbose',
      '--hooks-path',
      hooks,
      '--postpone-cut-over-flag-file',
      flag,
      '--serve-socket-file',
      socket,
      '--serve-tcp-port',
      String(tcpPort),
      '--metrics-address',
      `127.0.0.1:${metricsPort}`,
      '--status-interval',
      '1',
    ]).slice(2);
    // The password on the command line and in OSC_PASSWORD (which hooks must not inherit either).
    const osc = start(
      process.execPath,
      ['--import', 'tsx', 'bin/osc.ts', ...argv],
      cleanEnv({ OSC_PASSWORD: PASSWORD }),
    );
    try {
      await waitFor(() => existsSync(envDump) && readFileSync(envDump, 'utf8').includes('OSC_DATABASE_NAME'), {
        timeoutMs: 60_000,
        message: `the postponed cut-over (output so far:\n${osc.out()})`,
      });
      const pid = osc.proc.pid as number;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(cmdline).not.toContain(PASSWORD);
      expect(cmdline.replaceAll('\0', ' ')).toMatch(/^osc .*--password \*\*\*/);

      const hookEnv = readFileSync(envDump, 'utf8');
      expect(hookEnv).not.toContain(PASSWORD);
      expect(hookEnv).not.toMatch(/^OSC_PASSWORD=/m);

      const status = await socketCommand(socket, 'status');
      expect(status).toMatch(/phase=/);
      expect(status).not.toContain(PASSWORD);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain('osc_');
      expect(metrics).not.toContain(PASSWORD);

      // The control socket: 0600, the user's own; the TCP control port and metrics on loopback only.
      const st = statSync(socket);
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.uid).toBe(process.getuid?.());
      expect(listensOnLoopbackOnly(tcpPort)).toBe(true);
      expect(listensOnLoopbackOnly(metricsPort)).toBe(true);

      unlinkSync(flag);
      expect(await osc.exited, osc.out()).toBe(0);
      // Every log line of the run (--verbose), and the summary.
      expect(osc.out()).toMatch(/status|phase/);
      expect(osc.out()).not.toContain(PASSWORD);
    } finally {
      osc.proc.kill('SIGKILL');
    }
  });

  test('not in an error message that echoes it (the ALTER text in the server error)', async () => {
    const run = await runOsc(
      oscArgv(who, DB, 't', [
        '--replica-server-id',
        String(uniqueServerId()),
        '--verbose',
        '--alter',
        `ADD COLUMN c INT DEFALT '${PASSWORD}'`,
      ]),
    );
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=ALTER_INVALID');
    expect(run.stderr).toMatch(/near '(DEFALT )?'\*\*\*''/);
    expect(run.stderr + run.stdout).not.toContain(PASSWORD);
  });

  test('--ask-pass prompts on the terminal without echo, and the run uses what was typed', async () => {
    const argv = oscArgv(who, DB, 't', [
      '--replica-server-id',
      String(uniqueServerId()),
      '--alter',
      'ADD COLUMN asked INT NULL',
      '--ask-pass',
    ]).slice(2);
    argv.splice(argv.indexOf('--password'), 2);
    const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
    const command = [process.execPath, '--import', 'tsx', 'bin/osc.ts', ...argv].map(quote).join(' ');
    // script(1) runs it on a pseudo-terminal and relays our stdin to it.
    const osc = start('script', ['-qfec', command, '/dev/null'], cleanEnv());
    try {
      await waitFor(() => osc.out().includes('Enter password for'), {
        timeoutMs: 30_000,
        message: `the prompt (output so far:\n${osc.out()})`,
      });
      osc.proc.stdin?.write(`${PASSWORD}\r`);
      expect(await osc.exited, osc.out()).toBe(0);
      expect(osc.out()).toContain(`Enter password for ${USER}@`);
      expect(osc.out()).toMatch(/noop|plan/i);
      expect(osc.out()).not.toContain(PASSWORD);
    } finally {
      osc.proc.kill('SIGKILL');
    }
  });
});
