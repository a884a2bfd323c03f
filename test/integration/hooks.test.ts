// Hooks through main(): a real migration with --hooks-path fires gh-ost's hook points (osc- prefix) in order with
// their OSC_* environment; a failing osc-on-before-cut-over stops the migration before the swap.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import type { Endpoint } from '../support/load.js';
import { explainRun, migrationUser, oscArgv, runOsc } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, columnsOf, tableNames } from '../support/verify.js';

const DB = 'osc_t_hooks';
const ROWS = 300;
const ALTER = 'ADD COLUMN note VARCHAR(20) NULL';

let admin: Connection;
let mig: Endpoint;
let dir: string;
let out: string;

/** A hook that appends `<name> <facts...>` to the shared file, then exits with `exitCode`. */
function hook(name: string, exitCode = 0): void {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `line="$(basename "$0") $OSC_DATABASE_NAME $OSC_TABLE_NAME $OSC_GHOST_TABLE_NAME $OSC_OLD_TABLE_NAME copied=$OSC_COPIED_ROWS dry=$OSC_DRY_RUN host=$OSC_INSPECTED_HOST ddl=[$OSC_DDL]"`,
      '[ -n "$OSC_ERROR_CODE" ] && line="$line error=$OSC_ERROR_CODE"',
      '[ -n "$OSC_COMMAND" ] && line="$line command=$OSC_COMMAND"',
      // The migration user's password must never reach a hook.
      `env | grep -q ${quoteShell(mig.password)} && line="$line PASSWORD-LEAKED"`,
      `echo "$line" >> ${quoteShell(out)}`,
      'echo "hook says hello"',
      `exit ${exitCode}`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
}

function quoteShell(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

const ALL_HOOKS = [
  'osc-on-startup',
  'osc-on-validated',
  'osc-on-rowcount-complete',
  'osc-on-before-row-copy',
  'osc-on-row-copy-complete',
  'osc-on-begin-postponed',
  'osc-on-before-cut-over',
  'osc-on-success',
  'osc-on-failure',
  'osc-on-interactive-command',
];

function fired(): string[] {
  return existsSync(out) ? readFileSync(out, 'utf8').trimEnd().split('\n') : [];
}

function osc(extra: readonly string[] = []): Promise<OscRun> {
  return runOsc(
    oscArgv(mig, DB, 't', [
      '--alter',
      ALTER,
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
      '--hooks-path',
      dir,
      // Our own socket, and no metrics port that another run could hold.
      '--serve-socket-file',
      join(dir, 'osc.sock'),
      '--metrics-address',
      'off',
      ...extra,
    ]),
  );
}

/** One command over the control socket; resolves with the reply. */
function command(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const c = createConnection(socket, () => c.write(`${line}\n`));
    c.setEncoding('utf8');
    c.on('data', (d: string) => (reply += d));
    c.on('end', () => resolve(reply));
    c.on('error', reject);
  });
}

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DB)} DEFAULT CHARACTER SET utf8mb4`);
  mig = await migrationUser(admin, testServer().primary, DB);
});

afterAll(async () => {
  await admin?.end();
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osc-hooks-it-'));
  out = join(dir, 'fired.log');
  for (const t of await tableNames(admin, DB)) await admin.query(`DROP TABLE ${quoteId(DB)}.${quoteId(t)}`);
  await admin.query(`USE ${quoteId(DB)}`);
  await admin.query(
    'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
  );
  await admin.query(
    `INSERT INTO t (id, name) VALUES ${Array.from({ length: ROWS }, () => '(?, ?)').join(', ')}`,
    Array.from({ length: ROWS }, (_, i) => [i + 1, `name ${i}`]).flat(),
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hooks', () => {
  test('fire in order with their environment during a successful migration', async () => {
    for (const name of ALL_HOOKS) hook(name);
    const run = await osc();
    expect(run.code, explainRun(run)).toBe(0);

    const host = `${mig.host}:${mig.port}`;
    const tail = `${DB} t _t_gho _t_del`;
    const facts = `dry=false host=${host} ddl=[${ALTER}]`;
    const lines = fired();
    // Copied rows: none before the copy, all of them once it is complete (the count is exact for a table this small).
    expect(lines).toEqual([
      `osc-on-startup ${tail} copied=0 ${facts}`,
      `osc-on-validated ${tail} copied=0 ${facts}`,
      `osc-on-rowcount-complete ${tail} copied=0 ${facts}`,
      `osc-on-before-row-copy ${tail} copied=0 ${facts}`,
      `osc-on-row-copy-complete ${tail} copied=${ROWS} ${facts}`,
      `osc-on-before-cut-over ${tail} copied=${ROWS} ${facts}`,
      `osc-on-success ${tail} copied=${ROWS} ${facts}`,
    ]);
    // Hook output goes to stderr (the log), never into stdout, which carries only the summary.
    expect(run.stderr).toContain('hook says hello');
    expect(run.stdout).not.toContain('hook says hello');
    expect((await columnsOf(admin, { database: DB, table: 't' })).map((c) => c.name)).toContain('note');
  });

  test('a failing osc-on-before-cut-over aborts without swapping: exit 1, original intact, ghost and changelog dropped', async () => {
    for (const name of ALL_HOOKS) hook(name, name === 'osc-on-before-cut-over' ? 3 : 0);
    const before = await checksum(admin, { database: DB, table: 't' });
    const run = await osc();
    expect(run.code, explainRun(run)).toBe(1);
    expect(run.stderr).toContain('code=HOOK_FAILED');
    expect(run.stderr).toMatch(/osc-on-before-cut-over.*exit code 3/);

    const names = fired().map((l) => l.split(' ')[0]);
    expect(names).toEqual([
      'osc-on-startup',
      'osc-on-validated',
      'osc-on-rowcount-complete',
      'osc-on-before-row-copy',
      'osc-on-row-copy-complete',
      'osc-on-before-cut-over',
      'osc-on-failure',
    ]);
    expect(fired().at(-1)).toMatch(/ error=HOOK_FAILED$/);
    expect(await tableNames(admin, DB)).toEqual(['t']);
    expect(await checksum(admin, { database: DB, table: 't' })).toBe(before);
    expect((await columnsOf(admin, { database: DB, table: 't' })).map((c) => c.name)).not.toContain('note');
  });

  test('a postponed cut-over fires osc-on-begin-postponed; a socket command fires osc-on-interactive-command', async () => {
    for (const name of ALL_HOOKS) hook(name);
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    const running = osc(['--postpone-cut-over-flag-file', flag]);
    await waitFor(() => fired().some((l) => l.startsWith('osc-on-begin-postponed ')), {
      timeoutMs: 60_000,
      message: 'osc-on-begin-postponed',
    });
    expect(await command(join(dir, 'osc.sock'), 'unpostpone')).toMatch(/^ok/);
    const run = await running;
    expect(run.code, explainRun(run)).toBe(0);

    const lines = fired();
    const tail = `${DB} t _t_gho _t_del copied=${ROWS}`;
    // The command's hook runs beside the migration, so only its presence is certain, not its place.
    expect(lines.filter((l) => l.startsWith('osc-on-interactive-command '))).toEqual([
      `osc-on-interactive-command ${tail} dry=false host=${mig.host}:${mig.port} ddl=[${ALTER}] command=unpostpone`,
    ]);
    expect(lines.filter((l) => !l.startsWith('osc-on-interactive-command ')).map((l) => l.split(' ')[0])).toEqual([
      'osc-on-startup',
      'osc-on-validated',
      'osc-on-rowcount-complete',
      'osc-on-before-row-copy',
      'osc-on-row-copy-complete',
      'osc-on-begin-postponed',
      'osc-on-before-cut-over',
      'osc-on-success',
    ]);
  });
});
