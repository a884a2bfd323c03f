// The server's flavour and version, from SELECT VERSION(): where MySQL and MariaDB differ, code branches on these.
import type { ServerInfo } from './types.js';

export function parseVersion(version: string): ServerInfo {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  const [major, minor, patch] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  return { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version, major, minor, patch };
}

export function atLeast(
  s: Pick<ServerInfo, 'major' | 'minor' | 'patch'>,
  major: number,
  minor = 0,
  patch = 0,
): boolean {
  if (s.major !== major) return s.major > major;
  if (s.minor !== minor) return s.minor > minor;
  return s.patch >= patch;
}
