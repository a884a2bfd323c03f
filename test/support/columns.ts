// A plain NOT NULL column of the given type, for tests of SQL builders and schema logic.
import type { Column } from '../../src/core/types.js';

export const col = (name: string, dataType = 'int', columnType = dataType): Column => ({
  name,
  dataType,
  columnType,
  nullable: false,
  generation: null,
  generationExpression: null,
  charset: null,
  collation: null,
});
