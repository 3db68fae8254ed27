import path from 'node:path';
import { EXIT } from '../../errors.js';
import { loadRules, logSourceText } from '../../rules/index.js';
import { loadDetection } from '../detection.js';
import { loadFromOptions, printJson, type GlobalOptions } from '../context.js';

interface RuleRow {
  status: 'active' | 'inactive' | 'error';
  id: string;
  title: string;
  level: string;
  tags: string[];
  logsource: string;
  file: string;
  why?: string;
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** `vigil rules list`: every rule of the configured set, active or not and why. */
export async function rulesList(opts: GlobalOptions): Promise<number> {
  const { config } = loadFromOptions(opts);
  const { loaded } = loadDetection(config);
  const rows: RuleRow[] = [
    ...loaded.rules.map((r): RuleRow => ({
      status: 'active',
      id: r.id,
      title: r.title,
      level: r.level,
      tags: [...r.tags],
      logsource: logSourceText(r.rule.logsource),
      file: relative(r.rule.origin.file),
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
    }
    process.stdout.write(
      `${loaded.rules.length} active, ${loaded.inactive.length} inactive, ${loaded.errors.length} errors\n`,
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
