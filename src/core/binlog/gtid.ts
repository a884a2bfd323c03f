// GTIDs as the checkpoint keeps them: the transactions the server must have executed for the checkpoint's binlog
// position to mean what it meant when written. Pure; each flavour in its own syntax, as the server prints it:
// - MySQL: a GTID set (`uuid:1-5,uuid2:7`, tagged `uuid:tag:9` too); the server checks containment itself
//   (GTID_SUBTRACT against @@gtid_executed), so osc never parses it.
// - MariaDB: a GTID position, one `domain-server-seq` per replication domain (as @@gtid_binlog_pos prints it);
//   compared here, per domain, by sequence number.
import type { Flavor } from '../types.js';

/**
 * The GTID state once the transaction `applied` (the GTID zongji attaches to its events; absent for anonymous
 * transactions and servers without GTIDs) is applied on top of `state`. MySQL: that transaction's GTID alone (a
 * subset of what is applied, enough to tell a server that lacks it). MariaDB: `state` with that domain's entry
 * replaced, so every other domain keeps its last known position.
 */
export function foldGtid(flavor: Flavor, state: string | null, applied: string | null | undefined): string | null {
  if (applied === null || applied === undefined || applied === '') return state;
  if (flavor === 'mysql') return applied;
  const next = parseMariadbGtidPosition(applied);
  const before = state === null ? [] : (parseMariadbGtidPosition(state) ?? []);
  if (next === null || next.length !== 1) return state;
  const [gtid] = next as [MariadbGtid];
  const kept = before.filter((g) => g.domain !== gtid.domain);
  return renderMariadbGtidPosition([...kept, gtid]);
}

export interface MariadbGtid {
  readonly domain: number;
  readonly server: number;
  readonly seq: bigint;
}

const MARIADB_GTID = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/;

/** A MariaDB GTID position (`0-1-42,1-2-7`, whitespace allowed); [] for ''; null when malformed. */
export function parseMariadbGtidPosition(text: string): MariadbGtid[] | null {
  const trimmed = text.replace(/\s+/g, '');
  if (trimmed === '') return [];
  const out: MariadbGtid[] = [];
  for (const part of trimmed.split(',')) {
    const m = MARIADB_GTID.exec(part);
    if (m === null) return null;
    out.push({ domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3]!) });
  }
  return out;
}

export function renderMariadbGtidPosition(gtids: readonly MariadbGtid[]): string {
  return [...gtids]
    .sort((a, b) => a.domain - b.domain)
    .map((g) => `${g.domain}-${g.server}-${g.seq}`)
    .join(',');
}

/**
 * MariaDB: the entries of the checkpoint's GTID position the server has not reached (its @@gtid_binlog_pos has no
 * entry for the domain, or a lower sequence number there), each with what the server has; [] when all are
 * contained, null when either text is malformed. Sequence numbers grow within a domain whichever server wrote
 * them (MariaDB's own rule for replicas' positions), so the server id is not compared.
 */
export function mariadbGtidsMissing(checkpoint: string, serverPos: string): string[] | null {
  const wanted = parseMariadbGtidPosition(checkpoint);
  const have = parseMariadbGtidPosition(serverPos);
  if (wanted === null || have === null) return null;
  const out: string[] = [];
  for (const g of wanted) {
    const on = have.find((h) => h.domain === g.domain);
    const text = renderMariadbGtidPosition([g]);
    if (on === undefined) out.push(`${text} (the server has no GTID in domain ${g.domain})`);
    else if (on.seq < g.seq)
      out.push(`${text} (the server's domain ${g.domain} is at ${renderMariadbGtidPosition([on])})`);
  }
  return out;
}

/** A GTID text as the server prints it, without the line breaks MySQL puts between sources; null when empty. */
export function normalizeGtidText(text: string | null | undefined): string | null {
  const t = (text ?? '').replace(/\s+/g, '');
  return t === '' ? null : t;
}
