import { describe, expect, it } from 'vitest';
import {
  foldGtid,
  mariadbGtidsMissing,
  normalizeGtidText,
  parseMariadbGtidPosition,
  renderMariadbGtidPosition,
} from '../../src/core/binlog/gtid.js';
import { gtidNotExecuted, MARIADB_GTID_BINLOG_POS, serverIdentitySql } from '../../src/core/sql/checkpoint.js';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

describe('GTID state of a checkpoint', () => {
  it('MySQL: the last applied transaction, or the state as it was when that has none', () => {
    expect(foldGtid('mysql', `${UUID}:1-77`, `${UUID}:78`)).toBe(`${UUID}:78`);
    expect(foldGtid('mysql', `${UUID}:1-77`, `${UUID}:tag:5`)).toBe(`${UUID}:tag:5`);
    expect(foldGtid('mysql', `${UUID}:1-77`, null)).toBe(`${UUID}:1-77`);
    expect(foldGtid('mysql', `${UUID}:1-77`, undefined)).toBe(`${UUID}:1-77`);
    expect(foldGtid('mysql', null, null)).toBeNull();
  });

  it("MariaDB: the applied transaction's domain moves on, the other domains keep their position", () => {
    expect(foldGtid('mariadb', '0-1-42,1-2-7', '0-1-43')).toBe('0-1-43,1-2-7');
    expect(foldGtid('mariadb', '0-1-42,1-2-7', '1-3-8')).toBe('0-1-42,1-3-8');
    expect(foldGtid('mariadb', '0-1-42', '5-1-1')).toBe('0-1-42,5-1-1');
    expect(foldGtid('mariadb', null, '0-1-1')).toBe('0-1-1');
    expect(foldGtid('mariadb', '0-1-42', null)).toBe('0-1-42');
    // Not a single MariaDB GTID: the state is kept rather than guessed.
    expect(foldGtid('mariadb', '0-1-42', `${UUID}:5`)).toBe('0-1-42');
  });

  it('parses and renders MariaDB positions, 64-bit sequence numbers exact', () => {
    expect(parseMariadbGtidPosition('0-1-18446744073709551615, 2-3-4')).toEqual([
      { domain: 0, server: 1, seq: 18446744073709551615n },
      { domain: 2, server: 3, seq: 4n },
    ]);
    expect(parseMariadbGtidPosition('')).toEqual([]);
    expect(parseMariadbGtidPosition('0-1')).toBeNull();
    expect(parseMariadbGtidPosition(`${UUID}:1-5`)).toBeNull();
    expect(
      renderMariadbGtidPosition([
        { domain: 2, server: 3, seq: 4n },
        { domain: 0, server: 1, seq: 9n },
      ]),
    ).toBe('0-1-9,2-3-4');
  });

  it('MariaDB: what the server has not reached, per domain, by sequence number', () => {
    expect(mariadbGtidsMissing('0-1-42', '0-1-42')).toEqual([]);
    expect(mariadbGtidsMissing('0-1-42', '0-1-100,1-1-5')).toEqual([]);
    // Another server id in the domain (a failover inside it) with a higher sequence number: contained.
    expect(mariadbGtidsMissing('0-1-42', '0-2-43')).toEqual([]);
    expect(mariadbGtidsMissing('0-1-42,1-2-7', '0-1-41,1-2-7')).toEqual([
      "0-1-42 (the server's domain 0 is at 0-1-41)",
    ]);
    expect(mariadbGtidsMissing('0-1-42,1-2-7', '0-1-50')).toEqual(['1-2-7 (the server has no GTID in domain 1)']);
    expect(mariadbGtidsMissing('0-1-42', '')).toEqual(['0-1-42 (the server has no GTID in domain 0)']);
    expect(mariadbGtidsMissing('junk', '0-1-1')).toBeNull();
  });

  it('normalizes server text: line breaks between MySQL sources go, empty is none', () => {
    expect(normalizeGtidText(`${UUID}:1-5,\n${UUID.replace('3e', '4f')}:1-2`)).toBe(
      `${UUID}:1-5,${UUID.replace('3e', '4f')}:1-2`,
    );
    expect(normalizeGtidText('')).toBeNull();
    expect(normalizeGtidText(null)).toBeNull();
  });
});

describe('server state statements', () => {
  it('builds exact SQL', () => {
    expect(serverIdentitySql('mysql')).toBe('SELECT @@GLOBAL.server_id AS id, @@GLOBAL.server_uuid AS uuid');
    expect(serverIdentitySql('mariadb')).toBe('SELECT @@GLOBAL.server_id AS id, NULL AS uuid');
    expect(gtidNotExecuted(`${UUID}:9`)).toEqual({
      sql: 'SELECT GTID_SUBTRACT(?, @@GLOBAL.gtid_executed) AS missing',
      params: [`${UUID}:9`],
    });
    expect(MARIADB_GTID_BINLOG_POS).toBe('SELECT @@GLOBAL.gtid_binlog_pos AS pos');
  });
});
