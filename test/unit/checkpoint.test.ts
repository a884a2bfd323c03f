import { describe, expect, it } from 'vitest';
import {
  binlogMissing,
  decodeKey,
  describeCheckpoint,
  encodeKey,
  gtidMissingMessage,
  identityMismatch,
  parseCheckpoint,
  renderCheckpoint,
  resumeMismatch,
  schemaFingerprint,
  type Checkpoint,
} from '../../src/core/checkpoint.js';
import { PreflightError } from '../../src/core/errors.js';
import { judgeLeftovers, leftoversMessage } from '../../src/core/resume.js';
import { tableNames } from '../../src/core/names.js';
import {
  createCheckpointTable,
  deleteCheckpointRow,
  movedRowName,
  readCheckpointRows,
  writeCheckpointRow,
} from '../../src/core/sql/checkpoint.js';
import { col } from '../support/columns.js';

const base: Checkpoint = {
  oscVersion: '0.1.0',
  alter: 'ADD COLUMN c INT',
  key: 'PRIMARY',
  original: 'a'.repeat(64),
  ghost: 'b'.repeat(64),
  phase: 'copy',
  copy: { min: [1], max: [1000], watermark: [500], done: false },
  binlog: { file: 'binlog.000042', position: 4711 },
  gtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77',
  server: { serverId: 1, uuid: '3e11fa47-71ca-11e1-9e33-c80aa9429562' },
  writtenAt: 1_700_000_000_000,
};

function refusal(fn: () => unknown): PreflightError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PreflightError) return err;
    throw err;
  }
  throw new Error('expected a PreflightError');
}

describe('checkpoint text', () => {
  it('renders fields in a fixed order', () => {
    expect(renderCheckpoint(base)).toBe(
      '{"format":2,"osc":"0.1.0","alter":"ADD COLUMN c INT","key":"PRIMARY",' +
        `"original":"${'a'.repeat(64)}","ghost":"${'b'.repeat(64)}","phase":"copy",` +
        '"copy":{"min":[{"n":1}],"max":[{"n":1000}],"watermark":[{"n":500}],"done":false},' +
        '"binlog":{"file":"binlog.000042","position":4711},"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77",' +
        '"server":{"id":1,"uuid":"3e11fa47-71ca-11e1-9e33-c80aa9429562"},"at":1700000000000}',
    );
  });

  it('round-trips', () => {
    expect(parseCheckpoint(renderCheckpoint(base), 1)).toEqual(base);
    const fresh = { ...base, phase: 'setup' as const, copy: null };
    expect(parseCheckpoint(renderCheckpoint(fresh), 1)).toEqual(fresh);
    const empty = { ...base, copy: { min: null, max: null, watermark: null, done: true } };
    expect(parseCheckpoint(renderCheckpoint(empty), 1)).toEqual(empty);
    // MariaDB: a GTID position and no server_uuid; MySQL with gtid_mode OFF: no GTIDs.
    const mariadb = { ...base, phase: 'checksum' as const, gtid: '0-1-42,1-2-7', server: { serverId: 7, uuid: null } };
    expect(parseCheckpoint(renderCheckpoint(mariadb), 1)).toEqual(mariadb);
    const noGtid = { ...base, gtid: null };
    expect(parseCheckpoint(renderCheckpoint(noGtid), 1)).toEqual(noGtid);
  });

  it('keeps every key type exactly: big integers, DECIMAL, bytes, ENUM numbers, BIT, fractions, doubles', () => {
    const key = [
      '18446744073709551615', // BIGINT UNSIGNED max, as mysql2 hands it over (bigNumberStrings)
      '-9223372036854775808',
      '12345678901234567890.123456789', // DECIMAL(30,9)
      Buffer.from([0x00, 0x81, 0x98, 0xff]), // a string read as its bytes, some undefined in its charset
      Buffer.alloc(0),
      3, // ENUM/SET member number
      Buffer.from([0x01, 0x00]), // BIT(9)
      '2024-02-29 23:59:59.999999', // DATETIME(6)
      '-838:59:59.000001', // TIME(6)
      0.1 + 0.2, // DOUBLE: its shortest text round-trips
      1.7976931348623157e308,
      2n ** 64n + 1n,
      null,
      'ü€𝄞',
    ];
    const text = JSON.stringify(encodeKey(key));
    const back = decodeKey(JSON.parse(text), key.length);
    expect(back).toEqual(key);
    expect(Buffer.isBuffer(back[3])).toBe(true);
    expect(back[9]).toBe(0.30000000000000004);
    expect(text).toBe(
      '[{"s":"18446744073709551615"},{"s":"-9223372036854775808"},{"s":"12345678901234567890.123456789"},' +
        '{"b":"008198ff"},{"b":""},{"n":3},{"b":"0100"},{"s":"2024-02-29 23:59:59.999999"},{"s":"-838:59:59.000001"},' +
        '{"n":0.30000000000000004},{"n":1.7976931348623157e+308},{"i":"18446744073709551617"},null,{"s":"ü€𝄞"}]',
    );
  });

  it('refuses values it cannot keep exactly', () => {
    expect(() => encodeKey([Number.NaN])).toThrow(/not a finite number/);
    expect(() => encodeKey([-0])).toThrow(/not a finite number/);
    expect(() => encodeKey([{}])).toThrow(/cannot be checkpointed/);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another format', renderCheckpoint(base).replace('"format":2', '"format":3'), /format 3, this osc reads format 2/],
    [
      'format 1 (no server identity, no GTIDs)',
      renderCheckpoint(base).replace('"format":2', '"format":1'),
      /format 1, written by an osc that did not record the server's identity and GTIDs, which this osc checks before it resumes: finish the run with the osc that started it, or start over with --initially-drop-ghost-table/,
    ],
    ['no server', renderCheckpoint(base).replace(/"server":\{[^}]*\},/, ''), /server is not an object/],
    ['a bad server id', renderCheckpoint(base).replace('"id":1', '"id":"1"'), /id is not a server id/],
    ['an empty GTID', renderCheckpoint(base).replace(/"gtid":"[^"]*"/, '"gtid":""'), /gtid is not a GTID text or null/],
    ['an unknown phase', renderCheckpoint(base).replace('"phase":"copy"', '"phase":"swap"'), /phase "swap" is unknown/],
    ['a bad offset', renderCheckpoint(base).replace('"position":4711', '"position":-1'), /position is not a binlog/],
    ['a bad tag', renderCheckpoint(base).replace('[{"n":500}]', '[{"x":500}]'), /tagged "x" is malformed/],
    ['bad hex', renderCheckpoint(base).replace('[{"n":500}]', '[{"b":"0g"}]'), /tagged "b" is malformed/],
    ['a key of another width', renderCheckpoint(base).replace('[{"n":500}]', '[{"n":5},{"n":0}]'), /2 values for 1/],
    ['half a range', renderCheckpoint(base).replace('"min":[{"n":1}]', '"min":null'), /only one of min and max/],
  ])('refuses %s with RESUME_REFUSED (exit 2)', (_what, text, message) => {
    const err = refusal(() => parseCheckpoint(text, 1));
    expect(err.code).toBe('RESUME_REFUSED');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^the checkpoint cannot be read \(.*\); nothing was changed$/);
  });

  it('describes itself without key values', () => {
    expect(describeCheckpoint(base, base.writtenAt + 3_400)).toBe(
      'phase copy, copy part done, binlog binlog.000042:4711 (GTID 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77), written 3 s ago',
    );
    expect(describeCheckpoint({ ...base, copy: null, gtid: null }, base.writtenAt)).toBe(
      'phase copy, copy not started, binlog binlog.000042:4711, written 0 s ago',
    );
  });

  it('says that a run that died in the checksum verifies again in full', () => {
    const done = { ...base, phase: 'checksum' as const, copy: { ...base.copy!, done: true }, gtid: '0-1-9' };
    expect(describeCheckpoint(done, base.writtenAt)).toBe(
      'phase checksum (it died verifying the copy: the checksum runs again in full), copy complete, ' +
        'binlog binlog.000042:4711 (GTID 0-1-9), written 0 s ago',
    );
  });
});

describe('resume checks', () => {
  const expected = {
    oscVersion: '0.1.0',
    alter: 'ADD COLUMN c INT',
    key: 'PRIMARY',
    original: base.original,
    ghost: base.ghost,
  };

  it('accepts the same migration', () => {
    expect(resumeMismatch(base, expected)).toBeNull();
  });

  it('names what differs', () => {
    expect(resumeMismatch(base, { ...expected, oscVersion: '0.2.0' })).toBe(
      'the checkpoint was written by osc 0.1.0 and this is osc 0.2.0: resume with osc 0.1.0',
    );
    expect(resumeMismatch(base, { ...expected, alter: 'ADD COLUMN d INT' })).toBe(
      'the checkpoint is for another ALTER ("ADD COLUMN c INT", not "ADD COLUMN d INT"): resume with the same --alter',
    );
    expect(resumeMismatch(base, { ...expected, original: 'c' })).toMatch(/^the table definition changed/);
    expect(resumeMismatch(base, { ...expected, ghost: 'c' })).toMatch(/^the ghost table definition/);
    expect(resumeMismatch(base, { ...expected, key: 'uk' })).toBe(
      "the run copied along key PRIMARY and this run would choose uk (were the table's keys changed?)",
    );
  });

  it('needs the server the checkpoint was written on, naming both', () => {
    expect(identityMismatch(base.server, { ...base.server })).toBeNull();
    expect(identityMismatch(base.server, { serverId: 2, uuid: 'f00df00d-0000-11e1-9e33-c80aa9429562' })).toBe(
      'the checkpoint was written on another server (server_uuid 3e11fa47-71ca-11e1-9e33-c80aa9429562, server_id 1) ' +
        'than this one (server_uuid f00df00d-0000-11e1-9e33-c80aa9429562, server_id 2): after a failover or a restore ' +
        'its binary log position means nothing here; point --host at the server the run began on, or start over with ' +
        '--initially-drop-ghost-table',
    );
    // Either part alone differs: a clone keeps its server_id, a reconfigured server its server_uuid.
    expect(identityMismatch(base.server, { ...base.server, serverId: 2 })).toMatch(
      /server_id 1\) than this one \(.*server_id 2\)/,
    );
    expect(identityMismatch(base.server, { ...base.server, uuid: 'x' })).toMatch(
      /than this one \(server_uuid x, server_id 1\)/,
    );
    expect(identityMismatch({ serverId: 1, uuid: null }, { serverId: 3, uuid: null })).toMatch(
      /^the checkpoint was written on another server \(server_id 1\) than this one \(server_id 3\)/,
    );
  });

  it('says which GTIDs the server lacks and what to do', () => {
    expect(gtidMissingMessage(base, 'GTID 0-1-99')).toBe(
      'this server has not executed GTID 0-1-99, which the run had already applied at binlog position ' +
        'binlog.000042:4711: it lost transactions since the checkpoint (restored from a backup? failed over to a ' +
        'replica that was behind?), so that position means something else here; start over with ' +
        '--initially-drop-ghost-table',
    );
  });

  it('needs the binary log still on the server, and the position within it', () => {
    const at = { file: 'binlog.000042', position: 4711 };
    const logs = [
      { name: 'binlog.000041', size: 1_000_000 },
      { name: 'binlog.000042', size: 5000 },
    ];
    expect(binlogMissing(at, logs)).toBeNull();
    expect(binlogMissing(at, [{ name: 'binlog.000043', size: 4 }])).toBe(
      'binary log binlog.000042, where replay must go on, is no longer on the server (the oldest is binlog.000043): ' +
        'it was purged, so changes made since cannot be replayed; start over with --initially-drop-ghost-table',
    );
    expect(binlogMissing(at, [{ name: 'binlog.000042', size: 4000 }])).toBe(
      "the checkpoint's binlog position binlog.000042:4711 lies beyond the end of that log (4000 bytes): it is not " +
        "this server's binary log (restored, or another server?); start over with --initially-drop-ghost-table",
    );
  });

  it('fingerprints definitions, not names', () => {
    const a = { columns: [col('id'), col('c', 'varchar', 'varchar(10)')], uniqueKeys: [] };
    expect(schemaFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(schemaFingerprint({ ...a })).toBe(schemaFingerprint(a));
    expect(schemaFingerprint({ ...a, columns: [col('id'), col('c', 'varchar', 'varchar(11)')] })).not.toBe(
      schemaFingerprint(a),
    );
    expect(schemaFingerprint({ ...a, uniqueKeys: [{ name: 'PRIMARY', columns: ['id'], primary: true }] })).not.toBe(
      schemaFingerprint(a),
    );
  });
});

describe('leftovers of a dead run', () => {
  const names = tableNames('t');
  const all = { ghost: true, changelog: true, checkpoint: true, old: null };

  it('resumes when ghost, changelog and checkpoint are there', () => {
    expect(judgeLeftovers(all, names, false)).toEqual({ kind: 'resume', dropOld: null });
    expect(judgeLeftovers({ ...all, old: 'osc cut-over sentry 0a1b2c-1' }, names, false)).toEqual({
      kind: 'resume',
      dropOld: 'sentry',
    });
  });

  it('has nothing to resume without any of them', () => {
    expect(judgeLeftovers({ ghost: false, changelog: false, checkpoint: false, old: null }, names, false)).toEqual({
      kind: 'nothing',
    });
    expect(judgeLeftovers({ ghost: false, changelog: false, checkpoint: false, old: '' }, names, false)).toEqual({
      kind: 'nothing',
    });
  });

  it('suspects a completed swap when the ghost is gone and _t_del is a real table', () => {
    expect(judgeLeftovers({ ...all, ghost: false, old: '' }, names, false)).toEqual({ kind: 'maybe-swapped' });
  });

  it('refuses with the reason otherwise', () => {
    const reason = (l: Parameters<typeof judgeLeftovers>[0]) => {
      const v = judgeLeftovers(l, names, false);
      return v.kind === 'refuse' ? v.reason : v.kind;
    };
    expect(reason({ ...all, checkpoint: false })).toMatch(
      /^there is no checkpoint table _t_ghk: the run died before its first checkpoint/,
    );
    expect(reason({ ...all, changelog: false })).toMatch(/^the changelog table _t_ghc is missing/);
    expect(reason({ ...all, ghost: false })).toMatch(/^the ghost table _t_gho is missing/);
    expect(judgeLeftovers({ ...all, old: 'orders of 2019' }, names, false)).toMatchObject({
      reason: 'old table _t_del exists (left by an earlier migration?): drop it, or pass --initially-drop-old-table',
    });
    expect(judgeLeftovers({ ...all, old: 'orders of 2019' }, names, true)).toEqual({
      kind: 'resume',
      dropOld: 'old',
    });
  });

  it("names both ways forward in the preflight's refusal", () => {
    expect(leftoversMessage('db.t', ['ghost table db._t_gho', 'checkpoint table db._t_ghk'], true)).toBe(
      'ghost table db._t_gho, checkpoint table db._t_ghk already exist (left by an earlier osc run on db.t that died: ' +
        'no run holds its lock): continue that run with --resume (and the same --alter), or drop them and start over ' +
        'with --initially-drop-ghost-table',
    );
    expect(leftoversMessage('db.t', ['ghost table db._t_gho'], false)).toBe(
      'ghost table db._t_gho already exists (left by an earlier osc run on db.t that died: no run holds its lock): ' +
        'it left no checkpoint, so it cannot be resumed: drop them and start over with --initially-drop-ghost-table',
    );
  });
});

describe('checkpoint table statements', () => {
  it('builds exact SQL', () => {
    expect(createCheckpointTable('db', '_t_ghk')).toBe(
      'CREATE TABLE `db`.`_t_ghk` (`name` VARCHAR(80) CHARACTER SET ascii NOT NULL PRIMARY KEY, ' +
        '`value` LONGTEXT CHARACTER SET utf8mb4 NOT NULL, `updated_at` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ' +
        "ON UPDATE CURRENT_TIMESTAMP(6)) ENGINE=InnoDB COMMENT='osc checkpoint'",
    );
    expect(writeCheckpointRow('db', '_t_ghk', 'checkpoint', '{}')).toEqual({
      sql: 'INSERT INTO `db`.`_t_ghk` (`name`, `value`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `value` = ?',
      params: ['checkpoint', '{}', '{}'],
    });
    expect(deleteCheckpointRow('db', '_t_ghk', 'x')).toEqual({
      sql: 'DELETE FROM `db`.`_t_ghk` WHERE `name` = ?',
      params: ['x'],
    });
    expect(readCheckpointRows('db', '_t_ghk')).toBe('SELECT `name`, `value` FROM `db`.`_t_ghk` ORDER BY `name`');
    expect(movedRowName('[{"n":1}]')).toMatch(/^moved [0-9a-f]{64}$/);
    expect(movedRowName('[{"n":1}]')).not.toBe(movedRowName('[{"n":2}]'));
  });
});
