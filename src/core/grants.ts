// What osc needs to be granted, read from SHOW GRANTS, and the GRANT statements that fix a gap.
// Lenient where the text is ambiguous: a privilege wrongly thought present only makes the
// server refuse later with its own error, while a privilege wrongly thought missing would
// refuse a migration that could run.

import { quoteId } from './sql/quote.js';
import type { ServerInfo } from './types.js';

/**
 * Needed on the migrated table's database (or globally): ghost, changelog, copy, cut-over. TRIGGER only to see
 * triggers: MySQL hides a table's triggers from information_schema without it (verified on 9.7), and a
 * trigger osc cannot see would be lost in the swap.
 */
export const DATABASE_PRIVILEGES: readonly string[] = [
  'ALTER',
  'CREATE',
  'DELETE',
  'DROP',
  'INDEX',
  'INSERT',
  'LOCK TABLES',
  'SELECT',
  'TRIGGER',
  'UPDATE',
];

/** Needed globally (ON *.*), per flavour: reading the binlog and the replication status. */
export const GLOBAL_PRIVILEGES = {
  mysql: ['REPLICATION SLAVE', 'REPLICATION CLIENT'],
  /** MariaDB before 10.5 */
  mariadbBefore105: ['REPLICATION SLAVE', 'REPLICATION CLIENT'],
  /** MariaDB 10.5.0 to 10.5.8: REPLICATION CLIENT was renamed BINLOG MONITOR. */
  mariadb105: ['REPLICATION SLAVE', 'BINLOG MONITOR'],
  /** MariaDB 10.5.9 and later: SHOW SLAVE STATUS needs SLAVE MONITOR. */
  mariadb1059: ['REPLICATION SLAVE', 'BINLOG MONITOR', 'SLAVE MONITOR'],
} as const satisfies Record<string, readonly string[]>;

/** Other spellings SHOW GRANTS or a DBA may use for the same privilege. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  'REPLICATION SLAVE': ['REPLICATION REPLICA'],
  'BINLOG MONITOR': ['REPLICATION CLIENT'],
  'REPLICATION CLIENT': ['BINLOG MONITOR'],
  'SLAVE MONITOR': ['REPLICA MONITOR'],
};

export interface DatabaseGrant {
  /** The database name as SHOW GRANTS prints it, unquoted: may hold `%`/`_` wildcards and `\` escapes. */
  readonly pattern: string;
  readonly privileges: ReadonlySet<string>;
}

export interface ParsedGrants {
  /** Privileges ON *.*, upper case; `ALL` for ALL [PRIVILEGES]. */
  readonly global: ReadonlySet<string>;
  readonly databases: readonly DatabaseGrant[];
}

function versionAtLeast(server: ServerInfo, major: number, minor: number, patch: number): boolean {
  if (server.major !== major) return server.major > major;
  if (server.minor !== minor) return server.minor > minor;
  return server.patch >= patch;
}

export interface GrantNeeds {
  /**
   * osc finds the replicas itself (no --throttle-control-replicas). MySQL's SHOW REPLICAS needs only
   * REPLICATION SLAVE; MariaDB 10.5.2+ needs REPLICATION MASTER ADMIN for SHOW SLAVE HOSTS (verified on 10.11).
   */
  readonly discoverReplicas?: boolean;
}

function baseGlobalPrivileges(server: ServerInfo): readonly string[] {
  if (server.flavor === 'mysql') return GLOBAL_PRIVILEGES.mysql;
  if (versionAtLeast(server, 10, 5, 9)) return GLOBAL_PRIVILEGES.mariadb1059;
  if (versionAtLeast(server, 10, 5, 0)) return GLOBAL_PRIVILEGES.mariadb105;
  return GLOBAL_PRIVILEGES.mariadbBefore105;
}

export function requiredGlobalPrivileges(server: ServerInfo, needs: GrantNeeds = {}): readonly string[] {
  const base = baseGlobalPrivileges(server);
  if (needs.discoverReplicas === true && server.flavor === 'mariadb' && versionAtLeast(server, 10, 5, 2)) {
    return [...base, 'REPLICATION MASTER ADMIN'];
  }
  return base;
}

/**
 * Index of a top-level keyword (surrounded by whitespace) outside quotes and parentheses, or -1.
 * Returns the index of the keyword itself.
 */
function findKeyword(text: string, keyword: string): number {
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== null) {
      if (ch === quote) {
        if (text[i + 1] === quote) i++;
        else quote = null;
      } else if (ch === '\\' && quote !== '`') {
        i++;
      }
    } else if (ch === '`' || ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth--;
    } else if (depth === 0 && /\s/.test(ch)) {
      const after = text.slice(i + 1, i + 1 + keyword.length);
      const end = text[i + 1 + keyword.length];
      if (after.toUpperCase() === keyword && end !== undefined && /\s/.test(end)) return i + 1;
    }
  }
  return -1;
}

function splitPrivileges(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out
    .map((p) =>
      p
        .replace(/\(.*\)/s, '')
        .replace(/\s+/g, ' ')
        .trim()
        .toUpperCase(),
    )
    .filter((p) => p.length > 0)
    .map((p) => (p === 'ALL PRIVILEGES' ? 'ALL' : p));
}

type GrantObject = { readonly kind: 'global' } | { readonly kind: 'database'; readonly pattern: string } | null;

/** `*.*`, `` `db`.* `` or `db.*`; anything else (tables, routines, proxies) is null. */
function parseObject(text: string): GrantObject {
  const t = text.trim();
  if (t === '*.*') return { kind: 'global' };
  let name: string;
  let rest: string;
  if (t.startsWith('`')) {
    let i = 1;
    name = '';
    for (;;) {
      if (i >= t.length) return null;
      const ch = t[i] as string;
      if (ch === '`') {
        if (t[i + 1] === '`') {
          name += '`';
          i += 2;
          continue;
        }
        break;
      }
      name += ch;
      i++;
    }
    rest = t.slice(i + 1);
  } else {
    const dot = t.indexOf('.');
    if (dot <= 0) return null;
    name = t.slice(0, dot);
    rest = t.slice(dot);
    if (/[\s'"`]/.test(name)) return null;
  }
  return rest === '.*' ? { kind: 'database', pattern: name } : null;
}

/** Reads SHOW GRANTS lines; role grants, table, column, routine and proxy grants are ignored. */
export function parseGrants(lines: readonly string[]): ParsedGrants {
  const global = new Set<string>();
  const databases: { pattern: string; privileges: Set<string> }[] = [];
  for (const line of lines) {
    const head = /^\s*GRANT\s+/i.exec(line);
    if (head === null) continue;
    const rest = line.slice(head[0].length);
    const on = findKeyword(' ' + rest, 'ON');
    if (on === -1) continue; // GRANT `role`@`%` TO ...
    const privileges = splitPrivileges(rest.slice(0, on - 1));
    const afterOn = rest.slice(on + 1); // `on` counts the padding space
    const to = findKeyword(afterOn, 'TO');
    if (to === -1) continue;
    const object = parseObject(afterOn.slice(0, to));
    if (object === null) continue;
    if (object.kind === 'global') {
      for (const p of privileges) global.add(p);
    } else {
      let entry = databases.find((d) => d.pattern === object.pattern);
      if (entry === undefined) {
        entry = { pattern: object.pattern, privileges: new Set() };
        databases.push(entry);
      }
      for (const p of privileges) entry.privileges.add(p);
    }
  }
  return { global, databases };
}

/** Grant-table matching: `%` any run, `_` one character, `\` escapes the next; case-insensitive (lenient). */
function patternMatches(pattern: string, database: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i] as string);
    } else if (ch === '%') {
      source += '.*';
    } else if (ch === '_') {
      source += '.';
    } else {
      source += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${source}$`, 'isu').test(database);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function holds(set: ReadonlySet<string>, privilege: string): boolean {
  return set.has('ALL') || set.has(privilege) || (ALIASES[privilege] ?? []).some((a) => set.has(a));
}

/** The privileges osc needs and the user lacks, database ones first, in a fixed order. */
export function missingPrivileges(
  grants: ParsedGrants,
  database: string,
  server: ServerInfo,
  needs: GrantNeeds = {},
): string[] {
  const onDatabase = grants.databases.filter((d) => patternMatches(d.pattern, database)).map((d) => d.privileges);
  const missing: string[] = [];
  for (const p of DATABASE_PRIVILEGES) {
    if (!holds(grants.global, p) && !onDatabase.some((set) => holds(set, p))) missing.push(p);
  }
  for (const p of requiredGlobalPrivileges(server, needs)) {
    if (!holds(grants.global, p)) missing.push(p);
  }
  return missing;
}

function sqlString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function unquoteAccountPart(s: string): string {
  const t = s.trim();
  const q = t[0];
  if (t.length >= 2 && (q === "'" || q === '"' || q === '`') && t.endsWith(q)) {
    return t.slice(1, -1).replaceAll(q + q, q);
  }
  return t;
}

/** `'osc'@'%'` from `osc`, `osc@10.%` or `'osc'@'localhost'` (CURRENT_USER() form). */
function account(user: string): string {
  const at = user.lastIndexOf('@');
  if (at <= 0) return `${sqlString(unquoteAccountPart(user))}@'%'`;
  return `${sqlString(unquoteAccountPart(user.slice(0, at)))}@${sqlString(unquoteAccountPart(user.slice(at + 1)))}`;
}

/** A database name in GRANT ... ON: `_` and `%` are wildcards there, so escape them. */
function grantDatabase(database: string): string {
  return quoteId(database.replace(/[\\_%]/g, '\\$&'));
}

/** The GRANT statements that give `user` what is `missing` (as returned by missingPrivileges). */
export function grantAdvice(
  missing: readonly string[],
  database: string,
  user: string,
  server: ServerInfo,
  needs: GrantNeeds = {},
): string {
  const who = account(user);
  const globalNeeded = new Set(requiredGlobalPrivileges(server, needs));
  const onDatabase = missing.filter((p) => DATABASE_PRIVILEGES.includes(p));
  const global = missing.filter((p) => globalNeeded.has(p) && !DATABASE_PRIVILEGES.includes(p));
  const statements: string[] = [];
  if (onDatabase.length > 0)
    statements.push(`GRANT ${onDatabase.join(', ')} ON ${grantDatabase(database)}.* TO ${who};`);
  if (global.length > 0) statements.push(`GRANT ${global.join(', ')} ON *.* TO ${who};`);
  return statements.join(' ');
}
