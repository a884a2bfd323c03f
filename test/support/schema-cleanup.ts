// Integration setup file: drops the databases a test file made with freshSchema once the file ends, so that the
// long-lived sandboxes on a developer's machine do not fill its disk (a whole suite made ~2,600 of them). A file
// with a failed test keeps its databases, to be looked at.
import { afterAll, afterEach } from 'vitest';
import { quoteId } from '../../src/core/sql/quote.js';
import { takeCreatedSchemas } from './schema-registry.js';
import { adminConnection } from './servers.js';

let failed = false;

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  const schemas = takeCreatedSchemas();
  if (failed || schemas.length === 0) return;
  const conn = await adminConnection();
  try {
    for (const s of schemas) await conn.query(`DROP DATABASE IF EXISTS ${quoteId(s)}`);
  } finally {
    await conn.end();
  }
});
