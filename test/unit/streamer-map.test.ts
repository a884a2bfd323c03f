import { describe, expect, it } from 'vitest';
import { mapRowsEvent, type ZongjiRowsEvent, type ZongjiTable } from '../../src/io/binlog/map.js';
import { normalizeValue, repairTime, TYPE } from '../../src/io/binlog/values.js';
import { isConnectionLoss } from '../../src/io/binlog/streamer.js';

const orders: ZongjiTable = {
  parentSchema: 'shop',
  tableName: 'orders',
  columns: [
    { name: 'id', type: 8 },
    { name: 'y', type: TYPE.YEAR },
    { name: 'f', type: 4 },
    { name: 'b', type: 16 },
  ],
};
const other: ZongjiTable = { parentSchema: 'shop', tableName: 'audit', columns: [{ name: 'id', type: 3 }] };
const elsewhere: ZongjiTable = { parentSchema: 'crm', tableName: 'orders', columns: [{ name: 'id', type: 3 }] };

function event(name: string, tableId: number, rows: unknown[], nextPosition = 900): ZongjiRowsEvent {
  return { getEventName: () => name, tableId, tableMap: { 7: orders, 8: other, 9: elsewhere }, rows, nextPosition };
}

const ctx = {
  resume: { file: 'binlog.000003', position: 400 },
  database: 'shop',
  tables: new Set(['orders', '_orders_ghc']),
};

describe('mapRowsEvent', () => {
  it('gives one insert per row, in row order, with positions', () => {
    const out = mapRowsEvent(
      event('writerows', 7, [
        { id: 1, y: 2024, f: 1.5, b: null },
        { id: '18446744073709551615', y: 1900, f: null, b: null },
      ]),
      ctx,
    );
    expect(out).toEqual([
      {
        kind: 'insert',
        database: 'shop',
        table: 'orders',
        resume: { file: 'binlog.000003', position: 400 },
        next: { file: 'binlog.000003', position: 900 },
        gtid: null,
        row: { id: 1, y: 2024, f: 1.5, b: null },
      },
      {
        kind: 'insert',
        database: 'shop',
        table: 'orders',
        resume: { file: 'binlog.000003', position: 400 },
        next: { file: 'binlog.000003', position: 900 },
        gtid: null,
        row: { id: '18446744073709551615', y: 0, f: null, b: null },
      },
    ]);
  });

  it('maps updates to before/after and deletes to row', () => {
    const upd = mapRowsEvent(
      event('updaterows', 7, [
        { before: { id: 1, y: 2000, f: 0.1, b: null }, after: { id: 2, y: 2001, f: 0.1, b: null } },
      ]),
      ctx,
    );
    expect(upd).toEqual([
      {
        kind: 'update',
        database: 'shop',
        table: 'orders',
        resume: ctx.resume,
        next: { file: 'binlog.000003', position: 900 },
        gtid: null,
        before: { id: 1, y: 2000, f: 0.1, b: null },
        after: { id: 2, y: 2001, f: 0.1, b: null },
      },
    ]);
    const del = mapRowsEvent(event('deleterows', 7, [{ id: 5, y: null, f: null, b: null }]), ctx);
    expect(del.map((e) => e.kind)).toEqual(['delete']);
    expect(del[0]).toMatchObject({ kind: 'delete', row: { id: 5, y: null, f: null, b: null } });
  });

  it('uses the transaction start as next when MariaDB wrote end_log_pos 0', () => {
    const [ev] = mapRowsEvent(event('writerows', 7, [{ id: 1, y: null, f: null, b: null }], 0), ctx);
    expect(ev?.next).toEqual({ file: 'binlog.000003', position: 400 });
  });

  it("carries the transaction's GTID as zongji attached it", () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const row = [{ id: 1, y: null, f: null, b: null }];
    expect(mapRowsEvent({ ...event('writerows', 7, row), gtid: `${uuid}:78` }, ctx)[0]?.gtid).toBe(`${uuid}:78`);
    expect(mapRowsEvent({ ...event('writerows', 7, row), gtid: '0-1-42' }, ctx)[0]?.gtid).toBe('0-1-42');
    expect(mapRowsEvent({ ...event('writerows', 7, row), gtid: undefined }, ctx)[0]?.gtid).toBeNull();
  });

  it('drops other tables, other databases and non-row events', () => {
    expect(mapRowsEvent(event('writerows', 8, [{ id: 1 }]), ctx)).toEqual([]);
    expect(mapRowsEvent(event('writerows', 9, [{ id: 1 }]), ctx)).toEqual([]);
    expect(mapRowsEvent(event('writerows', 42, [{ id: 1 }]), ctx)).toEqual([]);
    expect(mapRowsEvent(event('tablemap', 7, []), ctx)).toEqual([]);
    expect(mapRowsEvent(event('rotate', 7, []), ctx)).toEqual([]);
  });

  it('copies Buffers out of the packet', () => {
    const packet = Buffer.from([0xff, 0x00, 0x0a, 0xbc]);
    const [ev] = mapRowsEvent(event('writerows', 7, [{ id: 1, y: null, f: null, b: packet.subarray(2) }]), ctx);
    const b = ev?.kind === 'insert' ? ev.row['b'] : undefined;
    expect(b).toEqual(Buffer.from([0x0a, 0xbc]));
    packet[2] = 0;
    expect(b).toEqual(Buffer.from([0x0a, 0xbc]));
  });
});

describe('normalizeValue', () => {
  it('turns the YEAR 0000 that zongji reports as 1900 back into 0', () => {
    expect(normalizeValue(TYPE.YEAR, 1900)).toBe(0);
    expect(normalizeValue(TYPE.YEAR, 1901)).toBe(1901);
    expect(normalizeValue(TYPE.YEAR, 2155)).toBe(2155);
  });

  it("gives ENUM's invalid-member index 0 as ''", () => {
    expect(normalizeValue(TYPE.ENUM, undefined)).toBe('');
    expect(normalizeValue(TYPE.ENUM, 'b')).toBe('b');
    expect(normalizeValue(TYPE.ENUM, null)).toBe(null);
  });

  it('leaves FLOAT as the exact float32, which writes back unchanged even at FLT_MAX', () => {
    expect(normalizeValue(4, Math.fround(3.14))).toBe(3.140000104904175);
    expect(normalizeValue(4, Math.fround(3.4028234e38))).toBe(3.4028234663852886e38);
  });

  it('repairs the packed-field borrow of negative TIME values and leaves valid ones alone', () => {
    expect(repairTime('-00:63:64')).toBe('-01:00:00');
    expect(repairTime('-12:34:64')).toBe('-12:35:00');
    expect(repairTime('-12:34:64.000')).toBe('-12:35:00.000');
    expect(repairTime('-838:59:59.000')).toBe('-838:59:59.000');
    expect(repairTime('12:34:56.789')).toBe('12:34:56.789');
    expect(normalizeValue(TYPE.TIME2, '-00:63:64')).toBe('-01:00:00');
  });

  it('leaves other values as decoded', () => {
    expect(normalizeValue(8, '18446744073709551615')).toBe('18446744073709551615');
    expect(normalizeValue(246, '-12345678901234567890.0123456789')).toBe('-12345678901234567890.0123456789');
    expect(normalizeValue(248, 'a,c')).toBe('a,c');
    expect(normalizeValue(245, '{"n": 9007199254740993}')).toBe('{"n": 9007199254740993}');
    expect(normalizeValue(252, null)).toBe(null);
  });
});

describe('isConnectionLoss', () => {
  const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);
  it('reconnects on lost or killed connections', () => {
    expect(isConnectionLoss(err({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toBe(true);
    expect(isConnectionLoss(err({ code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionLoss(err({ code: 'ER_CONNECTION_KILLED', errno: 1927 }))).toBe(true);
    expect(isConnectionLoss(err({ errno: 1053 }))).toBe(true);
    expect(isConnectionLoss(new Error('Control connection unavailable while fetching column metadata for a.b.'))).toBe(
      true,
    );
  });
  it('treats everything else as fatal', () => {
    expect(isConnectionLoss(err({ code: 'ER_MASTER_FATAL_ERROR_READING_BINLOG', errno: 1236 }))).toBe(false);
    expect(isConnectionLoss(new Error('Unsupported type "242" on column "v"'))).toBe(false);
    expect(isConnectionLoss('PROTOCOL_CONNECTION_LOST')).toBe(false);
  });
});
