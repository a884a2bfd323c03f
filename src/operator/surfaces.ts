// What the operator sees and steers while a migration runs: the control socket, /metrics, the panic flag file,
// the progress output and the status hook. Started and closed by the orchestrator; none of it touches the data.
import { existsSync } from 'node:fs';
import type { HostPort, MigrationConfig } from '../core/config.js';
import { renderStatusLine, type ProgressSnapshot } from '../core/progress.js';
import type { TunablesWriter } from '../core/tunables.js';
import { createControlHandler } from './control-handler.js';
import type { Hooks } from './hooks.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { serveMetrics, type MetricsServer, type OscMetrics } from './metrics.js';
import { createProgressOutput, createTerminal, type ProgressOutput, type Terminal } from './terminal.js';
import type { Logger } from '../core/log.js';

const PANIC_POLL_MS = 100;
/** gh-ost's --hooks-status-interval default. */
const STATUS_HOOK_SECONDS = 60;

export interface OperatorDeps {
  readonly config: MigrationConfig;
  readonly tunables: TunablesWriter;
  readonly hooks: Hooks;
  readonly metrics: OscMetrics;
  readonly logger: Logger;
  readonly terminal: Terminal | undefined;
  readonly snapshot: () => ProgressSnapshot;
  readonly panic: (source: string) => void;
}

export class OperatorSurfaces {
  private control: ControlServer | null = null;
  private metricsServer: MetricsServer | null = null;
  private panicWatch: NodeJS.Timeout | null = null;
  private progress: ProgressOutput | null = null;
  private statusHook: { stop(): void } | null = null;

  constructor(private readonly deps: OperatorDeps) {}

  /** Polls the panic flag file and the socket's panic request. */
  watchPanic(): void {
    const file = this.deps.config.panicFlagFile;
    this.panicWatch = setInterval(() => {
      if (this.deps.tunables.current().panicRequested) this.deps.panic('control socket');
      else if (file !== null && existsSync(file)) this.deps.panic(`flag file ${file}`);
    }, PANIC_POLL_MS);
    this.panicWatch.unref();
  }

  /** Metrics are for watching, not for safety: an address already in use costs the dashboard, not the run. */
  async startMetrics(address: HostPort): Promise<void> {
    try {
      this.metricsServer = await serveMetrics(this.deps.metrics.registry, address);
      this.deps.logger.info('metrics', { url: this.metricsServer.url });
    } catch (err) {
      this.deps.logger.warn('metrics_unavailable', {
        address: `${address.host}:${address.port}`,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** Call only while holding the run lock: the stale-socket probe is race-free only between runs that cannot overlap. */
  async startControl(): Promise<void> {
    const { config, tunables, hooks, logger, snapshot, panic } = this.deps;
    const handle = createControlHandler({
      tunables,
      snapshot,
      coordinates: () => snapshot().binlogPosition ?? '',
      table: config.table,
      forceNamedCutOver: config.forceNamedCutOver,
      forceNamedPanic: config.forceNamedPanic,
      logger,
      onPanic: () => panic('control socket'),
    });
    this.control = await startControlServer({
      socketFile: config.serveSocketFile,
      tcpPort: config.serveTcpPort,
      logger,
      // osc-on-interactive-command after each command; the reply does not wait for the hook.
      handle: (line) => {
        const reply = handle(line);
        if (line.trim() !== '') void hooks.run('osc-on-interactive-command', { OSC_COMMAND: line.trim() });
        return reply;
      },
    });
    logger.info('control_socket', { path: config.serveSocketFile, tcp_port: config.serveTcpPort ?? undefined });
  }

  /** The live progress line (or plain status lines) and the status hook, once rows start moving. */
  startProgress(): void {
    const { config, logger, snapshot, hooks, terminal } = this.deps;
    this.progress = createProgressOutput({
      terminal: terminal ?? createTerminal({ write: () => {}, isTTY: false }),
      intervalSeconds: config.statusIntervalSeconds,
      quiet: config.quiet,
      snapshot,
      logger,
    });
    this.progress.start();
    this.statusHook = hooks.startStatusHook(STATUS_HOOK_SECONDS, () => renderStatusLine(snapshot()));
  }

  async close(): Promise<void> {
    this.progress?.stop();
    this.statusHook?.stop();
    if (this.panicWatch) clearInterval(this.panicWatch);
    await this.metricsServer?.close().catch(() => undefined);
    await this.control?.close().catch(() => undefined);
    this.progress = null;
    this.statusHook = null;
    this.panicWatch = null;
    this.metricsServer = null;
    this.control = null;
  }
}
