import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileCorpus } from '../src/rules/corpus.js';

/*
 * Sigma conformance: the share of SigmaHQ's Linux rules that vigil parses and
 * compiles, with every failure and its reason.
 *   node --import tsx conformance/sigma.ts [dir]
 */

const DEFAULT = fileURLToPath(
  new URL('../../shared/corpora/sigma-linux-rules/rules', import.meta.url),
);
const dir = process.argv[2] ?? DEFAULT;
if (!existsSync(dir)) {
  console.log(`sigma: corpus not found at ${dir}; skipped`);
  process.exit(0);
}

const r = compileCorpus(dir);
const pct = (n: number): string => (r.rules === 0 ? '0.0' : ((100 * n) / r.rules).toFixed(1));
console.log(`sigma rules: ${dir}`);
console.log(`  files       ${r.files}`);
console.log(`  rules       ${r.rules}`);
console.log(`  parsed      ${r.parsed} (${pct(r.parsed)}%)`);
console.log(`  compiled    ${r.compiled} (${pct(r.compiled)}%)  target ≥ 98%`);
console.log(`  inactive    ${r.inactive.length}`);
console.log(`  errors      ${r.errors.length}`);
console.log(`  compiled rules reading an unmapped field: ${r.withUnmappedFields}`);
if (r.byReason.size > 0) {
  console.log('failures by reason:');
  for (const [reason, n] of [...r.byReason].sort((a, b) => b[1] - a[1]))
    console.log(`  ${n}  ${reason}`);
  console.log('failures:');
  for (const f of [...r.errors, ...r.inactive]) {
    console.log(
      `  ${f.file}  ${f.ruleId ?? ''} ${f.title ? JSON.stringify(f.title) : ''}: ${f.reason}`,
    );
  }
}
if (r.unmappedFields.size > 0) {
  console.log('unmapped fields (rules reading them):');
  for (const [f, n] of [...r.unmappedFields].sort((a, b) => b[1] - a[1]))
    console.log(`  ${n}  ${f}`);
}
const ok = r.rules > 0 && r.compiled / r.rules >= 0.98;
console.log(`sigma: ${ok ? 'PASS' : 'FAIL'}`);
process.exitCode = ok ? 0 : 1;
