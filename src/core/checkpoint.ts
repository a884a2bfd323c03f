// The run's checkpoint, kept in `_<t>_ghk` (core/names.ts): what `--resume` continues from after the process died.
// It holds the copy's watermark (key values, exactly), the binlog position up to which every event is applied to the
// ghost (a transaction boundary) with the GTIDs the server had executed there (core/binlog/gtid.ts), the server's
// identity, and what must be the same for a resumed run to be the same migration: the ALTER, the chunk key, the osc
// version and both tables' definitions (fingerprints). Pure: rendering, parsing with full validation, and the resume
// checks; stages/resume writes and reads it.
//
// Key values are kept as the copy holds them in memory (mysql2 with bigNumberStrings and dateStrings, strings read
// as their bytes): Buffers as hex, strings as they are (BIGINT, DECIMAL, temporal values), JS numbers (INT, ENUM and
// SET member numbers, YEAR, DOUBLE) as JSON numbers, whose text round-trips every double exactly, and bigints as
// decimal text. Each kind is tagged, so a resumed copy binds the very values the crashed one held.
import { createHash } from 'node:crypto';
import type { BinlogPosition } from './binlog/events.js';
import type { CopyPlanState } from './chunk/plan.js';
import { OscError, PreflightError } from './errors.js';
import type { KeyValues, TableSchema } from './types.js';

/** 2: with the server's identity and GTIDs. Format 1 is refused (see parseCheckpoint). */
export const CHECKPOINT_FORMAT = 2;

/** The phases a checkpoint is written in; a resumed run goes on from the copy whatever the phase was. */
export type CheckpointPhase = 'setup' | 'copy' | 'checksum' | 'postponed' | 'cutover';
const PHASES: readonly CheckpointPhase[] = ['setup', 'copy', 'checksum', 'postponed', 'cutover'];

/** The server a checkpoint was written on: a binlog position means something on that server only. */
export interface ServerIdentity {
  /** @@server_id (both flavours). */
  readonly serverId: number;
  /** @@server_uuid (MySQL); null on MariaDB, which has none. */
  readonly uuid: string | null;
}

export interface Checkpoint {
  readonly oscVersion: string;
  /** The ALTER clauses as analysed (core/alter.ts). */
  readonly alter: string;
  /** The original's unique key the copy ranges over. */
  readonly key: string;
  /** schemaFingerprint of the original and of the ghost when the run began. */
  readonly original: string;
  readonly ghost: string;
  readonly phase: CheckpointPhase;
  /** The copy's plan and watermark; null before the copy read its key range. */
  readonly copy: CopyPlanState | null;
  /** Every binlog event before this position is applied to the ghost. */
  readonly binlog: BinlogPosition;
  /**
   * GTIDs the server must have executed for `binlog` to mean here what it meant when written: the transaction that
   * starts there (applied; replay restarts at it) or, before any was applied, the server's GTIDs at the start
   * position (core/binlog/gtid.ts: a MySQL GTID set, a MariaDB GTID position). Null on a server without GTIDs
   * (MySQL with gtid_mode OFF).
   */
  readonly gtid: string | null;
  readonly server: ServerIdentity;
  /** Epoch milliseconds. */
  readonly writtenAt: number;
}

/** A key value as stored: tagged by its JS kind. */
type StoredValue = null | { b: string } | { s: string } | { n: number } | { i: string };

function invalid(why: string): PreflightError {
  return new PreflightError('RESUME_REFUSED', `the checkpoint cannot be read (${why}); nothing was changed`);
}

export function encodeValue(v: unknown): StoredValue {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return { b: Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex') };
  if (typeof v === 'string') return { s: v };
  if (typeof v === 'number') {
    // -0 would come back as 0; NaN and infinities have no JSON form (and no key column holds them).
    if (!Number.isFinite(v) || Object.is(v, -0)) throw new OscError('INTERNAL', 'a key value is not a finite number');
    return { n: v };
  }
  if (typeof v === 'bigint') return { i: v.toString() };
  throw new OscError('INTERNAL', `a key value of type ${typeof v} cannot be checkpointed`);
}

export function decodeValue(raw: unknown): unknown {
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid('a key value is not an object');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length !== 1) throw invalid('a key value has more than one tag');
  const [tag, value] = entries[0]!;
  if (tag === 'b' && typeof value === 'string' && /^(?:[0-9a-f]{2})*$/.test(value)) return Buffer.from(value, 'hex');
  if (tag === 's' && typeof value === 'string') return value;
  if (tag === 'n' && typeof value === 'number' && Number.isFinite(value)) return value;
  if (tag === 'i' && typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw invalid(`a key value tagged ${JSON.stringify(tag)} is malformed`);
}

export function encodeKey(key: KeyValues): StoredValue[] {
  return key.map(encodeValue);
}

/** `columns`: the chunk key's column count, or null when it is not known (then not checked). */
export function decodeKey(raw: unknown, columns: number | null): KeyValues {
  if (!Array.isArray(raw)) throw invalid('a key is not a list');
  if (columns !== null && raw.length !== columns)
    throw invalid(`a key has ${raw.length} values for ${columns} key columns`);
  return raw.map(decodeValue);
}

/**
 * A table's definition as far as a resumed run depends on it: columns (name, type, nullability, generation, charset,
 * collation) and unique keys, in order; not the table's name, so the ghost's fingerprint also identifies it once it
 * took the original's name. SHA-256 hex.
 */
export function schemaFingerprint(s: Pick<TableSchema, 'columns' | 'uniqueKeys'>): string {
  const text = JSON.stringify({
    columns: s.columns.map((c) => [
      c.name,
      c.columnType,
      c.nullable,
      c.generation,
      c.generationExpression,
      c.charset,
      c.collation,
    ]),
    keys: s.uniqueKeys.map((k) => [k.name, k.columns, k.primary, k.prefixes ?? null]),
  });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The stored text: one JSON object, its fields in a fixed order. */
export function renderCheckpoint(c: Checkpoint): string {
  return JSON.stringify({
    format: CHECKPOINT_FORMAT,
    osc: c.oscVersion,
    alter: c.alter,
    key: c.key,
    original: c.original,
    ghost: c.ghost,
    phase: c.phase,
    copy:
      c.copy === null
        ? null
        : {
            min: c.copy.min === null ? null : encodeKey(c.copy.min),
            max: c.copy.max === null ? null : encodeKey(c.copy.max),
            watermark: c.copy.watermark === null ? null : encodeKey(c.copy.watermark),
            done: c.copy.done,
          },
    binlog: { file: c.binlog.file, position: c.binlog.position },
    gtid: c.gtid,
    server: { id: c.server.serverId, uuid: c.server.uuid },
    at: c.writtenAt,
  });
}

function field<T>(o: Record<string, unknown>, name: string, ok: (v: unknown) => v is T, what: string): T {
  const v = o[name];
  if (!ok(v)) throw invalid(`${name} is not ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseCopy(raw: unknown, keyColumns: number | null): CopyPlanState | null {
  if (raw === null) return null;
  if (!isObject(raw)) throw invalid('copy is not an object');
  const key = (name: string) => (raw[name] === null ? null : decodeKey(raw[name], keyColumns));
  const done = field(raw, 'done', (v): v is boolean => typeof v === 'boolean', 'true or false');
  const copy = { min: key('min'), max: key('max'), watermark: key('watermark'), done };
  if ((copy.min === null) !== (copy.max === null)) throw invalid('copy has only one of min and max');
  if (copy.min === null && (copy.watermark !== null || !done)) throw invalid('an empty copy range is not done');
  return copy;
}

/** Parses and validates the stored text; `keyColumns` as decodeKey's. Throws RESUME_REFUSED. */
export function parseCheckpoint(text: string, keyColumns: number | null): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  if (!isObject(raw)) throw invalid('not an object');
  // Format 1 lacks the server's identity and GTIDs: resuming from it could not tell a failed-over or restored server.
  if (raw['format'] === 1)
    throw invalid(
      `format 1, written by an osc that did not record the server's identity and GTIDs, which this osc checks before it resumes: finish the run with the osc that started it, or start over with --initially-drop-ghost-table`,
    );
  if (raw['format'] !== CHECKPOINT_FORMAT)
    throw invalid(`format ${JSON.stringify(raw['format'])}, this osc reads format ${CHECKPOINT_FORMAT}`);
  const binlog = field(raw, 'binlog', isObject, 'an object');
  const server = field(raw, 'server', isObject, 'an object');
  const phase = field(raw, 'phase', isString, 'text');
  if (!(PHASES as readonly string[]).includes(phase)) throw invalid(`phase ${JSON.stringify(phase)} is unknown`);
  return {
    oscVersion: field(raw, 'osc', isString, 'text'),
    alter: field(raw, 'alter', isString, 'text'),
    key: field(raw, 'key', isString, 'text'),
    original: field(raw, 'original', isString, 'text'),
    ghost: field(raw, 'ghost', isString, 'text'),
    phase: phase as CheckpointPhase,
    copy: parseCopy(raw['copy'], keyColumns),
    binlog: {
      file: field(binlog, 'file', (v): v is string => isString(v) && v !== '', 'a file name'),
      position: field(binlog, 'position', isCount, 'a binlog offset'),
    },
    gtid: field(raw, 'gtid', (v): v is string | null => v === null || (isString(v) && v !== ''), 'a GTID text or null'),
    server: {
      serverId: field(server, 'id', isCount, 'a server id'),
      uuid: field(server, 'uuid', (v): v is string | null => v === null || (isString(v) && v !== ''), 'a UUID or null'),
    },
    writtenAt: field(raw, 'at', isCount, 'a time'),
  };
}

/** What this run would be; a checkpoint of another migration must not be continued. */
export interface ResumeExpectation {
  readonly oscVersion: string;
  readonly alter: string;
  readonly key: string;
  readonly original: string;
  readonly ghost: string;
}

/**
 * Null when the checkpoint is this migration's; else why not, in words for the operator. The version must be equal:
 * another version may copy, replay or checkpoint differently.
 */
export function resumeMismatch(c: Checkpoint, e: ResumeExpectation): string | null {
  if (c.oscVersion !== e.oscVersion)
    return `the checkpoint was written by osc ${c.oscVersion} and this is osc ${e.oscVersion}: resume with osc ${c.oscVersion}`;
  if (c.alter !== e.alter)
    return `the checkpoint is for another ALTER (${JSON.stringify(c.alter)}, not ${JSON.stringify(e.alter)}): resume with the same --alter`;
  if (c.original !== e.original)
    return 'the table definition changed since the run began (DDL on the original?): the ghost no longer matches it';
  if (c.ghost !== e.ghost) return 'the ghost table definition is not the one the run created (changed by hand?)';
  if (c.key !== e.key)
    return `the run copied along key ${c.key} and this run would choose ${e.key} (were the table's keys changed?)`;
  return null;
}

/**
 * Null when the checkpoint was written on this server; else why resuming here cannot work, naming both. A failover
 * target or a server restored elsewhere has binary logs of its own: the checkpoint's position means nothing there.
 */
export function identityMismatch(checkpointed: ServerIdentity, now: ServerIdentity): string | null {
  if (checkpointed.serverId === now.serverId && checkpointed.uuid === now.uuid) return null;
  const name = (s: ServerIdentity) =>
    s.uuid === null ? `server_id ${s.serverId}` : `server_uuid ${s.uuid}, server_id ${s.serverId}`;
  return `the checkpoint was written on another server (${name(checkpointed)}) than this one (${name(now)}): after a failover or a restore its binary log position means nothing here; point --host at the server the run began on, or start over with --initially-drop-ghost-table`;
}

/** Why resuming on a server that lacks the checkpoint's GTIDs cannot work; `missing` names them. */
export function gtidMissingMessage(c: Pick<Checkpoint, 'binlog'>, missing: string): string {
  return `this server has not executed ${missing}, which the run had already applied at binlog position ${c.binlog.file}:${c.binlog.position}: it lost transactions since the checkpoint (restored from a backup? failed over to a replica that was behind?), so that position means something else here; start over with --initially-drop-ghost-table`;
}

/** One row of SHOW BINARY LOGS. */
export interface BinaryLog {
  readonly name: string;
  readonly size: number;
}

/**
 * Null when the server still has the binary log (SHOW BINARY LOGS) and the position lies within it; else why
 * resuming cannot work.
 */
export function binlogMissing(at: BinlogPosition, available: readonly BinaryLog[]): string | null {
  const log = available.find((l) => l.name === at.file);
  if (log !== undefined && at.position <= log.size) return null;
  if (log !== undefined)
    return `the checkpoint's binlog position ${at.file}:${at.position} lies beyond the end of that log (${log.size} bytes): it is not this server's binary log (restored, or another server?); start over with --initially-drop-ghost-table`;
  const oldest = available[0];
  return (
    `binary log ${at.file}, where replay must go on, is no longer on the server` +
    (oldest === undefined ? '' : ` (the oldest is ${oldest.name})`) +
    ': it was purged, so changes made since cannot be replayed; start over with --initially-drop-ghost-table'
  );
}

/** The checkpoint in one line for the operator: phase, copy watermark state, binlog position (no key values). */
export function describeCheckpoint(c: Checkpoint, now: number): string {
  const copy =
    c.copy === null
      ? 'copy not started'
      : c.copy.done
        ? 'copy complete'
        : c.copy.watermark === null
          ? 'copy at its start'
          : 'copy part done';
  const age = Math.max(0, Math.round((now - c.writtenAt) / 1000));
  // The checksum's progress is not kept: a resumed run verifies the whole table again.
  const phase =
    c.phase === 'checksum' ? 'checksum (it died verifying the copy: the checksum runs again in full)' : c.phase;
  const gtid = c.gtid === null ? '' : ` (GTID ${c.gtid})`;
  return `phase ${phase}, ${copy}, binlog ${c.binlog.file}:${c.binlog.position}${gtid}, written ${age} s ago`;
}
