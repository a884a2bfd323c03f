// README's minimum grants are exactly what src/core/grants.ts checks: neither page nor code may drift.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATABASE_PRIVILEGES, requiredGlobalPrivileges } from '../../src/core/grants.js';
import type { ServerInfo } from '../../src/core/types.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const MYSQL: ServerInfo = { flavor: 'mysql', version: '9.7.0', major: 9, minor: 7, patch: 0 };
const MARIADB: ServerInfo = { flavor: 'mariadb', version: '10.11.6-MariaDB', major: 10, minor: 11, patch: 6 };

/** The GRANT lines under README's `-- <heading>` comment: [database privileges, global privileges]. */
function grantsUnder(heading: string): [string[], string[]] {
  const block = README.slice(README.indexOf(`-- ${heading}`)).split('\n\n')[0] ?? '';
  const list = (on: string) =>
    (new RegExp(`^GRANT (.*) ON ${on} TO`, 'm').exec(block)?.[1] ?? '').split(',').map((p) => p.trim());
  return [list('`shop`\\.\\*'), list('\\*\\.\\*')];
}

describe("README's grants", () => {
  it('MySQL: the database privileges and the global ones osc checks', () => {
    const [db, global] = grantsUnder('MySQL 8.0, 8.4, 9.x');
    expect(db).toEqual([...DATABASE_PRIVILEGES]);
    expect(global).toEqual([...requiredGlobalPrivileges(MYSQL, { discoverReplicas: true })]);
  });

  it('MariaDB: the same, with what replica discovery needs', () => {
    const [db, global] = grantsUnder('MariaDB 10.6+ (10.5.9+)');
    expect(db).toEqual([...DATABASE_PRIVILEGES]);
    expect(global).toEqual([...requiredGlobalPrivileges(MARIADB, { discoverReplicas: true })]);
  });
});
