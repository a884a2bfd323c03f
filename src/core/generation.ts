// Which columns the server computes, from information_schema.COLUMNS as each server prints it. Measured:
//   MySQL 9.7:     EXTRA 'VIRTUAL GENERATED' / 'STORED GENERATED' (+ ' INVISIBLE'); GENERATION_EXPRESSION '' for a
//                  plain column. A column whose DEFAULT is an expression is marked 'DEFAULT_GENERATED' (+ ' on update
//                  CURRENT_TIMESTAMP[(n)]', + ' INVISIBLE'): a plain column holding real data, never a generated one.
//   MariaDB 10.11: EXTRA 'VIRTUAL GENERATED' / 'STORED GENERATED' (PERSISTENT is printed as STORED) (+ ', INVISIBLE');
//                  GENERATION_EXPRESSION NULL for a plain column; expression defaults leave EXTRA empty.
import type { Column } from './types.js';

export type Generation = Pick<Column, 'generation' | 'generationExpression'>;

const KINDS: Readonly<Record<string, 'virtual' | 'stored'>> = {
  VIRTUAL: 'virtual',
  STORED: 'stored',
  PERSISTENT: 'stored',
};

/** The generation of a column from its EXTRA and GENERATION_EXPRESSION; EXTRA alone decides. */
export function generationOf(extra: string | null, expression: string | null): Generation {
  // Words, so that DEFAULT_GENERATED (one word) never reads as GENERATED.
  const words = (extra ?? '').toUpperCase().split(/[\s,]+/);
  for (let i = 0; i + 1 < words.length; i++) {
    const kind = KINDS[words[i] as string];
    if (kind !== undefined && words[i + 1] === 'GENERATED') {
      return { generation: kind, generationExpression: expression === null || expression === '' ? null : expression };
    }
  }
  return { generation: null, generationExpression: null };
}
