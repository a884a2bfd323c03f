import { describe, expect, it } from 'vitest';
import { parseOptions, type RawFlags } from '../../src/cli/options.js';

const REQUIRED: RawFlags = { database: 'shop', table: 'orders', alter: 'ADD COLUMN c INT', user: 'osc' };

function refusal(raw: RawFlags): string {
  try {
    parseOptions({ ...REQUIRED, ...raw }, {}, null);
  } catch (err) {
    expect((err as { code?: unknown }).code).toBe('BAD_USAGE');
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('contradicting flags are refused, saying which to drop', () => {
  it.each<[RawFlags, string]>([
    [{ quiet: true, verbose: true }, '--quiet and --verbose contradict each other: give one of them'],
    [
      { password: 'pw', askPass: true },
      '--password and --ask-pass both supply the password: drop --password (it shows in the process list)',
    ],
    [
      { serveSocketFile: '/tmp/x', throttleFlagFile: '/tmp/x' },
      '--throttle-flag-file and --serve-socket-file name the same file /tmp/x: give each its own file',
    ],
    [
      { throttleFlagFile: '/tmp/f', panicFlagFile: '/tmp/f' },
      '--throttle-flag-file and --panic-flag-file name the same file /tmp/f: give each its own file',
    ],
    [
      { postponeCutOverFlagFile: '/tmp/osc.throttle' },
      '--throttle-additional-flag-file and --postpone-cut-over-flag-file name the same file /tmp/osc.throttle: give each its own file',
    ],
    [
      { serveTcpPort: '9466' },
      '--serve-tcp-port 9466 and --metrics-address 127.0.0.1:9466 want the same port: choose another for one of them',
    ],
    [
      { sslMode: 'disabled', sslCa: '/ca.pem' },
      '--ssl-mode disabled contradicts --ssl-ca: drop them, or choose another --ssl-mode',
    ],
    [
      { sslKey: '/k.pem' },
      '--ssl-cert and --ssl-key go together (the client certificate and its private key): give both or neither',
    ],
  ])('%j', (raw, message) => {
    expect(refusal(raw)).toBe(message);
  });

  it('takes --chunk-size with --chunk-time (the socket may clear the size; the time applies then)', () => {
    expect(parseOptions({ ...REQUIRED, chunkSize: '500', chunkTime: '0.5' }, {}, null)).toMatchObject({
      chunkSize: 500,
      chunkTime: 0.5,
    });
  });

  it('takes TLS settings into the connection; none when disabled', () => {
    expect(parseOptions({ ...REQUIRED, sslCa: '/ca.pem' }, {}, null).connection.tls).toEqual({
      mode: 'verify-ca',
      ca: '/ca.pem',
      cert: null,
      key: null,
    });
    expect(
      parseOptions({ ...REQUIRED, host: 'db.example', sslMode: 'VERIFY_IDENTITY' }, {}, null).connection.tls?.mode,
    ).toBe('verify-identity');
    // By address too: the certificate's IP SANs are checked (io/db/tls.ts identityStream).
    expect(parseOptions({ ...REQUIRED, sslMode: 'verify-identity' }, {}, null).connection.tls?.mode).toBe(
      'verify-identity',
    );
    expect(parseOptions(REQUIRED, {}, null).connection.tls).toBeUndefined();
    expect(() => parseOptions({ ...REQUIRED, sslMode: 'on' }, {}, null)).toThrow(
      'invalid --ssl-mode "on": expected disabled, preferred, required, verify-ca, verify-identity',
    );
  });

  it('reads --ssl-* from the [client] section of --conf, as the mysql client does', () => {
    const conf = { path: 'my.cnf', ssl_mode: 'REQUIRED', ssl_ca: '/etc/ca.pem' };
    expect(parseOptions(REQUIRED, {}, conf).connection.tls).toEqual({
      mode: 'required',
      ca: '/etc/ca.pem',
      cert: null,
      key: null,
    });
  });
});
