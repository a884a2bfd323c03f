import { describe, expect, it } from 'vitest';
import { buildReplayBatch, collapseEvents } from '../../src/core/binlog/batch.js';
import type { Row, RowEvent } from '../../src/core/binlog/events.js';
import { keyIdentity, sameKey } from '../../src/core/chunk/plan.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import type { ChunkKey } from '../../src/core/types.js';
import { col } from '../support/columns.js';

const id = col('id', 'bigint', 'bigint unsigned');
const v = col('v', 'varchar', 'varchar(10)');
const key: ChunkKey = {
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id],
  ghostColumns: [id],
  ghostSources: [id],
  exactColumns: [],
};
const dml = createDmlBuilder({
  database: 'd',
  ghost: '_t_gho',
  mapping: [
    { source: id, target: id },
    { source: v, target: v },
  ],
  key,
});

const pos = { file: 'binlog.000001', position: 4 };
const base = { database: 'd', table: 't', resume: pos, next: pos };
const ins = (row: Row): RowEvent => ({ ...base, kind: 'insert', row });
const del = (row: Row): RowEvent => ({ ...base, kind: 'delete', row });
const upd = (before: Row, after: Row): RowEvent => ({ ...base, kind: 'update', before, after });

const DELETE = (n: number) => `DELETE FROM \`d\`.\`_t_gho\` WHERE \`id\` IN (${Array(n).fill('?').join(', ')})`;
const INSERT = (n: number) =>
  `INSERT INTO \`d\`.\`_t_gho\` (\`id\`, \`v\`) VALUES ${Array(n).fill('(?, ?)').join(', ')}`;

describe('replay batches', () => {
  it('a hot key collapses to its last image: one delete, one insert', () => {
    const events = [
      ins({ id: 1, v: 'a' }),
      upd({ id: 1, v: 'a' }, { id: 1, v: 'b' }),
      upd({ id: 1, v: 'b' }, { id: 1, v: 'c' }),
      upd({ id: 1, v: 'c' }, { id: 1, v: 'd' }),
    ];
    expect(buildReplayBatch(events, dml)).toEqual({
      deletes: [{ sql: DELETE(1), params: [1n] }],
      inserts: [{ sql: INSERT(1), params: [1, 'd'] }],
      alive: [{ id: 1, v: 'd' }],
      keys: 1,
    });
  });
  it('an update that moves the key deletes the old key and writes the new one', () => {
    expect(buildReplayBatch([upd({ id: 1, v: 'a' }, { id: 2, v: 'a' })], dml)).toEqual({
      deletes: [{ sql: DELETE(2), params: [1n, 2n] }],
      inserts: [{ sql: INSERT(1), params: [2, 'a'] }],
      alive: [{ id: 2, v: 'a' }],
      keys: 2,
    });
  });
  it('a key moved away and back ends with its last image', () => {
    const events = [upd({ id: 1, v: 'a' }, { id: 2, v: 'a' }), upd({ id: 2, v: 'a' }, { id: 1, v: 'b' })];
    const batch = buildReplayBatch(events, dml);
    expect(batch.deletes).toEqual([{ sql: DELETE(2), params: [1n, 2n] }]);
    expect(batch.inserts).toEqual([{ sql: INSERT(1), params: [1, 'b'] }]);
  });
  it('delete then insert of the same key: the new row', () => {
    const batch = buildReplayBatch([del({ id: 5, v: 'old' }), ins({ id: 5, v: 'new' })], dml);
    expect(batch.deletes).toEqual([{ sql: DELETE(1), params: [5n] }]);
    expect(batch.inserts).toEqual([{ sql: INSERT(1), params: [5, 'new'] }]);
  });
  it('insert then delete of the same key: only the delete (the copy may have written it)', () => {
    expect(buildReplayBatch([ins({ id: 5, v: 'x' }), del({ id: 5, v: 'x' })], dml)).toEqual({
      deletes: [{ sql: DELETE(1), params: [5n] }],
      inserts: [],
      alive: [],
      keys: 1,
    });
  });
  it('a batch over several keys: deletes in first-touch order, images in last-change order', () => {
    const events = [
      ins({ id: 3, v: 'a' }),
      upd({ id: 1, v: 'x' }, { id: 1, v: 'y' }),
      del({ id: 2, v: 'z' }),
      upd({ id: 3, v: 'a' }, { id: 3, v: 'b' }),
      ins({ id: 4, v: 'c' }),
      upd({ id: 4, v: 'c' }, { id: 6, v: 'c' }),
    ];
    expect(buildReplayBatch(events, dml)).toEqual({
      deletes: [{ sql: DELETE(5), params: [3n, 1n, 2n, 4n, 6n] }],
      inserts: [{ sql: INSERT(3), params: [1, 'y', 3, 'b', 6, 'c'] }],
      alive: [
        { id: 1, v: 'y' },
        { id: 3, v: 'b' },
        { id: 6, v: 'c' },
      ],
      keys: 5,
    });
  });
  it('keys are one key whatever type the decoder gave (12, 12n, "12")', () => {
    const run = collapseEvents([ins({ id: 12, v: 'a' }), upd({ id: '12', v: 'a' }, { id: 12n, v: 'b' })], dml);
    expect(run).toEqual({ touched: [{ id: 12, v: 'a' }], alive: [{ id: 12n, v: 'b' }] });
  });
  it("byte keys differing only in case are distinct keys (the collation is the server's business)", () => {
    const code = { ...col('code', 'varbinary', 'varbinary(10)') };
    const k: ChunkKey = {
      name: 'uk',
      ghostName: 'uk',
      columns: [code],
      ghostColumns: [code],
      ghostSources: [code],
      exactColumns: [],
    };
    const d = createDmlBuilder({ database: 'd', ghost: '_t_gho', mapping: [{ source: code, target: code }], key: k });
    const a = Buffer.from('a');
    const A = Buffer.from('A');
    const batch = buildReplayBatch([upd({ code: a }, { code: A })], d);
    expect(batch.deletes).toEqual([{ sql: 'DELETE FROM `d`.`_t_gho` WHERE `code` IN (?, ?)', params: [a, A] }]);
    expect(batch.alive).toEqual([{ code: A }]);
  });
  it('the ghost matched by an extended key: a change of the added column moves the key', () => {
    const i = col('i', 'int');
    const extended: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [id],
      ghostColumns: [id, i],
      ghostSources: [id, i],
      exactColumns: [],
    };
    const ext = createDmlBuilder({
      database: 'd',
      ghost: '_t_gho',
      mapping: [
        { source: id, target: id },
        { source: i, target: i },
      ],
      key: extended,
    });
    expect(
      buildReplayBatch([upd({ id: 5, i: 0 }, { id: 5, i: 1 }), upd({ id: 5, i: 1 }, { id: 5, i: 2 })], ext),
    ).toEqual({
      deletes: [
        {
          sql: 'DELETE FROM `d`.`_t_gho` WHERE (`id`, `i`) IN ((?, ?), (?, ?), (?, ?))',
          params: [5n, 0n, 5n, 1n, 5n, 2n],
        },
      ],
      inserts: [{ sql: 'INSERT INTO `d`.`_t_gho` (`id`, `i`) VALUES (?, ?)', params: [5, 2] }],
      alive: [{ id: 5, i: 2 }],
      keys: 3,
    });
  });
  it('splits statements that would exceed the byte budget, keeping the order', () => {
    const big = 'x'.repeat(100);
    const events = [1, 2, 3, 4, 5].map((n) => ins({ id: n, v: big }));
    // Each row counts about 3 * 100 + 2 + 24 + 2 * 32 = 390 bytes; each key 24 + 48 = 72.
    const batch = buildReplayBatch(events, dml, 800);
    expect(batch.inserts.map((s) => [s.sql, s.params.filter((p) => p !== big)])).toEqual([
      [INSERT(2), [1, 2]],
      [INSERT(2), [3, 4]],
      [INSERT(1), [5]],
    ]);
    expect(batch.deletes).toEqual([{ sql: DELETE(5), params: [1n, 2n, 3n, 4n, 5n] }]);
    // A row bigger than the budget goes alone.
    expect(buildReplayBatch(events, dml, 10).inserts).toHaveLength(5);
  });
  it('an empty run has nothing to do', () => {
    expect(buildReplayBatch([], dml)).toEqual({ deletes: [], inserts: [], alive: [], keys: 0 });
  });
});

// The batch against per-event replay (to-dml.ts) on a modelled ghost: random histories of a table with a unique
// key, replayed both ways, must leave the same rows.
describe('a batch leaves the ghost as per-event replay does', () => {
  type Ghost = Map<string, Row>;
  const k = (row: Row) => keyIdentity(dml.keyOf(row));
  function perEvent(ghost: Ghost, events: readonly RowEvent[]): Ghost {
    const g = new Map(ghost);
    for (const e of events) {
      if (e.kind === 'insert') g.set(k(e.row), e.row);
      else if (e.kind === 'delete') g.delete(k(e.row));
      else if (sameKey(dml.keyOf(e.before), dml.keyOf(e.after))) {
        if (g.has(k(e.before))) g.set(k(e.after), e.after); // UPDATE: only an existing row
      } else {
        g.delete(k(e.before));
        g.set(k(e.after), e.after);
      }
    }
    return g;
  }
  function batched(ghost: Ghost, events: readonly RowEvent[]): Ghost {
    const g = new Map(ghost);
    const run = collapseEvents(events, dml);
    for (const row of run.touched) g.delete(k(row));
    for (const row of run.alive) g.set(k(row), row);
    return g;
  }
  /** The copy reaching the rows later: INSERT IGNORE of the original as it is now. */
  function copied(ghost: Ghost, source: Ghost): Ghost {
    const g = new Map(ghost);
    for (const [id, row] of source) if (!g.has(id)) g.set(id, row);
    return g;
  }
  function random(seed: number): () => number {
    let s = seed;
    return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  }

  it('over 2000 random histories, with the ghost caught up or missing rows the copy has not reached', () => {
    const rnd = random(42);
    const pick = (n: number) => Math.floor(rnd() * n);
    for (let round = 0; round < 2000; round++) {
      const source: Ghost = new Map();
      for (let i = 1; i <= 4; i++) if (rnd() < 0.6) source.set(k({ id: i }), { id: i, v: `v${i}` });
      const before = new Map(source);
      const events: RowEvent[] = [];
      for (let step = 0, n = 1 + pick(8); step < n; step++) {
        const rows = [...source.values()];
        const free = [1, 2, 3, 4, 5, 6].filter((i) => !source.has(k({ id: i })));
        const op = pick(3);
        if (op === 0 && free.length > 0) {
          const row = { id: free[pick(free.length)]!, v: `i${round}.${step}` };
          source.set(k(row), row);
          events.push(ins(row));
        } else if (op === 1 && rows.length > 0) {
          const row = rows[pick(rows.length)]!;
          source.delete(k(row));
          events.push(del(row));
        } else if (rows.length > 0) {
          const row = rows[pick(rows.length)]!;
          const moveTo = rnd() < 0.4 && free.length > 0 ? free[pick(free.length)]! : (row['id'] as number);
          const after = { id: moveTo, v: `u${round}.${step}` };
          source.delete(k(row));
          source.set(k(after), after);
          events.push(upd(row, after));
        }
      }
      // Caught up: the ghost holds what the original held before the run.
      expect(batched(before, events)).toEqual(perEvent(before, events));
      // Some rows not copied yet: equal once the copy has reached them.
      const partial = new Map([...before].filter(() => rnd() < 0.5));
      expect(copied(batched(partial, events), source)).toEqual(copied(perEvent(partial, events), source));
      expect(batched(before, events)).toEqual(source);
    }
  });
});
