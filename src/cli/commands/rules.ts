import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../errors.js';
import { loadRules, logSourceText, overridesByRule } from '../../rules/index.js';
import { formatRuleTestReport, runRuleTests } from '../../rules/rule-tests.js';
import type { ListRegistry } from '../../rules/lists.js';
import { loadDetection, rulePaths, rulePlaceholders } from '../detection.js';
import {
  loadFromOptions,
  openExistingStore,
  printJson,
  storePath,
  type GlobalOptions,
} from '../context.js';
import { loadLists } from '../lists.js';
import type { LoadedConfig } from '../../config/load.js';

interface RuleRow {
  status: 'active' | 'inactive' | 'error';
  id: string;
  title: string;
  level: string;
  tags: string[];
  logsource: string;
  file: string;
  why?: string;
  /** Changes the config made to the shipped rule, each with where it came from. */
  overrides?: Array<{ what: string; from: string }>;
}

/** Static lists, plus the live ones when a store exists: rules that need a list see it. */
async function currentLists(loaded: LoadedConfig): Promise<ListRegistry> {
  if (!fs.existsSync(storePath(loaded))) return loadLists(loaded.config, undefined);
  const store = await openExistingStore(loaded);
  try {
    return await loadLists(loaded.config, store);
  } finally {
    await store.close();
  }
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** `vigil rules list`: every rule of the configured set, active or not and why. */
export async function rulesList(opts: GlobalOptions): Promise<number> {
  const cfg = loadFromOptions(opts);
  const { loaded, applied } = loadDetection(cfg.config, {
    lists: await currentLists(cfg),
    ...(cfg.file ? { configFile: cfg.file } : {}),
  });
  const byRule = overridesByRule(applied);
  const overrides = (id: string | undefined, name: string | undefined) => {
    const list = [
      ...(id !== undefined ? (byRule.get(id) ?? []) : []),
      ...(name !== undefined && name !== id ? (byRule.get(name) ?? []) : []),
    ].map((a) => ({ what: a.what, from: a.from }));
    return list.length > 0 ? { overrides: list } : {};
  };
  const rows: RuleRow[] = [
    ...loaded.rules.map((r): RuleRow => ({
      status: 'active',
      id: r.id,
      title: r.title,
      level: r.level,
      tags: [...r.tags],
      logsource: logSourceText(r.rule.logsource),
      file: relative(r.rule.origin.file),
      ...overrides(r.rule.id, r.rule.name),
    })),
    ...loaded.correlations.map((c): RuleRow => ({
      status: 'active',
      id: c.id,
      title: c.title,
      level: c.level,
      tags: [...c.tags],
      logsource: `correlation ${c.type} over ${c.timespan}`,
      file: relative(c.correlation.origin.file),
      ...overrides(c.correlation.id, c.correlation.name),
    })),
    ...loaded.inactive.map((r): RuleRow => ({
      status: 'inactive',
      id: r.id ?? '-',
      title: r.title,
      level: '-',
      tags: [],
      logsource: '-',
      file: relative(r.file),
      why: r.reason,
      ...overrides(r.id, undefined),
    })),
    ...loaded.errors.map((e): RuleRow => ({
      status: 'error',
      id: e.ruleId ?? '-',
      title: e.title ?? '-',
      level: '-',
      tags: [],
      logsource: '-',
      file: e.file ? relative(e.file) : '-',
      why: e.message,
    })),
  ];
  if (opts.json) {
    for (const r of rows) printJson(r);
  } else {
    for (const r of rows) {
      const head = `${r.status.padEnd(8)} ${r.level.padEnd(13)} ${r.title} [${r.id}]`;
      const tail = r.status === 'active' ? `${r.logsource}  ${r.tags.join(' ')}` : (r.why ?? '');
      process.stdout.write(`${head}\n         ${tail}  (${r.file})\n`);
      for (const o of r.overrides ?? []) {
        process.stdout.write(`         override: ${o.what}  (${o.from})\n`);
      }
    }
    process.stdout.write(
      `${loaded.rules.length} rules and ${loaded.correlations.length} correlations active, ${loaded.inactive.length} inactive, ${loaded.errors.length} errors, ${applied.length} overrides\n`,
    );
  }
  return EXIT.OK;
}

/** `vigil rules check FILE...`: parse and compile rule files; exit 2 listing every problem. */
export async function rulesCheck(files: string[], opts: GlobalOptions): Promise<number> {
  const { config } = loadFromOptions(opts);
  const loaded = loadRules(files, { mappingPaths: config.rules.mapping_dirs });
  if (opts.json) {
    printJson({
      rules: loaded.rules.length,
      inactive: loaded.inactive.map((r) => ({
        id: r.id,
        title: r.title,
        file: r.file,
        why: r.reason,
      })),
      errors: loaded.errors.map((e) => ({
        file: e.file,
        id: e.ruleId,
        title: e.title,
        key: e.key,
        why: e.message,
      })),
    });
  } else {
    for (const e of loaded.errors) process.stderr.write(`vigil: ${e.message}\n`);
    for (const r of loaded.inactive)
      process.stdout.write(`inactive: ${r.title} [${r.id ?? '-'}]: ${r.reason}\n`);
    process.stdout.write(
      `${loaded.files.length} files: ${loaded.rules.length} rules compile, ${loaded.inactive.length} inactive, ${loaded.errors.length} errors\n`,
    );
  }
  return loaded.errors.length > 0 ? EXIT.USAGE : EXIT.OK;
}

/**
 * `vigil rules test [PATH...]`: runs the samples in `*.tests.yml` beside rule
 * files (default: every configured rule directory, the built-in set included)
 * through the real decoders and detector; exit 1 when any fails. Overrides
 * from the config are not applied: the samples describe the rule as written.
 */
export async function rulesTest(
  paths: string[],
  opts: GlobalOptions & { verbose?: boolean },
): Promise<number> {
  const loaded = loadFromOptions(opts);
  const { config } = loaded;
  const configured = rulePaths(config);
  const report = await runRuleTests(paths.length > 0 ? paths : configured, {
    decoderDirs: config.decoders.dirs,
    mappingPaths: config.rules.mapping_dirs,
    placeholders: rulePlaceholders(config),
    lists: await loadLists(config, undefined),
    context: configured,
  });
  if (opts.json) {
    for (const r of report.results) printJson(r);
    for (const e of report.fileErrors) printJson({ status: 'error', ...e });
    printJson({ totals: report.totals, ok: report.ok });
  } else {
    process.stdout.write(`${formatRuleTestReport(report, opts.verbose ?? false)}\n`);
  }
  if (report.fileErrors.length > 0 && report.totals.tests === 0) return EXIT.USAGE;
  return report.ok ? EXIT.OK : EXIT.FINDINGS;
}
