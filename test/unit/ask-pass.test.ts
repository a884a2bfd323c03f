import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { promptPassword, type PromptInput } from '../../src/cli/ask-pass.js';

/** A fake terminal: records raw mode, delivers typed chunks. */
function terminal(isTTY = true) {
  const events = new EventEmitter();
  const raw: boolean[] = [];
  const input: PromptInput = {
    isTTY,
    setRawMode: (m: boolean) => raw.push(m),
    on: (e, l) => events.on(e, l),
    off: (e, l) => events.off(e, l),
    resume: () => undefined,
    pause: () => undefined,
  };
  return { input, raw, type: (s: string) => events.emit('data', Buffer.from(s)) };
}

describe('promptPassword (--ask-pass)', () => {
  it('reads a line in raw mode (no echo), with backspace, and restores the terminal', async () => {
    const t = terminal();
    let shown = '';
    const p = promptPassword(t.input, (s) => (shown += s), 'Password: ');
    t.type('s3x');
    t.type('\u007fcrét\r');
    await expect(p).resolves.toBe('s3crét');
    expect(t.raw).toEqual([true, false]);
    expect(shown).toBe('Password: \n');
  });

  it('refuses on Ctrl-C, exit 2', async () => {
    const t = terminal();
    const p = promptPassword(t.input, () => undefined, 'Password: ');
    t.type('ab\u0003');
    await expect(p).rejects.toMatchObject({
      code: 'BAD_USAGE',
      message: 'no password entered at the --ask-pass prompt',
    });
    expect(t.raw).toEqual([true, false]);
  });

  it('refuses without a terminal, naming the other ways', async () => {
    const err = await promptPassword(terminal(false).input, () => undefined, 'Password: ').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_USAGE' });
    expect((err as Error).message).toMatch(/needs a terminal.*OSC_PASSWORD.*--conf/);
  });
});
