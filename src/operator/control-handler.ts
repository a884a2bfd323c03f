// Executes control-socket commands: parse (core/control/protocol.ts), check, apply to the Tunables
// (this handler is their only writer), reply. Knows nothing of sockets: the server hands it a line.
import { closeSync, openSync } from 'node:fs';
import type { ActionName, SetCommand } from '../core/control/protocol.js';
import {
  applySetting,
  checkTableArgument,
  parseCommand,
  renderError,
  renderHelp,
  renderOk,
  renderSetValue,
  renderSetting,
  renderStatus,
} from '../core/control/protocol.js';
import type { ProgressSnapshot } from '../core/progress.js';
import { renderStatusLine } from '../core/progress.js';
import type { TunablesWriter } from '../core/tunables.js';
import type { Logger } from '../core/log.js';

export interface ControlHandlerDeps {
  readonly tunables: TunablesWriter;
  readonly snapshot: () => ProgressSnapshot;
  /** The binlog position replayed so far, as the status line shows it. */
  readonly coordinates: () => string;
  /** The migrated table's name: the safety argument of throttle/unpostpone/panic must equal it. */
  readonly table: string;
  readonly forceNamedCutOver: boolean;
  readonly forceNamedPanic: boolean;
  readonly logger: Logger;
  /** `panic` passed its checks: abort at once (the original table stays untouched). */
  readonly onPanic: () => void;
  /** Every well-formed command, before it runs (the interactive-command hook); a throw is logged, not replied. */
  readonly onCommand?: (name: string, line: string) => void;
  /** `postpone-cut-over-flag-file=PATH` creates the file, as gh-ost does; tests replace this. */
  readonly createFlagFile?: (path: string) => void;
}

export type ControlHandler = (line: string) => string;

/** Creates the file if it is missing; leaves an existing one as it is. */
function touch(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
}

const THROTTLE_HINT = 'binlog replay goes on; throttle only as long as the server keeps its binary logs';

export function createControlHandler(deps: ControlHandlerDeps): ControlHandler {
  const { tunables, logger } = deps;
  const createFlagFile = deps.createFlagFile ?? touch;

  const changed = (name: string, value?: string): void => {
    logger.info('control_command', { name, value });
  };

  function set(command: SetCommand): string {
    if (command.name === 'postpone-cut-over-flag-file' && command.value !== null) {
      try {
        createFlagFile(command.value);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        return renderError(`cannot create ${command.value}: ${reason}`);
      }
    }
    applySetting(tunables, command);
    const value = renderSetValue(command);
    changed(command.name, value);
    return renderOk(`${command.name}=${value}`);
  }

  function act(name: ActionName, table: string | null): string {
    const refusal = checkTableArgument(name, table, deps.table, {
      cutOver: deps.forceNamedCutOver,
      panic: deps.forceNamedPanic,
    });
    if (refusal !== null) return renderError(refusal);
    switch (name) {
      case 'throttle':
        tunables.set('throttledByUser', true);
        changed(name, 'true');
        return renderOk(`throttled by user; ${THROTTLE_HINT}`);
      case 'no-throttle':
        tunables.set('throttledByUser', false);
        changed(name, 'false');
        return renderOk('user throttle lifted; other throttle reasons may still apply');
      case 'unpostpone': {
        // Kept even before the copy ends: cut-over then goes ahead without waiting for the flag file.
        tunables.set('cutOverReleased', true);
        changed(name, 'true');
        const postponing = deps.snapshot().phase === 'postponed';
        return renderOk(postponing ? 'unpostponed; cutting over' : 'cut-over will not be postponed');
      }
      case 'panic':
        tunables.set('panicRequested', true);
        logger.warn('control_command', { name, value: 'true' });
        deps.onPanic();
        return renderOk('panic: aborting the migration; the original table stays untouched');
    }
  }

  return (line) => {
    const command = parseCommand(line);
    if (command.kind === 'error') return renderError(command.message);
    try {
      deps.onCommand?.(command.name, line.trim());
    } catch (err) {
      logger.warn('control_command_hook_failed', {
        name: command.name,
        message: err instanceof Error ? err.message : String(err),
      });
    }
    switch (command.kind) {
      case 'info':
        switch (command.name) {
          case 'help':
            return renderHelp();
          case 'status':
            return renderStatus(deps.snapshot(), tunables.current());
          case 'sup':
            return `${renderStatusLine(deps.snapshot())}\n`;
          case 'coordinates':
            return `${deps.coordinates() || '-'}\n`;
        }
        break;
      case 'read':
        return `${renderSetting(command.name, tunables.current())}\n`;
      case 'set':
        return set(command);
      case 'action':
        return act(command.name, command.table);
    }
  };
}
