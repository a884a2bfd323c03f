// The copy runs INSERT IGNORE ... SELECT, and IGNORE turns data-changing errors into
// warnings. Only one warning is expected: a duplicate on the chunk key, when the replay
// already wrote that row (and MySQL's 1300 about key bounds, see classifyWarnings).
// Everything else would silently lose or change data.
// Messages are never kept: they quote row values.

export const ER_DUP_ENTRY = 1062;

/**
 * MySQL raises it when CONVERT(bytes USING cs) meets bytes the charset leaves undefined (cp1250's 0x81 ...),
 * which a column of that charset stores without complaint. Kept within the charset the bytes stay as they are;
 * converted to another they become '?'.
 */
export const ER_INVALID_CHARACTER_STRING = 1300;

export interface WarningRow {
  readonly Level: string;
  readonly Code: number;
  readonly Message: string;
}

export interface WarningProblem {
  readonly code: number;
  readonly level: string;
}

export interface WarningVerdict {
  /** Duplicates on the chunk key: rows the replay wrote first. Expected. */
  readonly duplicatesOnChunkKey: number;
  /** Unique keys (names only) other than the chunk key that rows collided on. */
  readonly otherDuplicateKeys: readonly string[];
  /** Every other warning, by code and level only. */
  readonly problems: readonly WarningProblem[];
}

const FOR_KEY = " for key '";

/**
 * The key name of a 1062 message: `Duplicate entry 'v' for key 'k'` (MariaDB) or
 * `... for key 'tbl.k'` (MySQL >= 8.0.19). The value may hold quotes, so search from the end.
 */
function duplicateKeyName(message: string): string | null {
  const at = message.lastIndexOf(FOR_KEY);
  if (at === -1 || !message.endsWith("'")) return null;
  const name = message.slice(at + FOR_KEY.length, -1);
  return name.length > 0 ? name : null;
}

export function classifyWarnings(
  rows: readonly WarningRow[],
  chunkKey: { readonly name: string; readonly ghostName: string },
): WarningVerdict {
  let duplicatesOnChunkKey = 0;
  const otherDuplicateKeys: string[] = [];
  const problems: WarningProblem[] = [];
  for (const row of rows) {
    const code = Number(row.Code);
    // The copy's key compares (its range bounds, read as bytes, or exact keys) stay within the key column's own
    // charset, so their 1300 changes nothing; a value the ghost's column cannot hold raises 1366 instead
    // (measured on MariaDB 10.11 and MySQL 9.7, which alone raises 1300 here).
    if (code === ER_INVALID_CHARACTER_STRING) continue;
    const key = code === ER_DUP_ENTRY ? duplicateKeyName(row.Message) : null;
    if (key === null) {
      problems.push({ code, level: row.Level });
    } else if (key === chunkKey.ghostName || key.endsWith(`.${chunkKey.ghostName}`)) {
      duplicatesOnChunkKey++;
    } else {
      // MySQL prefixes the table name; osc's ghost table names hold no dot.
      const dot = key.indexOf('.');
      const name = dot === -1 ? key : key.slice(dot + 1);
      if (!otherDuplicateKeys.includes(name)) otherDuplicateKeys.push(name);
    }
  }
  return { duplicatesOnChunkKey, otherDuplicateKeys, problems };
}

/** Short descriptions of the codes a copy most often meets. */
export const WARNING_DESCRIPTIONS: Readonly<Record<number, string>> = {
  1048: 'NULL into a NOT NULL column',
  1062: 'duplicate entry on a unique key',
  1264: 'value out of range for its column',
  1265: 'data truncated for a column',
  1292: 'incorrect date, time or number value',
  1300: 'bytes that are no character of the named character set',
  1366: "incorrect value for the column's type or character set",
  1406: 'data too long for a column',
  1977: 'a character the target character set cannot hold',
};

/** For an error message: codes, levels, counts and key names, never values. */
export function describeWarningProblem(verdict: WarningVerdict): string {
  const counts = new Map<string, { problem: WarningProblem; count: number }>();
  for (const p of verdict.problems) {
    const id = `${p.level}:${p.code}`;
    const seen = counts.get(id);
    if (seen === undefined) counts.set(id, { problem: p, count: 1 });
    else seen.count++;
  }
  const parts: string[] = [];
  for (const { problem, count } of counts.values()) {
    const description = WARNING_DESCRIPTIONS[problem.code];
    parts.push(
      `${problem.level.toLowerCase()} ${problem.code}` +
        (description === undefined ? '' : ` (${description})`) +
        (count > 1 ? ` ${count} times` : ''),
    );
  }
  if (verdict.otherDuplicateKeys.length > 0) {
    parts.push(
      `duplicate entries on unique key ${verdict.otherDuplicateKeys.map((k) => `'${k}'`).join(', ')} of the new table`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : 'no problem';
}

/**
 * Warnings about a statement's text, never its data: MySQL 8+ flags every deprecated character set name it
 * meets (1287: ucs2, utf8mb3, dec8 ... in a CONVERT) and the utf8 alias (3719), on every execution.
 */
export const STATEMENT_WARNINGS: ReadonlySet<number> = new Set([1287, 3719]);

export interface ReplayWarnings {
  /** Warnings that mean the ghost would not hold what the original holds (codes and levels only). */
  readonly problems: readonly WarningProblem[];
  /** Every warning is about the statement's text: the same statement raises them all again, every time. */
  readonly textOnly: boolean;
}

/** A replayed statement's warnings: `harmless` codes change nothing (see the DML builder); any other one does. */
export function classifyReplayWarnings(rows: readonly WarningRow[], harmless: ReadonlySet<number>): ReplayWarnings {
  const all = rows.map((r) => ({ code: Number(r.Code), level: r.Level }));
  return {
    problems: all.filter((w) => !harmless.has(w.code)),
    textOnly: all.every((w) => STATEMENT_WARNINGS.has(w.code)),
  };
}
