// The members of an ENUM or SET column, read from its COLUMN_TYPE as information_schema prints it:
// `enum('a','it''s','x,y','a\\b')`. The server quotes each member with ' and escapes it like a string
// literal (sql_show.cc append_unescaped: '' for a quote, \\ \0 \n \r for a backslash, NUL, LF and CR);
// members may hold commas, quotes and any other character.
import { OscError } from './errors.js';

const ESCAPES: Readonly<Record<string, string>> = { '0': '\0', n: '\n', r: '\r', t: '\t', b: '\b', Z: '\x1a' };

/** ['a', "it's", 'x,y', 'a\\b'] for `enum('a','it''s','x,y','a\\\\b')`; case and bytes as printed. */
export function enumMembers(columnType: string): string[] {
  const open = columnType.indexOf('(');
  if (!/^\s*(enum|set)\s*$/i.test(columnType.slice(0, Math.max(open, 0))) || open === -1) {
    throw new OscError('INTERNAL', 'not an ENUM or SET column type');
  }
  const members: string[] = [];
  let i = open + 1;
  for (;;) {
    if (columnType[i] !== "'") throw new OscError('INTERNAL', 'malformed ENUM or SET column type');
    let member = '';
    for (i++; ; i++) {
      const ch = columnType[i];
      if (ch === undefined) throw new OscError('INTERNAL', 'unterminated ENUM or SET member');
      if (ch === "'") {
        if (columnType[i + 1] !== "'") break;
        member += "'";
        i++;
      } else if (ch === '\\') {
        const next = columnType[i + 1];
        if (next === undefined) throw new OscError('INTERNAL', 'unterminated ENUM or SET member');
        member += ESCAPES[next] ?? next;
        i++;
      } else {
        member += ch;
      }
    }
    members.push(member);
    i++;
    if (columnType[i] === ')') return members;
    if (columnType[i] !== ',') throw new OscError('INTERNAL', 'malformed ENUM or SET column type');
    i++;
  }
}
