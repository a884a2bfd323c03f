// Analysis of the user's --alter text: which clauses go onto the ghost, which columns are
// renamed or dropped, and what osc refuses. A real tokenizer, not regular expressions, so a
// COMMENT 'change column x' or a DEFAULT 'a,b' can never be mistaken for a clause.

import { ConfigError } from './errors.js';

export interface AlterAnalysis {
  /** Text to append to `ALTER TABLE <ghost> `: trimmed, without a trailing ';'. */
  readonly clauses: string;
  /** Old column name -> new name (unquoted, case kept); only real renames. */
  readonly renames: ReadonlyMap<string, string>;
  /** Columns removed by DROP [COLUMN] x. */
  readonly droppedColumns: readonly string[];
}

type TokenKind = 'word' | 'ident' | 'string' | 'punct' | 'marker';

interface Token {
  readonly kind: TokenKind;
  /** word: as written; ident: unquoted (backticks undoubled); string/punct/marker: raw text. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Parenthesis depth before this token. */
  readonly depth: number;
}

function invalid(message: string): ConfigError {
  return new ConfigError('ALTER_INVALID', `the --alter is not valid: ${message}`);
}

function refused(message: string): ConfigError {
  return new ConfigError('ALTER_REFUSED', message);
}

function isWordChar(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

/** Splits SQL into tokens; comments and whitespace are skipped but stay in the source text. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  // Inside /*! ... */ (MySQL and MariaDB execute its content), the closing */ is a marker.
  let inExecutableComment = false;
  let i = 0;
  const n = sql.length;
  const push = (kind: TokenKind, value: string, start: number, end: number): void => {
    tokens.push({ kind, value, start, end, depth });
  };
  while (i < n) {
    const ch = sql[i] as string;
    const next = sql[i + 1] ?? '';
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '#' || (ch === '-' && next === '-' && (i + 2 >= n || /\s/.test(sql[i + 2] as string)))) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (ch === '/' && next === '*') {
      const executable = /^\/\*M?!\d*/.exec(sql.slice(i));
      if (executable !== null && !inExecutableComment) {
        push('marker', executable[0], i, i + executable[0].length);
        inExecutableComment = true;
        i += executable[0].length;
      } else {
        const close = sql.indexOf('*/', i + 2);
        if (close === -1) throw invalid('a /* comment is not closed');
        i = close + 2;
      }
    } else if (ch === '*' && next === '/' && inExecutableComment) {
      push('marker', '*/', i, i + 2);
      inExecutableComment = false;
      i += 2;
    } else if (ch === '`') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= n) throw invalid('a `quoted` name is not closed');
        const c = sql[j] as string;
        if (c === '`') {
          if (sql[j + 1] === '`') {
            value += '`';
            j += 2;
            continue;
          }
          break;
        }
        value += c;
        j++;
      }
      push('ident', value, i, j + 1);
      i = j + 1;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw invalid(`a ${ch}string${ch} is not closed`);
        const c = sql[j] as string;
        if (c === '\\') {
          j += 2;
        } else if (c === ch) {
          if (sql[j + 1] === ch) {
            j += 2;
            continue;
          }
          break;
        } else {
          j++;
        }
      }
      push('string', sql.slice(i, j + 1), i, j + 1);
      i = j + 1;
    } else if (isWordChar(ch)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j] as string)) j++;
      push('word', sql.slice(i, j), i, j);
      i = j;
    } else {
      if (ch === ')') {
        if (depth === 0) throw invalid('a ) has no matching (');
        depth--;
      }
      push('punct', ch, i, i + 1);
      if (ch === '(') depth++;
      i++;
    }
  }
  if (inExecutableComment) throw invalid('a /*! comment is not closed');
  if (depth !== 0) throw invalid('a ( is not closed');
  return tokens;
}

/** Unquoted word equal to one of the keywords (case-insensitive). */
function isKeyword(t: Token | undefined, ...keywords: string[]): boolean {
  return t !== undefined && t.kind === 'word' && keywords.includes(t.value.toUpperCase());
}

function isName(t: Token | undefined): t is Token {
  return t !== undefined && (t.kind === 'word' || t.kind === 'ident');
}

function sameName(a: string, b: string): boolean {
  // Column and index names are case-insensitive in MySQL and MariaDB.
  return a.toLowerCase() === b.toLowerCase();
}

/** Removes `ALTER [ONLINE] [IGNORE] TABLE [db.]name` and checks the name; returns the rest. */
function stripStatementPrefix(tokens: readonly Token[], table: string): readonly Token[] {
  const code = tokens.filter((t) => t.kind !== 'marker');
  if (!isKeyword(code[0], 'ALTER')) return tokens;
  let k = 1;
  while (isKeyword(code[k], 'ONLINE', 'IGNORE')) k++;
  // Without TABLE it is a clause: ALTER [COLUMN] c SET DEFAULT ...
  if (!isKeyword(code[k], 'TABLE')) return tokens;
  let name = code[k + 1];
  if (!isName(name)) throw invalid('ALTER TABLE is not followed by a table name');
  k += 2;
  const dot = code[k];
  if (dot !== undefined && dot.kind === 'punct' && dot.value === '.') {
    name = code[k + 1];
    if (!isName(name)) throw invalid('ALTER TABLE db. is not followed by a table name');
    k += 2;
  }
  if (name.value.toLowerCase() !== table.toLowerCase()) {
    throw new ConfigError(
      'BAD_USAGE',
      `the --alter names another table (${name.value}) than --table (${table}); give only the clauses, or name the same table`,
    );
  }
  const rest = code[k];
  return rest === undefined ? [] : tokens.slice(tokens.indexOf(rest));
}

/** Drops a final ';'; refuses anything after it. */
function stripTerminator(tokens: readonly Token[]): readonly Token[] {
  const semi = tokens.findIndex((t) => t.kind === 'punct' && t.value === ';');
  if (semi === -1) return tokens;
  if (tokens.slice(semi + 1).some((t) => t.kind !== 'marker')) {
    throw refused(
      'the --alter holds more than one statement; osc applies the clauses of one ALTER TABLE ' +
        '(separate clauses with commas) and runs nothing else: run other statements separately',
    );
  }
  return tokens.slice(0, semi);
}

function splitClauses(tokens: readonly Token[]): Token[][] {
  const clauses: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'marker') continue;
    if (t.depth === 0 && t.kind === 'punct' && t.value === ',') clauses.push([]);
    else (clauses[clauses.length - 1] as Token[]).push(t);
  }
  return clauses;
}

const FOREIGN_KEY_REFUSAL =
  'osc refuses foreign keys (the constraint would point at or stay with the old table after the swap): ' +
  'remove the foreign key from the --alter and add it with a plain ALTER TABLE after the migration';

/** Skips `IF EXISTS` at position k; returns the next position. */
function skipIfExists(clause: readonly Token[], k: number): number {
  return isKeyword(clause[k], 'IF') && isKeyword(clause[k + 1], 'EXISTS') ? k + 2 : k;
}

function expectName(clause: readonly Token[], k: number, what: string): string {
  const t = clause[k];
  if (!isName(t)) throw invalid(`${what} is not followed by a column name`);
  return t.value;
}

/** Words that begin a table-option clause (`ENGINE=...`, `DEFAULT CHARSET=...`, `ROW_FORMAT=...`). */
const TABLE_OPTION_STARTS = new Set([
  'ENGINE',
  'ROW_FORMAT',
  'DEFAULT',
  'CHARSET',
  'CHARACTER',
  'COLLATE',
  'COMMENT',
  'AUTO_INCREMENT',
  'KEY_BLOCK_SIZE',
  'STATS_PERSISTENT',
  'STATS_AUTO_RECALC',
  'STATS_SAMPLE_PAGES',
  'PACK_KEYS',
  'CHECKSUM',
  'COMPRESSION',
  'ENCRYPTION',
  'PAGE_COMPRESSED',
  'PAGE_COMPRESSION_LEVEL',
  'MAX_ROWS',
  'MIN_ROWS',
  'AVG_ROW_LENGTH',
]);

/** The engine an `ENGINE [=] name` in a table-option clause names, or null. */
function engineOption(clause: readonly Token[]): string | null {
  const first = clause[0];
  if (first?.kind !== 'word' || !TABLE_OPTION_STARTS.has(first.value.toUpperCase())) return null;
  for (let k = 0; k < clause.length; k++) {
    const t = clause[k];
    if (t?.depth !== 0 || !isKeyword(t, 'ENGINE')) continue;
    const eq = clause[k + 1];
    const name = eq?.kind === 'punct' && eq.value === '=' ? clause[k + 2] : eq;
    if (name !== undefined && name.kind !== 'punct' && name.kind !== 'marker') {
      return name.kind === 'string' ? name.value.slice(1, -1) : name.value;
    }
  }
  return null;
}

/**
 * Partition operations that act on rows rather than on the schema: on osc's new table (empty when the ALTER runs,
 * then filled by the copy) they would do nothing, or lose rows, or move rows of another table into it.
 * ADD, COALESCE and REORGANIZE PARTITION, PARTITION BY and REMOVE PARTITIONING only reshape it: the copy fills it.
 */
const PARTITION_ROW_OPERATIONS = new Set([
  'DROP',
  'TRUNCATE',
  'EXCHANGE',
  'CONVERT',
  'DISCARD',
  'IMPORT',
  'ANALYZE',
  'CHECK',
  'OPTIMIZE',
  'REBUILD',
  'REPAIR',
]);

function partitionRefusal(clause: readonly Token[]): string | null {
  const [verb, second] = clause;
  if (verb?.kind !== 'word' || second === undefined) return null;
  const op = verb.value.toUpperCase();
  if (!PARTITION_ROW_OPERATIONS.has(op)) return null;
  // CONVERT TABLE t TO PARTITION p (MariaDB 10.7+) swallows another table; CONVERT TO CHARACTER SET is a plain clause.
  if (!isKeyword(second, 'PARTITION') && !(op === 'CONVERT' && isKeyword(second, 'TABLE'))) return null;
  return (
    `the --alter has ${op} ${second.value.toUpperCase()}, which acts on the rows in partitions, not on the table's ` +
    'schema; osc builds a new table and copies every row into it, so the operation would be lost or would move ' +
    'rows of another table: run it directly on the server (partition operations are quick in place), or give a ' +
    'whole new PARTITION BY'
  );
}

interface ClauseEffect {
  readonly rename?: readonly [string, string];
  readonly drop?: string;
}

function analyzeClause(clause: readonly Token[]): ClauseEffect {
  const first = clause[0];
  if (first === undefined) throw invalid('it has an empty clause (two commas, or a comma at an end)');

  // Inline `REFERENCES` in a column definition creates a foreign key on MySQL 9.
  if (clause.some((t) => t.depth === 0 && isKeyword(t, 'REFERENCES', 'FOREIGN'))) {
    if (isKeyword(first, 'DROP')) {
      // DROP FOREIGN KEY removes one: harmless to the ghost, which never had it.
    } else {
      throw refused(`the --alter adds a foreign key; ${FOREIGN_KEY_REFUSAL}`);
    }
  }

  const partition = partitionRefusal(clause);
  if (partition !== null) throw refused(partition);
  const engine = engineOption(clause);
  if (engine !== null && engine.toLowerCase() !== 'innodb') {
    throw refused(
      `the --alter changes the engine to ${engine}; osc copies and replays into InnoDB tables only: ` +
        'remove the ENGINE clause (ENGINE=InnoDB, a rebuild, is fine), or run that ALTER directly',
    );
  }

  const verb = first.kind === 'word' ? first.value.toUpperCase() : '';
  switch (verb) {
    case 'DISCARD':
    case 'IMPORT':
      throw refused(
        `the --alter has ${verb} TABLESPACE, which acts on the table's data files, not its schema; ` +
          'run it directly on the server, not through osc',
      );
    case 'CHANGE': {
      let k = isKeyword(clause[1], 'COLUMN') ? 2 : 1;
      k = skipIfExists(clause, k);
      const from = expectName(clause, k, 'CHANGE');
      const to = expectName(clause, k + 1, `CHANGE ${from}`);
      return sameName(from, to) ? {} : { rename: [from, to] };
    }
    case 'RENAME': {
      const second = clause[1];
      if (isKeyword(second, 'COLUMN')) {
        const k = skipIfExists(clause, 2);
        const from = expectName(clause, k, 'RENAME COLUMN');
        if (!isKeyword(clause[k + 1], 'TO')) throw invalid(`RENAME COLUMN ${from} is not followed by TO`);
        const to = expectName(clause, k + 2, `RENAME COLUMN ${from} TO`);
        return sameName(from, to) ? {} : { rename: [from, to] };
      }
      if (isKeyword(second, 'INDEX', 'KEY')) return {};
      throw refused(
        'the --alter renames the table; osc changes a table in place under its own name: ' +
          'remove the RENAME from the --alter and run RENAME TABLE after the migration',
      );
    }
    case 'DROP': {
      const second = clause[1];
      if (isKeyword(second, 'INDEX', 'KEY', 'PRIMARY', 'FOREIGN', 'CHECK', 'CONSTRAINT')) return {};
      // MariaDB: DROP SYSTEM VERSIONING, DROP PERIOD FOR p (a column may be named system or period).
      if (isKeyword(second, 'SYSTEM') && isKeyword(clause[2], 'VERSIONING')) return {};
      if (isKeyword(second, 'PERIOD') && isKeyword(clause[2], 'FOR')) return {};
      let k = isKeyword(second, 'COLUMN') ? 2 : 1;
      k = skipIfExists(clause, k);
      return { drop: expectName(clause, k, 'DROP') };
    }
    default:
      return {};
  }
}

/**
 * Analyses an --alter given as clauses (`ADD COLUMN x INT`) or as a whole
 * `ALTER TABLE [db.]name ...` statement for `table`.
 */
export function analyzeAlter(input: string, table: string): AlterAnalysis {
  const tokens = stripTerminator(stripStatementPrefix(tokenize(input), table));
  const code = tokens.filter((t) => t.kind !== 'marker');
  const firstToken = tokens[0];
  const lastToken = tokens[tokens.length - 1];
  if (code.length === 0 || firstToken === undefined || lastToken === undefined) {
    throw new ConfigError('BAD_USAGE', 'the --alter is empty: give the clauses to apply, e.g. "ADD COLUMN x INT"');
  }

  const renames = new Map<string, string>();
  const droppedColumns: string[] = [];
  for (const clause of splitClauses(tokens)) {
    const effect = analyzeClause(clause);
    if (effect.rename !== undefined) renames.set(effect.rename[0], effect.rename[1]);
    if (effect.drop !== undefined) droppedColumns.push(effect.drop);
  }
  // From the first token to the last: leading and trailing comments go, so nothing
  // appended after the clauses can end up inside a `-- comment`.
  return { clauses: input.slice(firstToken.start, lastToken.end), renames, droppedColumns };
}
