// The --ssl-* files read once, and mysql2's `ssl` option for a connection (core/tls.ts decides what each mode asks).
import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import type { ConnectionConfig } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { driverSsl, type DriverSsl, type TlsConfig, type TlsFiles } from '../../core/tls.js';

const files = new Map<string, string>();

function readPem(path: string | null, flag: string): string | undefined {
  if (path === null) return undefined;
  let text = files.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ConfigError('BAD_USAGE', `cannot read ${flag} ${path}: ${why}`, { cause: err });
    }
    files.set(path, text);
  }
  return text;
}

/** Reads the files the config names; a missing or unreadable one is bad usage (exit 2). */
export function tlsFiles(tls: TlsConfig): TlsFiles {
  const ca = readPem(tls.ca, '--ssl-ca');
  const cert = readPem(tls.cert, '--ssl-cert');
  const key = readPem(tls.key, '--ssl-key');
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

/**
 * Servers found without TLS by a `preferred` connection: later connections to them (pools, the binlog reader) go
 * plain at once. The admin session is always the first connection to the primary, so it decides for the run.
 */
const plainServers = new Set<string>();
const serverKey = (c: ConnectionConfig): string => `${c.host}:${c.port}`;

/** mysql2's `ssl` for this connection, or undefined for a plain one. */
export function sslFor(c: ConnectionConfig): DriverSsl | undefined {
  if (c.tls === undefined || c.tls.mode === 'disabled') return undefined;
  if (c.tls.mode === 'preferred' && plainServers.has(serverKey(c))) return undefined;
  return driverSsl(c.tls.mode, tlsFiles(c.tls));
}

/**
 * mysql2's `stream` for verify-identity to an IP address, or undefined. mysql2 (3.24) passes the TLS `servername`
 * only for a host name, and Node's identity check then falls back to the socket's `_host` (tls.connect: servername
 * || host || socket._host || 'localhost'), which net.connect leaves unset for an address: the certificate was
 * checked against `localhost`, so any certificate the CA issued for localhost passed for every address. A socket
 * that carries its address there makes Node check the address against the certificate's IP SANs
 * (tls.checkServerIdentity) as the handshake ends, before mysql2 sends any credential.
 */
export function identityStream(c: ConnectionConfig): (() => Socket) | undefined {
  if (c.tls?.mode !== 'verify-identity' || isIP(c.host) === 0) return undefined;
  return () => {
    const socket = connect(c.port, c.host);
    // What mysql2 does to the sockets it opens itself.
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    (socket as Socket & { _host: string | null })._host = c.host;
    return socket;
  };
}

/** True when a connect failed only because `preferred` met a server without TLS: then it is retried plain. */
export function fallBackToPlain(c: ConnectionConfig, err: unknown): boolean {
  if (c.tls?.mode !== 'preferred') return false;
  if ((err as { code?: unknown } | null)?.code !== 'HANDSHAKE_NO_SSL_SUPPORT') return false;
  plainServers.add(serverKey(c));
  return true;
}
