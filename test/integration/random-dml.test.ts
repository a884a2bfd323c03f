// Randomized: per seed, random concurrent DML (several writers; transactions with rollbacks, key changes, NULLs,
// multi-byte text) against an ALTER drawn from a list (test/support/random-case.ts), each result compared row by
// row with the offline result. CI runs the seeds below (RANDOM_CI_SEEDS, fixed so that a red run is reproducible);
// `npm run soak` runs many more (scripts/soak.ts). A failing seed prints itself and the command that reruns it.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { describeCase, randomCase } from '../support/random-case.js';
import { describeComparison } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';

/** The seeds `npm test` runs: four, a few seconds each. */
export const RANDOM_CI_SEEDS = [1, 2, 3, 4];

/** OSC_RANDOM_SEEDS: a comma list (`7,19`) or a range (`100-149`); else the CI seeds. */
function seeds(): number[] {
  const v = process.env['OSC_RANDOM_SEEDS']?.trim();
  if (v === undefined || v === '') return RANDOM_CI_SEEDS;
  const range = /^(\d+)-(\d+)$/.exec(v);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
  }
  return v.split(',').map((s) => Number(s.trim()));
}

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

describe('random concurrent DML against a random ALTER', () => {
  for (const seed of seeds()) {
    test(`seed ${seed}`, async () => {
      const c = randomCase(seed);
      const database = `osc_t_rnd_${RUN_TAG}`;
      await recreateDatabase(admin, database);
      await prepareTable(admin, database, c.create, 't', c.model, c.rows);
      let r;
      try {
        r = await migrateUnderLoad({
          admin,
          primary: testServer().primary,
          database,
          table: 't',
          model: c.model,
          seededRows: c.rows,
          alter: c.alter,
          args: c.args,
          replicaServerId: uniqueServerId(),
          load: c.load,
          postponeCutOverMs: c.postponeCutOverMs,
          // The load keeps writing for a while after osc returns: writes after the swap land on the new table.
          tailMs: 300,
        });
      } catch (err) {
        throw new Error(`${describeCase(c)}\n${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      expect(r.run.code, `${describeCase(c)}\n${explainRun(r.run)}`).toBe(0);
      expect(r.comparison?.ok, `${describeCase(c)}\n${r.comparison ? describeComparison(r.comparison) : ''}`).toBe(
        true,
      );
      expect(r.writesDuringRun, describeCase(c)).toBeGreaterThan(0);
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.query(`DROP DATABASE IF EXISTS \`${database}_exp\``);
    });
  }
});
