// osc's CLI in a child process, for tests that kill it (SIGKILL leaves what a crash leaves) or signal it:
// `node --import tsx test/support/osc-pausing-child.ts <osc arguments>`. With OSC_TEST_PAUSE_AT=<cut-over step> (a step of
// CUT_OVER_STEPS), the cut-over stops right after that step, writes `osc-test-paused <step>` to stderr and waits
// there until killed, or until SIGTERM or SIGINT, which osc's own handler also receives: the cut-over then goes on
// and meets the abort. The same afterStep hook the in-process cut-over fault tests use.
import { main } from '../../src/cli/main.js';

const pauseAt = process.env['OSC_TEST_PAUSE_AT'];

process.exitCode = await main(
  process.argv,
  pauseAt === undefined || pauseAt === ''
    ? {}
    : {
        cutOverTesting: {
          afterStep: async (step) => {
            if (step !== pauseAt) return;
            process.stderr.write(`osc-test-paused ${step}\n`);
            const keepAlive = setInterval(() => undefined, 60_000);
            await new Promise<void>((resolve) => {
              process.once('SIGTERM', resolve);
              process.once('SIGINT', resolve);
            });
            clearInterval(keepAlive);
          },
        },
      },
);
