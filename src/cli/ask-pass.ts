// --ask-pass: the password typed on the terminal, not echoed (the terminal in raw mode), as the mysql client's -p.
import { ConfigError } from '../core/errors.js';

/** What the prompt needs of stdin: a TTY stream that can be put in raw mode. */
export interface PromptInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** Reads one line from the terminal without echo. Ctrl-C or Ctrl-D on an empty line refuses (exit 2). */
export function promptPassword(input: PromptInput, write: (text: string) => void, prompt: string): Promise<string> {
  if (input.isTTY !== true || input.setRawMode === undefined) {
    return Promise.reject(
      new ConfigError(
        'BAD_USAGE',
        '--ask-pass needs a terminal on stdin to prompt on: give the password in env OSC_PASSWORD or in --conf instead',
      ),
    );
  }
  const setRaw = input.setRawMode.bind(input);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err: Error | null) => {
      input.off('data', onData);
      setRaw(false);
      input.pause();
      write('\n');
      if (err === null) resolve(typed);
      else reject(err);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || (ch === '\u0004' && typed === '')) {
          return finish(new ConfigError('BAD_USAGE', 'no password entered at the --ask-pass prompt'));
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    // Raw (no echo) before the prompt shows: nothing typed after it can be echoed.
    setRaw(true);
    write(prompt);
    input.on('data', onData);
    input.resume();
  });
}
