// README's flag tables, rendered from core/flags.ts. `npm run docs:flags` writes them between the two markers;
// test/unit/flags.test.ts fails when README's section differs from what this renders.
import { FLAG_NAMES, GROUP_TITLES, flagHelp, flagSpec, shownDefault } from './flags.js';
import type { FlagGroup, FlagName } from './flags.js';

export const README_BEGIN =
  '<!-- flags:begin (generated from src/core/flags.ts by `npm run docs:flags`; do not edit) -->';
export const README_END = '<!-- flags:end -->';

/** Markdown outside code spans: `<` would start an HTML tag and `|` a new cell. */
function cell(markdown: string): string {
  return markdown
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replaceAll('<', '&lt;') : part))
    .join('`')
    .replaceAll('|', '\\|');
}

function row(name: FlagName): string {
  const spec = flagSpec(name);
  const shown = shownDefault(name);
  const fallback = shown !== null ? `\`${shown}\`` : spec.arg === undefined ? 'off' : '';
  const socket = spec.socket === undefined ? '' : `\`${name}=<${spec.arg ?? ''}>\``;
  return `| \`--${name}\` | ${cell(fallback)} | ${cell(socket)} | ${cell(flagHelp(name, true))} |`;
}

/** One table per group, in the list's order: flag, default, the socket command that changes it, meaning. */
export function renderFlagTables(): string {
  const groups = [...new Set(FLAG_NAMES.map((n) => flagSpec(n).group))] as FlagGroup[];
  const out: string[] = [];
  for (const group of groups) {
    out.push(`### ${GROUP_TITLES[group]}`, '', '| flag | default | socket | meaning |', '| --- | --- | --- | --- |');
    for (const name of FLAG_NAMES) if (flagSpec(name).group === group) out.push(row(name));
    out.push('');
  }
  return out.join('\n');
}

/** README with its flag section replaced by `tables`; throws when the markers are missing. */
export function replaceFlagSection(readme: string, tables: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin === -1 || end === -1 || end < begin)
    throw new Error(`README has no ${README_BEGIN} ... ${README_END} section`);
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${tables}${readme.slice(end)}`;
}
