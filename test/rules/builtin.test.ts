import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import { loadRules } from '../../src/rules/loader.js';
import { ListRegistry } from '../../src/rules/lists.js';
import { parseRuleText } from '../../src/rules/rule.js';
import {
  DEFAULT_RECEIVED,
  findRuleTests,
  formatRuleTestReport,
  ruleFileOf,
  runRuleTests,
  type RuleTestFile,
} from '../../src/rules/rule-tests.js';
import { ruleFiles } from '../../src/rules/loader.js';

const BUILTIN = fileURLToPath(new URL('../../rules/builtin', import.meta.url));

describe('built-in ruleset', () => {
  const loaded = loadRules([BUILTIN]);

  test('loads with no errors; only the rule that needs an undefined list is inactive', () => {
    assert.deepEqual(
      loaded.errors.map((e) => e.message),
      [],
    );
    assert.deepEqual(
      loaded.inactive.map((r) => `${r.title}: ${r.reason}`),
      [
        'Login from outside the expected networks: needs list login_networks (define it under lists:)',
      ],
    );
    assert.ok(loaded.rules.length >= 25, `${loaded.rules.length} rules`);
    assert.ok(loaded.correlations.length >= 8, `${loaded.correlations.length} correlations`);
  });

  test('defining login_networks activates the rule that needs it', () => {
    const lists = new ListRegistry();
    lists.setStatic('login_networks', ['10.0.0.0/8']);
    const withList = loadRules([BUILTIN], { lists });
    assert.deepEqual(withList.errors, []);
    assert.deepEqual(withList.inactive, []);
    assert.equal(withList.rules.length, loaded.rules.length + 1);
  });

  test('every rule: uuid id, name, author vigil, level, ATT&CK tags, date, description', () => {
    const ids = new Set<string>();
    for (const file of ruleFiles([BUILTIN])) {
      const parsed = parseRuleText(readFileSync(file, 'utf8'), file);
      assert.deepEqual(parsed.errors, []);
      for (const d of parsed.documents) {
        const where = `${file}: ${d.title}`;
        assert.match(
          d.id ?? '',
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          where,
        );
        assert.ok(!ids.has(d.id!), `duplicate id in ${where}`);
        ids.add(d.id!);
        assert.match(d.name ?? '', /^[a-z0-9_]+$/, where);
        assert.equal(d.author, 'vigil', where);
        assert.ok(d.description, where);
        assert.ok(d.date, where);
        assert.equal(d.type === 'filter', false, where);
        if (d.type !== 'filter') assert.ok(d.level, `${where}: level`);
        assert.ok(
          d.tags.some((t) => /^attack\.t\d{4}(\.\d{3})?$/.test(t)),
          `${where}: an ATT&CK technique tag`,
        );
        for (const t of d.tags) assert.match(t, /^attack\.[a-z0-9.-]+$/, where);
      }
    }
  });

  test('every rule file has a tests file with a positive and a negative sample', () => {
    const testFiles = new Set(findRuleTests([BUILTIN]));
    for (const file of ruleFiles([BUILTIN])) {
      const tf = file.replace(/\.yml$/, '.tests.yml');
      assert.ok(testFiles.has(tf), `${file} has no tests file`);
      assert.equal(ruleFileOf(tf), file);
      const spec = parseYaml(readFileSync(tf, 'utf8')) as RuleTestFile;
      const positive = spec.tests.some((t) =>
        'alerts' in t.expect ? t.expect.alerts > 0 : t.expect.match,
      );
      const negative = spec.tests.some((t) =>
        'alerts' in t.expect ? t.expect.alerts === 0 : !t.expect.match,
      );
      assert.ok(positive && negative, `${tf}: needs a positive and a negative sample`);
    }
  });

  test('every sample line decodes: no vigil.error, its own timestamp', () => {
    for (const tf of findRuleTests([BUILTIN])) {
      const spec = parseYaml(readFileSync(tf, 'utf8')) as RuleTestFile;
      for (const t of spec.tests) {
        const stage = createDecoderStage({
          hostName: 'testhost',
          timezone: parseTimeZone('UTC')!,
          maxRecordSize: 65536,
          decoderDirs: [],
          counters: new Counters(),
        });
        const received = new Date(DEFAULT_RECEIVED);
        const events = (t.lines ?? []).flatMap((text) =>
          stage.decode({ source: 'test', received, text }),
        );
        events.push(...stage.flush());
        for (const e of events) {
          const where = `${tf}: ${t.name}: ${e.event.original ?? ''}`;
          assert.equal(e.vigil.error, undefined, where);
          assert.notEqual(e['@timestamp'], received.toISOString(), `${where}: time not parsed`);
        }
      }
    }
  });

  test('vigil rules test: every sample passes (correlations included)', async () => {
    const report = await runRuleTests([BUILTIN]);
    assert.deepEqual(report.fileErrors, []);
    const failed = report.results.filter((r) => r.status !== 'pass');
    assert.deepEqual(failed, [], formatRuleTestReport(report));
    assert.ok(report.totals.tests >= 100, `${report.totals.tests} tests`);
    assert.equal(report.ok, true);
  });

  test('correlation tests alone resolve their base rules through the context', async () => {
    const report = await runRuleTests([`${BUILTIN}/correlation`], {
      context: [BUILTIN],
    });
    assert.equal(report.totals.failed, 0, formatRuleTestReport(report));
    assert.ok(report.totals.passed >= 20);
  });
});
