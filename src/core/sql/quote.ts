// Identifier quoting. Every identifier osc puts into SQL goes through quoteId, so a
// table or column named with a backtick, a space or a keyword can never break a statement.

import { ConfigError } from '../errors.js';

/** `a``b`: wraps in backticks and doubles any backtick inside. */
export function quoteId(name: string): string {
  if (name.length === 0) {
    throw new ConfigError('BAD_USAGE', 'an identifier cannot be empty');
  }
  if (name.includes('\0')) {
    throw new ConfigError('BAD_USAGE', 'an identifier cannot contain a NUL character');
  }
  return '`' + name.replaceAll('`', '``') + '`';
}

/** `db`.`t` */
export function qualify(database: string, table: string): string {
  return `${quoteId(database)}.${quoteId(table)}`;
}

/** `a`, `b` */
export function columnList(names: readonly string[]): string {
  return names.map(quoteId).join(', ');
}
