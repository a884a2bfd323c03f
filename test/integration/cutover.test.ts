// The cut-over alone, on real tables with writers hammering them, replay left out: every write committed before
// A's LOCK counts as replayed (the marker's job), so a write is lost exactly when it commits on the original after
// A took the lock. Rows get AUTO_INCREMENT ids, and nothing can insert into the original while A holds it, so the
// lost writes are the original's rows (`_t_del` after the swap) with an id above the largest one A saw under its lock.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CUT_OVER_STEPS, type CutOverAlgorithm } from '../../src/core/cutover/plan.js';
import type { LogBody, Logger } from '../../src/core/log.js';
import { cutOver, type CutOverTesting } from '../../src/stages/cutover/cutover.js';
import { openPool, type SessionPool } from '../../src/io/db/pool.js';
import { silentLogger } from '../../src/core/log.js';
import { exactConnection, qualified } from '../support/load.js';
import { RUN_TAG } from '../support/run-osc.js';
import { testServer } from '../support/servers.js';
import { algorithmsFor } from '../support/cutover-points.js';

const DB = `osc_t_cutover_${RUN_TAG}`;
let admin: Connection;
let pool: SessionPool;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin.query(`CREATE DATABASE \`${DB}\``);
  pool = openPool(testServer().primary, 4);
});

afterAll(async () => {
  await pool?.close();
  await admin?.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin?.end();
});

/** Connections inserting into `table` as fast as they can until stopped; errors of the swap window are ignored. */
function hammer(table: string, connections: number): { stop(): Promise<number> } {
  let running = true;
  let committed = 0;
  const loops = Array.from({ length: connections }, async () => {
    const conn = await exactConnection(testServer().primary);
    try {
      while (running) {
        try {
          await conn.query(`INSERT INTO ${qualified(DB, table)} (v) VALUES (1)`);
          committed++;
        } catch {
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    } finally {
      await conn.end();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return committed;
    },
  };
}

const noReplay = {
  waitForMarker: () => Promise.resolve(),
  release: () => undefined,
  idle: () => Promise.resolve(),
  pause: () => Promise.resolve(),
  resume: () => undefined,
};

const ALGORITHMS = algorithmsFor(testServer().flavor);

function deps(
  table: string,
  timeoutSeconds: number,
  retries: number,
  testing: CutOverTesting,
  algorithm: CutOverAlgorithm = 'two-connection',
) {
  return {
    connection: testServer().primary,
    pool,
    plan: { database: DB, table, ghost: `_${table}_gho`, old: `_${table}_del` },
    algorithm,
    timeoutSeconds,
    retries,
    applier: noReplay,
    writeMarker: () => Promise.resolve(),
    logger: silentLogger,
    signal: new AbortController().signal,
    testing,
  };
}

async function count(sql: string): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>(sql);
  return Number(rows[0]?.['n']);
}

interface SwapRun {
  readonly swaps: number;
  readonly unlockRightAfterDrop: boolean;
  /**
   * Another session reads the ghost when the sentry is dropped, and keeps its transaction open 300 ms: B then waits
   * for the ghost, not yet queued on the table, which makes the race certain instead of a matter of microseconds.
   */
  readonly ghostReader: boolean;
  readonly algorithm?: CutOverAlgorithm;
}

/** Swaps the table with a fresh empty ghost `swaps` times under the writers; returns how many swaps lost writes. */
async function swapsLosingWrites(table: string, run: SwapRun): Promise<number> {
  await admin.query(
    `DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_gho`)}, ${qualified(DB, `_${table}_del`)}`,
  );
  await admin.query(
    `CREATE TABLE ${qualified(DB, table)} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`,
  );
  const writers = hammer(table, 4);
  const reader = await exactConnection(testServer().primary);
  let losing = 0;
  try {
    for (let n = 0; n < run.swaps; n++) {
      await admin.query(`CREATE TABLE ${qualified(DB, `_${table}_gho`)} LIKE ${qualified(DB, table)}`);
      let lockedMax = -1;
      let readerDone: Promise<unknown> = Promise.resolve();
      await cutOver(
        deps(
          table,
          3,
          3,
          {
            unlockRightAfterDrop: run.unlockRightAfterDrop,
            afterStep: async (step, a) => {
              if (step === 'lock-tables') {
                const [row] = await a.rows<{ m: string }>(
                  `SELECT COALESCE(MAX(id), 0) AS m FROM ${qualified(DB, table)}`,
                );
                lockedMax = Number(row?.m);
              }
              // After the check that the ghost is free: a reader arriving between it and the sentry's drop.
              if (step === 'check-ghost-free' && run.ghostReader) {
                await reader.query('START TRANSACTION');
                await reader.query(`SELECT 1 FROM ${qualified(DB, `_${table}_gho`)} LIMIT 1`);
                readerDone = new Promise((r) => setTimeout(r, 300)).then(() => reader.query('COMMIT'));
              }
            },
          },
          run.algorithm,
        ),
      );
      await readerDone;
      expect(lockedMax).toBeGreaterThanOrEqual(0);
      if ((await count(`SELECT COUNT(*) AS n FROM ${qualified(DB, `_${table}_del`)} WHERE id > ${lockedMax}`)) > 0)
        losing++;
      await admin.query(`DROP TABLE ${qualified(DB, `_${table}_del`)}`);
    }
  } finally {
    await reader.end();
    expect(await writers.stop()).toBeGreaterThan(0);
  }
  return losing;
}

describe('the unlock order', () => {
  // The race exists only when the table sorts after `_t_del` and `_t_gho`, as most names do.
  test("gh-ost's order (UNLOCK straight after dropping the sentry) loses writes queued on the table", async () => {
    const losing = await swapsLosingWrites('t', { swaps: 5, unlockRightAfterDrop: true, ghostReader: true });
    console.error(`gh-ost's order: ${losing} of 5 swaps lost writes`);
    expect(losing).toBeGreaterThan(0);
  });
  test("osc's order loses none, with and without another session reading the ghost", async () => {
    expect(await swapsLosingWrites('t', { swaps: 10, unlockRightAfterDrop: false, ghostReader: true })).toBe(0);
    expect(await swapsLosingWrites('t', { swaps: 10, unlockRightAfterDrop: false, ghostReader: false })).toBe(0);
  });
  test.runIf(ALGORITHMS.includes('single-session'))('the single-session swap loses none', async () => {
    expect(
      await swapsLosingWrites('t', {
        swaps: 10,
        unlockRightAfterDrop: false,
        ghostReader: false,
        algorithm: 'single-session',
      }),
    ).toBe(0);
  });
});

describe.runIf(ALGORITHMS.includes('single-session'))('osc dies just before the swap, writers running', () => {
  // osc's death is its lock holder A's end (the server KILLs it; osc goes no further). Two connections: B's RENAME,
  // queued with the sentry dropped, runs once A is gone; held up by a session reading the ghost, it runs after
  // writers A had held back committed on the original: their writes are lost to the ghost. Single session: there is
  // no RENAME but A's, and it was not sent.
  async function dieBeforeSwap(
    table: string,
    algorithm: CutOverAlgorithm,
  ): Promise<{ lost: number; tables: string[] }> {
    await admin.query(
      `DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_gho`)}, ${qualified(DB, `_${table}_del`)}`,
    );
    await admin.query(
      `CREATE TABLE ${qualified(DB, table)} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE ${qualified(DB, `_${table}_gho`)} LIKE ${qualified(DB, table)}`);
    const writers = hammer(table, 4);
    const reader = await exactConnection(testServer().primary);
    let lockedMax = -1;
    let died: () => void = () => undefined;
    const dead = new Promise<void>((r) => (died = r));
    const lastStep = algorithm === 'single-session' ? 'check-run-lock' : 'drop-sentry';
    const run = cutOver(
      deps(
        table,
        5,
        1,
        {
          afterStep: async (step, a) => {
            if (step === 'lock-tables') {
              const [row] = await a.rows<{ m: string }>(
                `SELECT COALESCE(MAX(id), 0) AS m FROM ${qualified(DB, table)}`,
              );
              lockedMax = Number(row?.m);
            }
            if (step === 'check-ghost-free') {
              await reader.query('START TRANSACTION');
              await reader.query(`SELECT 1 FROM ${qualified(DB, `_${table}_gho`)} LIMIT 1`);
            }
            if (step !== lastStep) return;
            await admin.query(`KILL ${a.threadId}`);
            died();
            // Dead: osc takes no further step (the test ends the attempt once it has looked).
            await new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('osc died')), 3_000));
          },
        },
        algorithm,
      ),
    ).catch(() => undefined);
    try {
      await dead;
      // The writers go on; 300 ms later the ghost's reader ends.
      await new Promise((r) => setTimeout(r, 300));
      await reader.query('COMMIT');
      await new Promise((r) => setTimeout(r, 300));
      const [rows] = await admin.query<RowDataPacket[]>(
        'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?',
        [DB, `%${table}%`],
      );
      const tables = rows.map((r) => String(r['n'])).sort();
      const lost = tables.includes(`_${table}_del`)
        ? await count(`SELECT COUNT(*) AS n FROM ${qualified(DB, `_${table}_del`)} WHERE id > ${lockedMax}`)
        : 0;
      // Writable: the original (or what took its name) accepts a write at once.
      await admin.query(`INSERT INTO ${qualified(DB, table)} (v) VALUES (2)`);
      return { lost, tables };
    } finally {
      await reader.end();
      expect(await writers.stop()).toBeGreaterThan(0);
      await run;
    }
  }

  test('two connections: the queued RENAME runs behind the writers A held back, and their writes are lost', async () => {
    const r = await dieBeforeSwap('d', 'two-connection');
    expect(r.tables).toEqual(['_d_del', 'd']);
    expect(r.lost).toBeGreaterThan(0);
  });

  test('single session: nothing was renamed, the original is intact and writable, no write is lost', async () => {
    const r = await dieBeforeSwap('s', 'single-session');
    expect(r.tables).toEqual(['_s_gho', 's']);
    expect(r.lost).toBe(0);
    // Every row the writers committed is in the original.
    expect(await count(`SELECT COUNT(*) AS n FROM ${qualified(DB, '_s_gho')}`)).toBe(0);
  });
});

describe.each(ALGORITHMS)("A's server-side wait_timeout (%s)", (algorithm) => {
  test('when osc freezes while A holds the lock, the server ends A and the application writes again; the next attempt swaps', async () => {
    const table = 'frz';
    await admin.query(
      `DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_gho`)}, ${qualified(DB, `_${table}_del`)}`,
    );
    await admin.query(
      `CREATE TABLE ${qualified(DB, table)} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE ${qualified(DB, `_${table}_gho`)} LIKE ${qualified(DB, table)}`);
    const timeoutSeconds = 1;
    // Longer than A's wait_timeout (the lock timeout + 5 s): osc is "frozen" with A idle under its lock.
    const freezeMs = (timeoutSeconds + 5 + 4) * 1000;
    const writer = await exactConnection(testServer().primary);
    let writeMs: number | null = null;
    let write: Promise<unknown> = Promise.resolve();
    let froze = false;
    try {
      const result = await cutOver(
        deps(
          table,
          timeoutSeconds,
          2,
          {
            afterStep: async (step) => {
              if (step !== 'lock-tables' || froze) return;
              froze = true;
              const started = Date.now();
              write = writer
                .query(`INSERT INTO ${qualified(DB, table)} (v) VALUES (1)`)
                .then(() => (writeMs = Date.now() - started));
              await new Promise((r) => setTimeout(r, freezeMs));
            },
          },
          algorithm,
        ),
      );
      expect(froze).toBe(true);
      expect(writeMs, 'the write went through while osc was frozen').not.toBeNull();
      await write;
      expect(writeMs!).toBeLessThan(freezeMs - 1000);
      expect(result.attempts).toBe(2);
      // The first attempt left nothing behind (two connections: its sentry was recognised and dropped); the second
      // swapped, and the write made while osc was frozen is in the original.
      expect(await count(`SELECT COUNT(*) AS n FROM ${qualified(DB, `_${table}_del`)}`)).toBe(1);
      const [tables] = await admin.query<RowDataPacket[]>(
        'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
        [DB],
      );
      expect(
        tables
          .map((r) => String(r['n']))
          .filter((n) => n.includes(table))
          .sort(),
      ).toEqual([`_${table}_del`, table]);
    } finally {
      await writer.end();
    }
  });
});

describe.each(ALGORITHMS)('the steps of an attempt (%s)', (algorithm) => {
  test('each is logged by its name in CUT_OVER_STEPS, in that order (a table sorting after _ takes every step)', async () => {
    const table = 'steps';
    await admin.query(
      `DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_gho`)}, ${qualified(DB, `_${table}_del`)}`,
    );
    await admin.query(
      `CREATE TABLE ${qualified(DB, table)} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE ${qualified(DB, `_${table}_gho`)} LIKE ${qualified(DB, table)}`);
    const steps: unknown[] = [];
    const debug = (event: string, fields?: LogBody) => {
      if (event === 'cut_over_step' && typeof fields === 'object') steps.push(fields['step']);
    };
    const logger: Logger = { ...silentLogger, debug };
    const result = await cutOver({ ...deps(table, 3, 3, {}, algorithm), logger });
    expect(result.attempts).toBe(1);
    expect(steps).toEqual([...CUT_OVER_STEPS[algorithm]]);
  });
});

describe.each(ALGORITHMS)('an attempt whose tables cannot be told apart (%s)', (algorithm) => {
  test('the ghost vanished, then the attempt failed: CUT_OVER_UNCERTAIN, no retry, not even the sentry dropped, the table writable again', async () => {
    const table = 'gone';
    await admin.query(
      `DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_gho`)}, ${qualified(DB, `_${table}_del`)}`,
    );
    await admin.query(
      `CREATE TABLE ${qualified(DB, table)} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE ${qualified(DB, `_${table}_gho`)} LIKE ${qualified(DB, table)}`);
    let attempts = 0;
    const err: unknown = await cutOver({
      ...deps(
        table,
        2,
        3,
        {
          afterStep: async (step, a) => {
            if (step !== 'wait-marker-replayed') return;
            // Single session: A holds the ghost, so only A can drop it now.
            const drop = `DROP TABLE ${qualified(DB, `_${table}_gho`)}`;
            await (algorithm === 'single-session' ? a.run(drop) : admin.query(drop));
            throw new Error('injected failure');
          },
        },
        algorithm,
      ),
      onAttempt: (n: number) => (attempts = n),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CUT_OVER_UNCERTAIN' });
    expect(attempts).toBe(1);
    const [tables] = await admin.query<RowDataPacket[]>(
      'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [DB],
    );
    // The sentry (two connections) is left where it is: nothing is dropped while the state is unknown.
    expect(
      tables
        .map((r) => String(r['n']))
        .filter((n) => n.includes(table))
        .sort(),
    ).toEqual(algorithm === 'single-session' ? [table] : [`_${table}_del`, table]);
    await admin.query(`INSERT INTO ${qualified(DB, table)} (v) VALUES (1)`);
  });
});
