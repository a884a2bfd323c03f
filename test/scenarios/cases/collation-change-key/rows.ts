// The key's collation changes from binary to case- and accent-insensitive. Keys differ in case and accents but
// never collide under the new collation, so the migration succeeds; ghost rows are then matched byte for byte
// (a binary-distinct key that the new collation calls equal must never be deleted or overwritten by replay).
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const STEMS = ['Key', 'kEY', 'Clé', 'cle', 'ÅSA', 'åsa'] as const;
const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['code'],
  valueColumns: base.valueColumns,
  key: (id) => [`${STEMS[id % STEMS.length]}-${id}`],
  values: base.values,
};
