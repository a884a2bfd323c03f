// A latin1 key converted to utf8mb4, whose default collation is accent-insensitive on both servers: keys with
// accents must arrive intact and be matched exactly. They never collide after the conversion (the id keeps them
// apart), so the migration succeeds.
import type { RowModel } from '../../../support/load.js';
import { datetime6, decimal, mix } from '../../models.js';

const STEMS = ['Jörg', 'Jorg', 'Ærø', 'Çédille', 'zoë'] as const;

export const model: RowModel = {
  keyColumns: ['name'],
  valueColumns: ['qty', 'price', 'note', 'updated_at'],
  key: (id) => [`${STEMS[id % STEMS.length]}-${id}`],
  values: (id, v) => {
    const h = mix(id, v);
    return [(h % 2001) - 1000, decimal(h % 1_000_000), h % 5 === 0 ? null : `note ${h.toString(36)} été`, datetime6(h)];
  },
};
