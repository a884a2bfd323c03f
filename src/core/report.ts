// What osc prints on stdout: the plan (noop and before a run) and the final summary. Pure text rendering.
import { isGenerated, type ColumnMapping, type ChunkKey, type ServerInfo, type TableSchema } from './types.js';
import { PHASES } from './phase.js';
import { formatDuration } from './progress.js';

export interface PlanFacts {
  readonly server: ServerInfo;
  readonly address: string;
  readonly database: string;
  readonly table: string;
  readonly alter: string;
  readonly ghost: string;
  readonly original: TableSchema;
  readonly altered: TableSchema;
  readonly mapping: readonly ColumnMapping[];
  readonly renames: ReadonlyMap<string, string>;
  readonly key: ChunkKey;
  readonly estimatedRows: number;
  readonly exactRowcount: boolean;
  readonly execute: boolean;
  readonly notes: readonly string[];
  /** --resume: the ghost is the dead run's, kept whether or not --execute is given. */
  readonly resumed?: boolean;
}

function names(list: readonly string[]): string {
  return list.length > 0 ? list.join(', ') : '(none)';
}

export function renderPlan(p: PlanFacts): string {
  const mapped = new Set(p.mapping.map((m) => m.source.name.toLowerCase()));
  const computed = new Set(p.altered.columns.filter(isGenerated).map((c) => c.name.toLowerCase()));
  // Not copied and not computed by the new table under its name: its data is gone (dropped, or dropped and added again).
  const dropped = p.original.columns
    .filter((c) => !mapped.has(c.name.toLowerCase()) && !computed.has(c.name.toLowerCase()))
    .map((c) => c.name);
  const targets = new Set(p.mapping.map((m) => m.target.name.toLowerCase()));
  const added = p.altered.columns
    .filter((c) => !isGenerated(c) && !targets.has(c.name.toLowerCase()))
    .map((c) => c.name);
  // Only real generated columns: a column with an expression DEFAULT (CURRENT_TIMESTAMP, UUID()) is copied like any other.
  const generated = p.altered.columns.filter(isGenerated).map((c) => `${c.name} (${c.generation ?? ''})`);
  const renamed = [...p.renames].map(([from, to]) => `${from} -> ${to}`);
  const keyCols = p.key.columns.map((c) => c.name).join(', ');
  const ghostCols = p.key.ghostColumns.map((c) => c.name).join(', ');
  const matched =
    p.key.ghostName === p.key.name && ghostCols === keyCols
      ? ''
      : `; rows of the new table matched by ${p.key.ghostName} (${ghostCols})`;
  const exact =
    p.key.exactColumns.length > 0
      ? `; ${p.key.exactColumns.join(', ')} compared byte for byte (charset or collation changes)`
      : '';
  const lines = [
    `osc plan for ${p.database}.${p.table}${p.execute ? '' : ' (noop: nothing was changed; add --execute to migrate)'}`,
    `  server:          ${p.server.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${p.server.version} at ${p.address}`,
    `  alter:           ${p.alter}`,
    `  ghost table:     ${p.ghost} (${p.resumed === true ? "the dead run's, kept" : `created and altered${p.execute ? '' : ', then dropped'}`})`,
    `  chunk key:       ${p.key.name} (${keyCols})${matched}${exact}`,
    `  shared columns:  ${names(p.mapping.map((m) => (m.source.name === m.target.name ? m.source.name : `${m.source.name} -> ${m.target.name}`)))}`,
    `  renamed columns: ${names(renamed)}`,
    `  dropped columns: ${names(dropped)}`,
    `  new columns:     ${names(added)}`,
    `  generated:       ${names(generated)}${generated.length > 0 ? ': computed by the server from other columns, not copied' : ''}`,
    `  estimated rows:  ${p.estimatedRows}${p.exactRowcount ? ' (exact count)' : ' (information_schema estimate; --exact-rowcount counts)'}`,
  ];
  for (const n of p.notes) lines.push(`  note:            ${n}`);
  return lines.join('\n') + '\n';
}

export interface SummaryFacts {
  readonly database: string;
  readonly table: string;
  readonly alter: string;
  readonly rowsCopied: number;
  readonly events: Readonly<Record<'insert' | 'update' | 'delete', number>>;
  readonly cutOverAttempts: number;
  readonly lockMs: number;
  readonly old: string;
  readonly oldDropped: boolean;
  /** The last checksum before the swap (repairs: over every run); null with --skip-checksum. */
  readonly verified: {
    readonly rows: number;
    readonly chunks: number;
    readonly repaired: number;
    /** The longest its consistent point blocked writes, ms. */
    readonly lockMs: number;
  } | null;
  readonly phaseSeconds: Readonly<Record<string, number>>;
  readonly totalSeconds: number;
}

export function renderSummary(s: SummaryFacts): string {
  const ev = s.events;
  const total = ev.insert + ev.update + ev.delete;
  // The phases in the order they ran (PHASES), then any other name; a minute and longer reads as 1m05s.
  const rank = (k: string): number => {
    const i = (PHASES as readonly string[]).indexOf(k);
    return i < 0 ? PHASES.length : i;
  };
  const phases = Object.entries(s.phaseSeconds)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([k, v]) => `${k} ${v < 60 ? `${v.toFixed(1)}s` : formatDuration(v)}`)
    .join(', ');
  return (
    [
      `migrated ${s.database}.${s.table}: ${s.alter}`,
      `  rows copied:      ${s.rowsCopied}`,
      `  binlog replayed:  ${total} row events (${ev.insert} inserts, ${ev.update} updates, ${ev.delete} deletes)`,
      `  verified:         ${
        s.verified === null
          ? 'no: --skip-checksum, the new table was not compared with the original'
          : `${s.verified.rows} rows in ${s.verified.chunks} chunks, ${s.verified.repaired} repaired; writes blocked ${s.verified.lockMs} ms for its snapshot`
      }`,
      `  cut-over:         attempt ${s.cutOverAttempts}, writes blocked ${s.lockMs} ms`,
      `  old table:        ${s.oldDropped ? 'dropped (--ok-to-drop-table)' : `${s.database}.${s.old} (drop it once you no longer need it)`}`,
      `  time:             ${phases}; total ${formatDuration(s.totalSeconds)}`,
    ].join('\n') + '\n'
  );
}
