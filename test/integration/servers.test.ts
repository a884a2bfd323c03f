// The test servers are what osc needs: a ROW/FULL binlog on the primary, a replica
// that replicates, and helpers that read values exactly.

import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteId } from '../../src/core/sql/quote.js';
import { adminConnection, detectFlavor, freshSchema, testServer, uniqueServerId, waitFor } from '../support/servers.js';

describe('test servers', () => {
  let primary: Connection;
  let schema: string;

  beforeAll(async () => {
    primary = await adminConnection();
    schema = await freshSchema('servers');
  });
  afterAll(async () => {
    await primary.query(`DROP DATABASE IF EXISTS ${quoteId(schema)}`);
    await primary.end();
  });

  it('the primary has the binlog settings osc requires', async () => {
    const [rows] = await primary.query<RowDataPacket[]>(
      'SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@binlog_row_image AS image, @@read_only AS ro',
    );
    // BIGINT system variables arrive as strings (bigNumberStrings).
    expect({ ...rows[0], log_bin: Number(rows[0]?.['log_bin']), ro: Number(rows[0]?.['ro']) }).toEqual({
      log_bin: 1,
      format: 'ROW',
      image: 'FULL',
      ro: 0,
    });
    const [ids] = await primary.query<RowDataPacket[]>('SELECT @@server_id AS id');
    expect(Number(ids[0]?.['id'])).not.toBe(99999);
    expect(await detectFlavor(primary)).toBe(testServer().flavor);
    if (testServer().flavor === 'mysql') {
      const [gtid] = await primary.query<RowDataPacket[]>('SELECT @@gtid_mode AS m');
      expect(gtid[0]?.['m']).toBe('ON');
    }
  });

  it('the connection reads big integers exactly', async () => {
    const [rows] = await primary.query<RowDataPacket[]>('SELECT CAST(18446744073709551615 AS UNSIGNED) AS big');
    expect(rows[0]?.['big']).toBe('18446744073709551615');
  });

  it('the replica replicates a write', async () => {
    const server = testServer();
    expect(server.replica).toBeDefined();
    await primary.query(`CREATE TABLE ${quoteId(schema)}.t (id INT PRIMARY KEY, v VARCHAR(20))`);
    await primary.query(`INSERT INTO ${quoteId(schema)}.t VALUES (?, ?)`, [1, 'replicated']);
    const replica = await adminConnection({ replica: true });
    try {
      const [ro] = await replica.query<RowDataPacket[]>('SELECT @@read_only AS ro, @@server_id AS id');
      expect(Number(ro[0]?.['ro'])).toBe(1);
      const [pid] = await primary.query<RowDataPacket[]>('SELECT @@server_id AS id');
      expect(Number(ro[0]?.['id'])).not.toBe(Number(pid[0]?.['id']));
      const v = await waitFor(
        async () => {
          const [rows] = await replica.query<RowDataPacket[]>(`SELECT v FROM ${quoteId(schema)}.t WHERE id = ?`, [1]);
          return rows[0]?.['v'] as string | undefined;
        },
        { timeoutMs: 20_000, message: 'the row to reach the replica' },
      );
      expect(v).toBe('replicated');
    } finally {
      await replica.end();
    }
  });

  it('hands out distinct binlog reader ids, never a server id in use', () => {
    const ids = Array.from({ length: 300 }, () => uniqueServerId());
    expect(new Set(ids).size).toBe(300);
    for (const id of ids) expect([1, 2, 99999]).not.toContain(id);
  });
});
