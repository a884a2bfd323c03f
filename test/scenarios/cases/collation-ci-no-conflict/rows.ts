// The same change of collation (hole 3's companion) on keys mixed in case and accent that stay distinct under
// the new collation: it must succeed, and replay's deletes by key must not hit another row.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();
const PREFIX = ['k', 'K', 'é', 'e', 'É'] as const;

export const model: RowModel = {
  keyColumns: ['code'],
  valueColumns: base.valueColumns,
  key: (id) => [`${PREFIX[id % PREFIX.length]}-${id}`],
  values: base.values,
};
