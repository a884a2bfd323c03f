// A SET leading the key: the index orders it by its bit value ('delta' = 1, 'charlie' = 2, 'delta,charlie' = 3
// ...), not by its text, so chunk bounds must compare bit values, and a range over it must still use the index.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const MEMBERS = ['delta', 'charlie', 'bravo', 'alpha'] as const;
const base = ordersModel();

/** The SET's text for bit value 1..15, members in declared order (as the server prints it). */
function flags(bits: number): string {
  return MEMBERS.filter((_, i) => (bits & (1 << i)) !== 0).join(',');
}

export const model: RowModel = {
  keyColumns: ['flags', 'id'],
  valueColumns: base.valueColumns,
  key: (id) => [flags((id % 15) + 1), id],
  values: base.values,
};
