// The databases a test file made, dropped by schema-cleanup.ts when the file ends. No vitest import: scripts
// (scripts/demo.ts) share the helpers that record here.
const created = new Set<string>();

/** A database a test made: dropped when its file ends. */
export function rememberSchema(name: string): void {
  created.add(name);
}

/** The databases remembered since the last call (and forgets them). */
export function takeCreatedSchemas(): string[] {
  const all = [...created];
  created.clear();
  return all;
}
