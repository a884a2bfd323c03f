// A single ENUM key whose members are declared in shuffled order: a range compared by name copied nothing.
// 80 members bound the table: 30 seeded rows and a short load, every key a fresh member (ids are never reused).
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const MEMBERS = ['m65', 'm00', 'm43', 'm31', 'm79', 'm62', 'm28', 'm38', 'm16', 'm48', 'm24', 'm60', 'm32', 'm63',
  'm74', 'm39', 'm20', 'm72', 'm10', 'm13', 'm29', 'm21', 'm15', 'm33', 'm49', 'm01', 'm42', 'm45', 'm22', 'm17',
  'm47', 'm23', 'm73', 'm76', 'm67', 'm44', 'm78', 'm77', 'm56', 'm34', 'm75', 'm26', 'm18', 'm70', 'm61', 'm02',
  'm66', 'm51', 'm25', 'm58', 'm57', 'm59', 'm37', 'm54', 'm40', 'm14', 'm71', 'm36', 'm52', 'm03', 'm69', 'm35',
  'm05', 'm30', 'm08', 'm53', 'm55', 'm11', 'm04', 'm27', 'm64', 'm07', 'm46', 'm12', 'm68', 'm09', 'm06', 'm50',
  'm19', 'm41'] as const;
const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['code'],
  valueColumns: base.valueColumns,
  key: (id) => [MEMBERS[id - 1]],
  values: base.values,
};
