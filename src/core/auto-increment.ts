// The AUTO_INCREMENT counter across the swap. CREATE TABLE ... LIKE starts the ghost at 1 and the copy only raises
// it to the highest id copied, so ids the original already handed out (rows since deleted, rolled-back inserts)
// would be handed out again after the swap. osc gives the ghost the original's counter before the copy and raises
// it once more under the cut-over lock, when the original can no longer move it.
//
// The counter is read from SHOW CREATE TABLE, exact on MariaDB 10.11 and MySQL 9.7; MySQL 8+'s
// information_schema.TABLES.AUTO_INCREMENT is a cached statistic (information_schema_stats_expiry).
import type { ColumnMapping } from './types.js';
import { qualify } from './sql/quote.js';

/** Where the table options start: after the parenthesis that closes the column and key list. */
function optionsOf(createTable: string): string {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < createTable.length; i++) {
    const ch = createTable[i] as string;
    if (quote !== null) {
      if (ch === '\\') i++;
      else if (ch === quote) {
        if (createTable[i + 1] === quote) i++;
        else quote = null;
      }
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')' && --depth === 0) {
      return createTable.slice(i + 1);
    }
  }
  return '';
}

/** Quoted strings (a COMMENT may say anything) become ''. */
function withoutStrings(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/g, "''");
}

/**
 * The counter in SHOW CREATE TABLE's table options (`) ENGINE=InnoDB AUTO_INCREMENT=8 ...`); null when the
 * statement has none (no AUTO_INCREMENT column, or a counter still at 1).
 */
export function parseAutoIncrement(createTable: string): bigint | null {
  const m = /\bAUTO_INCREMENT\s*=\s*(\d+)/i.exec(withoutStrings(optionsOf(createTable)));
  return m === null ? null : BigInt(m[1] as string);
}

/**
 * The counter is carried over only when the ghost's AUTO_INCREMENT column is the original's, copied (renamed or
 * not): a counter means nothing for a column the ALTER made plain, and a new AUTO_INCREMENT column numbers itself.
 */
export function carriesCounter(
  originalColumn: string | null,
  ghostColumn: string | null,
  mapping: readonly ColumnMapping[],
): boolean {
  if (originalColumn === null || ghostColumn === null) return false;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return mapping.some((m) => same(m.source.name, originalColumn) && same(m.target.name, ghostColumn));
}

/**
 * The value to set on the ghost, or null when it already stands at least as high: the counter only ever rises
 * (ALTER TABLE ... AUTO_INCREMENT = n can lower it, and a value the ALTER itself set higher must stay).
 */
export function counterRaise(original: bigint | null, ghost: bigint | null): bigint | null {
  if (original === null) return null;
  return original > (ghost ?? 1n) ? original : null;
}

/**
 * ALTER TABLE <table> AUTO_INCREMENT = <n>. Exactly this form: the binlog reader fails the migration on any other
 * DDL touching the ghost. DDL takes no placeholders, so n is a bigint rendered as digits.
 */
export function setAutoIncrement(database: string, table: string, n: bigint): string {
  return `ALTER TABLE ${qualify(database, table)} AUTO_INCREMENT = ${n.toString()}`;
}
