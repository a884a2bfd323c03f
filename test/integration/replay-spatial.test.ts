// Spatial values replay byte for byte: every geometry type, SRIDs other than 0, NULLs and a spatial index, written,
// changed and deleted, read by the real streamer and replayed by the real applier; the ghost must equal what
// INSERT ... SELECT from the original stores, compared as the server's internal bytes (SRID + WKB) with HEX().
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPool, type SessionPool } from '../../src/io/db/pool.js';
import { exactConnection, quoteId } from '../support/load.js';
import { recordEvents, replayOnto } from '../support/replay.js';
import { freshSchema, testServer } from '../support/servers.js';

let DB = '';
let admin: Connection;
let pool: SessionPool;

beforeAll(async () => {
  DB = await freshSchema('replay_spatial');
  admin = await exactConnection(testServer().primary, DB);
  pool = openPool(testServer().primary, 3);
});

afterAll(async () => {
  await pool?.close();
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.end();
});

const COLUMNS = ['g', 'p', 'l', 'pg', 'mp', 'ml', 'mpg', 'gc', 'geo', 'sp'];

// One WKT per column type; MySQL reads SRID 4326 as latitude-longitude, so every coordinate stays within 0..60.
const SHAPES: readonly (readonly [string, string])[] = [
  ['g', 'POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))'],
  ['p', 'POINT(1.5 -2.25)'],
  ['l', 'LINESTRING(0 0, 1 1.000000001, 2 0)'],
  ['pg', 'POLYGON((0 0, 5 0, 5 5, 0 0))'],
  ['mp', 'MULTIPOINT((1 1), (2 2), (3 3))'],
  ['ml', 'MULTILINESTRING((0 0, 1 1), (2 2, 3 3, 4 5))'],
  ['mpg', 'MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))'],
  ['gc', 'GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1), POLYGON((0 0, 1 0, 1 1, 0 0)))'],
  ['geo', 'POINT(45.5 12.25)'],
  ['sp', 'POINT(7 8)'],
];

describe('spatial values replay byte for byte', () => {
  test('every geometry type, SRIDs, NULLs and a spatial index, into the same and a widened definition', async () => {
    const mariadb = testServer().flavor === 'mariadb';
    // A column restricted to one SRID: MySQL's SRID attribute, MariaDB's REF_SYSTEM_ID.
    const srid4326 = mariadb ? 'REF_SYSTEM_ID=4326' : 'SRID 4326';
    await admin.query(`CREATE TABLE src (
        id INT NOT NULL PRIMARY KEY,
        g GEOMETRY NULL, p POINT NULL, l LINESTRING NULL, pg POLYGON NULL,
        mp MULTIPOINT NULL, ml MULTILINESTRING NULL, mpg MULTIPOLYGON NULL, gc GEOMETRYCOLLECTION NULL,
        geo POINT ${srid4326} NULL,
        sp POINT NOT NULL ${mariadb ? '' : 'SRID 0'},
        SPATIAL INDEX (sp)
      ) ENGINE=InnoDB`);
    await admin.query('CREATE TABLE same LIKE src');
    await admin.query('CREATE TABLE widened LIKE src');
    await admin.query('ALTER TABLE widened MODIFY p GEOMETRY NULL, MODIFY l GEOMETRY NULL, MODIFY gc GEOMETRY NULL');

    const geometry = (wkt: string, srid: number) => `ST_GeomFromText('${wkt}', ${srid})`;
    const row = (id: number, srid: number) =>
      `(${id}, ${SHAPES.map(([col, wkt]) => geometry(wkt, col === 'geo' ? 4326 : col === 'sp' ? 0 : srid)).join(', ')})`;
    const events = await recordEvents(admin, ['src'], async () => {
      await admin.query(
        `INSERT INTO src (id, ${COLUMNS.join(', ')}) VALUES ${[0, 3857, 4326, 0, 3857].map((srid, id) => row(id, srid)).join(', ')}`,
      );
      await admin.query(`INSERT INTO src (id, sp) VALUES (9, ${geometry('POINT(0 0)', 0)})`);
      // Changes: a new shape and SRID, NULLs both ways, the key moved, a row deleted.
      await admin.query(
        `UPDATE src SET g = ${geometry('POINT(3 4)', 4326)}, l = NULL, sp = ${geometry('POINT(9 9)', 0)} WHERE id = 1`,
      );
      await admin.query(`UPDATE src SET p = ${geometry('POINT(-1 -1)', 3857)}, geo = NULL WHERE id = 9`);
      await admin.query('UPDATE src SET id = 20 WHERE id = 2');
      await admin.query('DELETE FROM src WHERE id = 3');
    });

    const read = async (table: string) =>
      (
        await admin.query<RowDataPacket[]>(
          `SELECT id, ${COLUMNS.map((c) => `HEX(${c}) AS ${c}, HEX(ST_AsBinary(${c})) AS ${c}_wkb, ST_SRID(${c}) AS ${c}_srid`).join(', ')} FROM ${quoteId(table)} ORDER BY id`,
        )
      )[0];
    const failures: string[] = [];
    for (const ghost of ['same', 'widened']) {
      const expected = `e_${ghost}`;
      await admin.query(`CREATE TABLE ${expected} LIKE ${ghost}`);
      await admin.query(`INSERT INTO ${expected} SELECT * FROM src`);
      try {
        await replayOnto({ pool, database: DB, table: 'src', ghost, events });
        const actual = await read(ghost);
        const wanted = await read(expected);
        expect(wanted.map((r) => Number(r['id']))).toEqual([0, 1, 4, 9, 20]);
        if (JSON.stringify(actual) !== JSON.stringify(wanted))
          failures.push(`${ghost}: ${JSON.stringify(actual)} vs ${JSON.stringify(wanted)}`.slice(0, 800));
      } catch (err) {
        failures.push(`${ghost}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
