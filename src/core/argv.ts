// What the process list shows of osc's command line: the password's value masked. bin/osc.ts sets it as the
// process title before anything else loads (Linux rewrites /proc/<pid>/cmdline in place).

export const PASSWORD_MASK = '***';

/**
 * `osc` and the arguments, with the value of --password masked; null when nothing needs masking (the title
 * stays as the system set it).
 */
export function maskedTitle(argv: readonly string[]): string | null {
  const args = argv.slice(2);
  let masked = false;
  const out = args.map((arg, i) => {
    if (arg.startsWith('--password=') && arg.length > '--password='.length) {
      masked = true;
      return `--password=${PASSWORD_MASK}`;
    }
    if (args[i - 1] === '--password' && arg !== '') {
      masked = true;
      return PASSWORD_MASK;
    }
    return arg;
  });
  return masked ? ['osc', ...out].join(' ') : null;
}
