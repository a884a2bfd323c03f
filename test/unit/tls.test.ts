import { describe, expect, it } from 'vitest';
import { defaultSslMode, driverSsl, tlsConflicts } from '../../src/core/tls.js';

const FILES = { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' };

describe('driverSsl: what each --ssl-mode asks of mysql2', () => {
  it('disabled: a plain connection', () => {
    expect(driverSsl('disabled', FILES)).toBeUndefined();
  });

  it('preferred and required: encrypted, the certificate not checked', () => {
    for (const mode of ['preferred', 'required'] as const) {
      expect(driverSsl(mode, {})).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
    }
  });

  it('verify-ca: the chain checked against the CA, not the name', () => {
    expect(driverSsl('verify-ca', { ca: 'CA PEM' })).toEqual({
      ca: 'CA PEM',
      rejectUnauthorized: true,
      verifyIdentity: false,
    });
  });

  it('verify-identity: the chain and the name; a client certificate passes through', () => {
    expect(driverSsl('verify-identity', FILES)).toEqual({ ...FILES, rejectUnauthorized: true, verifyIdentity: true });
  });
});

describe('defaultSslMode', () => {
  it('is off without files, verify-ca with a CA, required with only a client certificate', () => {
    expect(defaultSslMode({ ca: null, cert: null })).toBe('disabled');
    expect(defaultSslMode({ ca: '/ca.pem', cert: null })).toBe('verify-ca');
    expect(defaultSslMode({ ca: null, cert: '/c.pem' })).toBe('required');
  });
});

describe('tlsConflicts', () => {
  it('refuses disabled with certificate files only when the mode was given', () => {
    expect(tlsConflicts({ mode: 'disabled', ca: '/ca.pem', cert: null, key: null }, true)).toEqual([
      '--ssl-mode disabled contradicts --ssl-ca: drop them, or choose another --ssl-mode',
    ]);
  });

  it('wants --ssl-cert and --ssl-key together', () => {
    expect(tlsConflicts({ mode: 'required', ca: null, cert: '/c.pem', key: null }, false)).toEqual([
      '--ssl-cert and --ssl-key go together (the client certificate and its private key): give both or neither',
    ]);
    expect(tlsConflicts({ mode: 'required', ca: null, cert: '/c.pem', key: '/k.pem' }, true)).toEqual([]);
  });
});
