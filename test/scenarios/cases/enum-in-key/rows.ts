// An ENUM in the key, declared out of alphabetical order: the index orders it by member number, so chunk
// bounds must compare by member number too. Compared by name, the first tenant's range starts at 'zulu' (the
// smallest by number, the largest by name) and the last one ends at 'charlie': rows on either side were lost.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const KINDS = ['zulu', 'alpha', 'mike', 'bravo', 'yankee', 'charlie'] as const;
const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['tenant', 'kind'],
  valueColumns: base.valueColumns,
  key: (id) => [Math.floor((id - 1) / KINDS.length), KINDS[(id - 1) % KINDS.length]],
  values: base.values,
};
