// The tables this run created (or, resumed, took over) and may drop again: the ghost (until it becomes the table),
// the changelog and the checkpoint.
// Cleanup removes exactly these, never a table of the same name that this run did not create.
import type { Logger } from '../../core/log.js';
import type { TableNames } from '../../core/names.js';
import { dropTable } from '../../core/sql/ddl.js';
import type { Db } from '../../io/db/pool.js';

export class OwnTables {
  private ghost = false;
  private changelog = false;
  private checkpoint = false;
  private swapped = false;

  constructor(
    private readonly database: string,
    private readonly names: TableNames,
    private readonly logger: Logger,
  ) {}

  ghostCreated(): void {
    this.ghost = true;
  }

  changelogCreated(): void {
    this.changelog = true;
  }

  checkpointCreated(): void {
    this.checkpoint = true;
  }

  /** --resume --execute: the dead run's tables, checked by the preflight, are this run's from now on. */
  adopt(): void {
    this.ghost = true;
    this.changelog = true;
    this.checkpoint = true;
  }

  /** The ghost is the table now: it is no longer this run's to drop. */
  tablesSwapped(): void {
    this.swapped = true;
  }

  get isSwapped(): boolean {
    return this.swapped;
  }

  /** The tables still this run's to drop. */
  left(): string[] {
    const own: string[] = [];
    if (this.ghost && !this.swapped) own.push(this.names.ghost);
    if (this.changelog) own.push(this.names.changelog);
    if (this.checkpoint) own.push(this.names.checkpoint);
    return own;
  }

  /** Drops the changelog once the run is done with it. */
  async dropChangelog(s: Db): Promise<void> {
    await s.run(dropTable(this.database, this.names.changelog));
    this.changelog = false;
  }

  /** Drops the checkpoint once the run no longer needs it (the tables were swapped). */
  async dropCheckpoint(s: Db): Promise<void> {
    await s.run(dropTable(this.database, this.names.checkpoint));
    this.checkpoint = false;
  }

  /**
   * Drops the ghost (unless it became the table), the changelog and the checkpoint, if this run created them. Each
   * is tried even when another fails (one may be locked by another session); the first error is thrown at the end.
   */
  async drop(s: Db): Promise<void> {
    let failure: Error | null = null;
    if (this.ghost && !this.swapped) {
      try {
        await s.run(dropTable(this.database, this.names.ghost));
        this.ghost = false;
        this.logger.info('ghost_dropped', { table: this.names.ghost });
      } catch (err) {
        failure = asError(err);
      }
    }
    if (this.changelog) {
      try {
        await s.run(dropTable(this.database, this.names.changelog));
        this.changelog = false;
        this.logger.info('changelog_dropped', { table: this.names.changelog });
      } catch (err) {
        failure ??= asError(err);
      }
    }
    if (this.checkpoint) {
      try {
        await s.run(dropTable(this.database, this.names.checkpoint));
        this.checkpoint = false;
        this.logger.info('checkpoint_dropped', { table: this.names.checkpoint });
      } catch (err) {
        failure ??= asError(err);
      }
    }
    if (failure !== null) throw failure;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
