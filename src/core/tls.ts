// TLS to the server, as the MySQL client's --ssl-mode names it: what each mode asks of mysql2's `ssl` option.
// Pure: the certificate files are read by io/db/tls.ts and handed in as their text.

export const SSL_MODES = ['disabled', 'preferred', 'required', 'verify-ca', 'verify-identity'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The --ssl-* flags: file paths as given (null when absent). */
export interface TlsConfig {
  readonly mode: SslMode;
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
}

export const NO_TLS: TlsConfig = Object.freeze({ mode: 'disabled', ca: null, cert: null, key: null });

/** The files' contents (PEM text), for the files the config names. */
export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** mysql2's `ssl` option: what osc sets of it. */
export interface DriverSsl {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Verify the server's certificate chain against `ca` (Node's trusted roots without it). */
  readonly rejectUnauthorized: boolean;
  /** Also check the server's name (or IP address: io/db/tls.ts identityStream) against the certificate. */
  readonly verifyIdentity: boolean;
}

/**
 * mysql2's `ssl` for a mode, or undefined for plain connections. `preferred` and `required` encrypt without
 * checking whose certificate it is (as the MySQL client does); `preferred` falls back to plain when the server
 * has no TLS (the caller's job: mysql2 refuses instead).
 */
export function driverSsl(mode: SslMode, files: TlsFiles): DriverSsl | undefined {
  if (mode === 'disabled') return undefined;
  const verify = mode === 'verify-ca' || mode === 'verify-identity';
  return {
    ...(files.ca === undefined ? {} : { ca: files.ca }),
    ...(files.cert === undefined ? {} : { cert: files.cert }),
    ...(files.key === undefined ? {} : { key: files.key }),
    rejectUnauthorized: verify,
    verifyIdentity: mode === 'verify-identity',
  };
}

/** The mode when --ssl-mode is absent: off unless a certificate file asks for TLS (a CA: verify against it). */
export function defaultSslMode(files: { readonly ca: string | null; readonly cert: string | null }): SslMode {
  if (files.ca !== null) return 'verify-ca';
  if (files.cert !== null) return 'required';
  return 'disabled';
}

/** Contradictions among the --ssl-* flags, each a message that says what to do; empty when consistent. */
export function tlsConflicts(tls: TlsConfig, modeGiven: boolean): string[] {
  const out: string[] = [];
  const files = [
    tls.ca === null ? null : '--ssl-ca',
    tls.cert === null ? null : '--ssl-cert',
    tls.key === null ? null : '--ssl-key',
  ].filter((f): f is string => f !== null);
  if (modeGiven && tls.mode === 'disabled' && files.length > 0) {
    out.push(`--ssl-mode disabled contradicts ${files.join(', ')}: drop them, or choose another --ssl-mode`);
  }
  if ((tls.cert === null) !== (tls.key === null)) {
    out.push('--ssl-cert and --ssl-key go together (the client certificate and its private key): give both or neither');
  }
  return out;
}
