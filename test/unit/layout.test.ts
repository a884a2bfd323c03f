// README's Layout tree must name exactly the folders under src/: a new folder without its line (or a line left
// behind by a removed folder) fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The folders of the first fenced block of README's `## Layout` section, as paths like `src/stages/copy`. */
function layoutFolders(readme: string): string[] {
  const section = /^## Layout\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1] ?? '';
  const block = /^```\n([\s\S]*?)^```/m.exec(section)?.[1] ?? '';
  const stack: string[] = [];
  const folders: string[] = [];
  for (const line of block.split('\n')) {
    const m = /^( *)(\S+)\/(?:\s|$)/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 2;
    stack.length = depth;
    stack.push(m[2] ?? '');
    folders.push(stack.join('/'));
  }
  return folders;
}

function foldersUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => {
      const path = join(dir, e.name);
      return [relative(ROOT, path).split('\\').join('/'), ...foldersUnder(path)];
    });
}

describe("README's Layout", () => {
  it('names every folder under src/ and no other', () => {
    const named = layoutFolders(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(named[0]).toBe('src');
    expect(named.slice(1).sort()).toEqual(foldersUnder(join(ROOT, 'src')).sort());
  });
  it('reads nesting from indentation', () => {
    const readme =
      '# x\n\n## Layout\n\n```\nsrc/\n  a/    what\n    b/\n  c.ts\n  d/\n```\n\n## Next\n```\nsrc/\n  e/\n```\n';
    expect(layoutFolders(readme)).toEqual(['src', 'src/a', 'src/a/b', 'src/d']);
  });
});
