// A lexer for MySQL/MariaDB statement text as the binlog carries it: enough to find table names reliably
// (quoted names, comments, strings), not a parser. Executable comments (`/*! ... */`, MariaDB's `/*M! ... */`)
// run on the server, so their content is lexed as code whatever version they name.

export type TokenType =
  /** A bare word: keyword, unquoted name or number. */
  | 'word'
  /** A backtick-quoted name, unescaped. */
  | 'quoted'
  /** A double-quoted text: a name under ANSI_QUOTES, otherwise a string. Unescaped. */
  | 'double'
  /** A single-quoted string. */
  | 'string'
  /** `@name`, `@@name`, `@'name'`: a variable, or the host part of `user@host`. */
  | 'variable'
  /** Any other single character: `.`, `,`, `(`, `)`, `=`, `;` ... */
  | 'punct';

export interface Token {
  readonly type: TokenType;
  readonly text: string;
}

/** How the session that wrote the statement read quotes (its sql_mode, which the binlog reader does not decode). */
export interface LexMode {
  /** Backslash escapes in strings: on unless NO_BACKSLASH_ESCAPES. */
  readonly backslashEscapes: boolean;
  /** `"x"` is a name: ANSI_QUOTES. */
  readonly ansiQuotes: boolean;
}

export const DEFAULT_LEX_MODE: LexMode = { backslashEscapes: true, ansiQuotes: false };

// Unquoted names may hold any character from U+0080 on (UTF-16 code units here, so astral characters too).
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

export function tokenize(text: string, mode: LexMode = DEFAULT_LEX_MODE): Token[] {
  const out: Token[] = [];
  let i = 0;
  let executable = 0; // open executable comments: their `*/` is skipped
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '-' && next === '-' && (i + 2 >= n || text.charCodeAt(i + 2) <= 32))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      const marker = /^\/\*(?:M?!)(\d{5,6})?/.exec(text.slice(i, i + 10));
      if (marker) {
        executable++;
        i += marker[0].length;
      } else {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
      }
    } else if (c === '*' && next === '/' && executable > 0) {
      executable--;
      i += 2;
    } else if (c === '`') {
      const [value, end] = readQuoted(text, i, '`', false);
      out.push({ type: 'quoted', text: value });
      i = end;
    } else if (c === "'") {
      const [value, end] = readQuoted(text, i, "'", mode.backslashEscapes);
      out.push({ type: 'string', text: value });
      i = end;
    } else if (c === '"') {
      const [value, end] = readQuoted(text, i, '"', !mode.ansiQuotes && mode.backslashEscapes);
      out.push({ type: 'double', text: value });
      i = end;
    } else if (c === '@') {
      let j = i + 1;
      if (text[j] === '@') j++;
      const q = text[j];
      if (q === '`' || q === "'" || q === '"') {
        const [value, end] = readQuoted(text, j, q, q !== '`' && mode.backslashEscapes);
        out.push({ type: 'variable', text: value });
        i = end;
      } else {
        // `@@session.x`: the dot and the name after it belong to the variable.
        while (j < n && (WORD_CHAR.test(text[j] as string) || text[j] === '.')) j++;
        out.push({ type: 'variable', text: text.slice(i, j) });
        i = j;
      }
    } else if (WORD_CHAR.test(c)) {
      let j = i + 1;
      while (j < n && WORD_CHAR.test(text[j] as string)) j++;
      out.push({ type: 'word', text: text.slice(i, j) });
      i = j;
    } else {
      out.push({ type: 'punct', text: c });
      i++;
    }
  }
  return out;
}

/** Reads a quoted token starting at `start` (the opening quote); a doubled quote stands for itself. */
function readQuoted(text: string, start: number, quote: string, backslash: boolean): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (backslash && c === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (c === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
      } else {
        return [value, i + 1];
      }
    } else {
      value += c;
      i++;
    }
  }
  return [value, i];
}
