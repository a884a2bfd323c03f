// --conf: a my.cnf-style file; only the [client] section's keys that core/flags.ts marks `conf` are read
// (user, password, host and port).
import { ConfigError } from '../core/errors.js';
import { CONF_KEYS } from '../core/flags.js';
import type { ConfKey } from '../core/flags.js';

/** The path as given (for messages), and each key's raw text; options.ts validates it like the flag. */
export type ConfFile = { readonly path: string } & { readonly [K in ConfKey]?: string };

const KEYS: ReadonlySet<string> = new Set<string>(CONF_KEYS);

// The escapes the MySQL option-file reader understands inside values.
const ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  t: '\t',
  n: '\n',
  r: '\r',
  s: ' ',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

function bad(path: string, line: number, what: string): ConfigError {
  return new ConfigError('BAD_USAGE', `--conf ${path} line ${line}: ${what}`);
}

/** The value after `=`: quoted (the rest may only be a comment) or bare (a `#` starts a comment). */
function parseValue(raw: string, path: string, line: number): string {
  const text = raw.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const ch = text[i] as string;
      if (ch === quote) {
        const rest = text.slice(i + 1).trim();
        if (rest !== '' && !rest.startsWith('#')) throw bad(path, line, `unexpected text after the closing quote`);
        return out;
      }
      if (ch === '\\' && i + 1 < text.length) {
        const next = text[i + 1] as string;
        const esc = ESCAPES[next];
        out += esc ?? '\\' + next;
        i++;
        continue;
      }
      out += ch;
    }
    throw bad(path, line, `missing closing ${quote}`);
  }
  const hash = text.indexOf('#');
  const bare = (hash === -1 ? text : text.slice(0, hash)).trim();
  return bare.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
}

/** Pure: the [client] values of a my.cnf-style text. Later lines win, as in MySQL. */
export function parseConfFile(text: string, path: string): ConfFile {
  const found: Partial<Record<ConfKey, string>> = {};
  let inClient = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    // !include / !includedir: other files are not followed; their [client] values are not read.
    if (line.startsWith('!')) continue;
    if (line.startsWith('[')) {
      const m = /^\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$/.exec(line);
      if (!m) throw bad(path, n + 1, `malformed section header`);
      inClient = (m[1] as string).toLowerCase() === 'client';
      continue;
    }
    if (!inClient) continue;
    const eq = line.indexOf('=');
    // A bare option name without a value (e.g. `password` alone asks for a prompt): nothing to read.
    if (eq === -1) continue;
    // MySQL treats - and _ alike in option names.
    const key = line.slice(0, eq).trim().toLowerCase().replace(/-/g, '_');
    if (!KEYS.has(key)) continue;
    found[key as ConfKey] = parseValue(line.slice(eq + 1), path, n + 1);
  }
  return { path, ...found };
}

/** Reads and parses the file; an unreadable file is a usage error (exit 2). */
export function loadConfFile(path: string, readFile: (path: string) => string): ConfFile {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError('BAD_USAGE', `cannot read --conf ${path}: ${reason}`, { cause: err });
  }
  return parseConfFile(text, path);
}
