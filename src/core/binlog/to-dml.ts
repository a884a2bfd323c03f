// Row event -> the statements that make the ghost match it. The applier runs one event's statements
// in one transaction. Inserts and key changes delete by key first: the copy may already have written
// that row, and the ghost must end holding exactly the event's image. A collision on any other unique
// key then fails loudly; REPLACE (silently deletes the colliding row) and IGNORE are never used.
import { sameKey } from '../chunk/plan.js';
import type { DmlBuilder } from '../sql/dml.js';
import type { Statement } from '../types.js';
import type { RowEvent, RowEventKind } from './events.js';

type Handlers = {
  readonly [K in RowEventKind]: (event: Extract<RowEvent, { kind: K }>, dml: DmlBuilder) => Statement[];
};

// Exhaustive: a new event kind without a handler does not compile.
const HANDLERS: Handlers = {
  insert: (e, dml) => [dml.deleteByKey(e.row), dml.insert(e.row)],
  delete: (e, dml) => [dml.deleteByKey(e.row)],
  update: (e, dml) =>
    sameKey(dml.keyOf(e.before), dml.keyOf(e.after))
      ? [dml.update(e.before, e.after)]
      : // The new key may already be on the ghost (copied after the change): clear both, then write.
        [dml.deleteByKey(e.before), dml.deleteByKey(e.after), dml.insert(e.after)],
};

export function eventToStatements(event: RowEvent, dml: DmlBuilder): Statement[] {
  // TypeScript cannot correlate event.kind with the handler's parameter; Handlers guarantees it.
  const handler = HANDLERS[event.kind] as (e: RowEvent, d: DmlBuilder) => Statement[];
  return handler(event, dml);
}
