// Writes the run's checkpoint every few seconds and at each phase change, off the copy's and replay's paths: one
// small upsert on a pool connection, from a state the orchestrator assembles when asked (no per-chunk write). A failed
// write is logged once per outage and never stops the run: it only makes a resume start further back.
import type { Checkpoint } from '../../core/checkpoint.js';
import type { Logger } from '../../core/log.js';
import { errorFields } from '../../io/db/errors.js';
import type { Db } from '../../io/db/pool.js';
import type { TablePlan } from '../../plan.js';
import { writeCheckpoint } from './store.js';

/** Seconds a resume may have to redo: the copy's ranges and the binlog events since the last write. */
export const CHECKPOINT_INTERVAL_MS = 2_000;

export class Checkpointer {
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failing = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly where: Pick<TablePlan, 'database' | 'checkpoint'>,
    /** The checkpoint as of now. */
    private readonly current: () => Checkpoint,
    private readonly logger: Logger,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => void this.write(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes now (a phase change); resolves when written or failed. Writes never overlap. */
  write(): Promise<void> {
    if (this.stopped) return this.chain;
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        await writeCheckpoint(this.db, this.where, this.current());
        if (this.failing) this.logger.info('checkpoint_restored');
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.logger.warn('checkpoint_failed', { errno: errorFields(err).errno });
        this.failing = true;
      }
    });
    return this.chain;
  }

  /** No write after this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.chain;
  }
}
