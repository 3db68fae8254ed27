import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors.js';

test('every error code is documented in docs/reference/errors.md with its exit status', () => {
  const doc = fs.readFileSync(
    path.join(import.meta.dirname, '..', '..', 'docs', 'reference', 'errors.md'),
    'utf8',
  );
  const documented = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `(VIGIL_ERR_[A-Z_]+)` \| (\d) \|/gm))
    documented.set(m[1]!, Number(m[2]));
  const coded = new Map(
    Object.entries(ERROR_CODES).map(([code, def]) => [code, def.exit as number]),
  );
  assert.deepEqual(documented, coded);
});
