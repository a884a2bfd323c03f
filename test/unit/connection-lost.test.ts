// Which errors mean the connection itself is gone (the checksum then opens new sessions at a new consistent point).
import { describe, expect, it } from 'vitest';
import { isConnectionLost } from '../../src/io/db/errors.js';

const err = (fields: Record<string, unknown>): Error => Object.assign(new Error('x'), fields);

describe('isConnectionLost', () => {
  it('yes for a killed or dropped connection, and for the next statement on it', () => {
    expect(isConnectionLost(err({ errno: 1927 }))).toBe(true); // MariaDB: connection was killed
    expect(isConnectionLost(err({ errno: 2013 }))).toBe(true);
    expect(isConnectionLost(err({ errno: 4031 }))).toBe(true); // MySQL: disconnected by the idle timeout
    expect(isConnectionLost(err({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toBe(true);
    expect(isConnectionLost(err({ code: 'EPIPE' }))).toBe(true);
    // mysql2: "Can't add new command when connection is in closed state"
    expect(isConnectionLost(err({ fatal: true }))).toBe(true);
  });
  it('no for an error of the statement alone', () => {
    expect(isConnectionLost(err({ errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' }))).toBe(false);
    expect(isConnectionLost(err({ errno: 1213 }))).toBe(false);
    expect(isConnectionLost(err({ errno: 1317, code: 'ER_QUERY_INTERRUPTED' }))).toBe(false);
    expect(isConnectionLost(new Error('x'))).toBe(false);
    expect(isConnectionLost(null)).toBe(false);
  });
});
