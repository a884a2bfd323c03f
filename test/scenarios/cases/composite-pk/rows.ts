// Composite key (tenant_id, seq): few tenants, so chunk bounds fall inside a tenant and the
// range condition must handle the second column; a key move can change the tenant.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['tenant_id', 'seq'],
  valueColumns: base.valueColumns,
  key: (id) => [id % 7, (id * 7919) % 1_000_003],
  values: base.values,
};
