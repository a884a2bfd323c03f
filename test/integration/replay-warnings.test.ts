// Replay applies the copy's rule to warnings: a row change that the new table would store changed (a note or a
// warning, which strict mode lets through) fails the migration, and the original table stays untouched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, RUN_TAG, runOsc } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, tableNames } from '../support/verify.js';

const DB = `osc_t_replay_warn_${RUN_TAG}`;

let admin: Connection;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-replay-warn-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

describe('replay reads the warnings of what it writes', () => {
  test('a value written during the run that the narrowed DECIMAL would round fails the migration; the original is untouched', async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
    await admin.query(`CREATE DATABASE ${quoteId(DB)}`);
    await admin.query(
      `CREATE TABLE ${quoteId(DB)}.t (id INT NOT NULL PRIMARY KEY, price DECIMAL(10,2) NOT NULL) ENGINE=InnoDB`,
    );
    // Every seeded value fits DECIMAL(10,1) exactly, so the copy passes.
    await admin.query(`INSERT INTO ${quoteId(DB)}.t VALUES (1, 1.50), (2, 2.00), (3, -7.10)`);
    const mig = await migrationUser(admin, testServer().primary, DB);
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    let stderr = '';
    const running = runOsc(
      oscArgv(mig, DB, 't', [
        '--alter',
        'MODIFY price DECIMAL(10,1) NOT NULL',
        '--execute',
        '--replica-server-id',
        String(uniqueServerId()),
        '--postpone-cut-over-flag-file',
        flag,
      ]),
      { onStderr: (t) => (stderr += t) },
    );
    await waitFor(() => / to=postponed\b/.test(stderr), {
      timeoutMs: 60_000,
      intervalMs: 20,
      message: 'the postponed cut-over',
    });
    // Under strict mode the server stores 10.0 for 9.99 with a note (1265), not an error.
    await admin.query(`UPDATE ${quoteId(DB)}.t SET price = 9.99 WHERE id = 1`);
    const after = await checksum(admin, { database: DB, table: 't' });
    rmSync(flag);
    const run = await running;

    expect(run.code, explainRun(run)).toBe(1);
    expect(run.stderr).toContain('code=REPLAY_FAILED');
    expect(run.stderr).toMatch(/note 1265 \(data truncated for a column\)/);
    expect(run.stderr).not.toContain('9.99');
    expect(await tableNames(admin, DB)).toEqual(['t']);
    expect(await checksum(admin, { database: DB, table: 't' })).toBe(after);
    const [rows] = await admin.query(`SELECT id, price FROM ${quoteId(DB)}.t ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, price: '9.99' },
      { id: 2, price: '2.00' },
      { id: 3, price: '-7.10' },
    ]);
  });
});
