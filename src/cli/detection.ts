import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VigilConfig } from '../config/schema.js';
import type { Alert } from '../event/types.js';
import {
  loadRulesWithOverrides,
  SigmaDetector,
  type AppliedOverride,
  type LoadedRules,
} from '../rules/index.js';
import type { ListRegistry } from '../rules/lists.js';

/** The shipped ruleset, beside src/ (and dist/) in the package. */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/builtin/', import.meta.url));

export interface Detection {
  detector: SigmaDetector;
  loaded: LoadedRules;
  /** What the config's `rules.overrides` changed, for `vigil rules list`. */
  applied: AppliedOverride[];
  /** Rule files and directories the set was loaded from. */
  paths: string[];
}

/** Rule paths the config names: the built-in set (when on and present) and the user's. */
export function rulePaths(config: VigilConfig): string[] {
  const paths: string[] = [];
  if (config.rules.builtin && fs.existsSync(BUILTIN_RULES_DIR)) paths.push(BUILTIN_RULES_DIR);
  paths.push(...config.rules.dirs);
  return paths;
}

/** `rules.placeholders` with every value a list. */
export function rulePlaceholders(config: VigilConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(config.rules.placeholders))
    out[k] = Array.isArray(v) ? v : [v];
  return out;
}

/** Loads and compiles the configured rules; problems are in `loaded.errors`, never thrown. */
export function loadDetection(
  config: VigilConfig,
  opts: { paths?: string[]; lists?: ListRegistry; configFile?: string } = {},
): Detection {
  const paths = opts.paths ?? rulePaths(config);
  const { applied, ...loaded } = loadRulesWithOverrides(paths, {
    mappingPaths: config.rules.mapping_dirs,
    placeholders: rulePlaceholders(config),
    overrides: config.rules.overrides,
    overridesSource: opts.configFile ?? 'config',
    ...(opts.lists ? { lists: opts.lists } : {}),
  });
  const detector = new SigmaDetector(loaded.rules, { correlations: loaded.correlations });
  return { detector, loaded, applied, paths };
}

/** One human line per alert: time, level, title, id, the values it grouped by. */
export function formatAlertLine(a: Alert): string {
  const group = Object.entries(a.group ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const who = [
    a.source?.ip ? `src=${a.source.ip}` : '',
    a.user?.name ? `user=${a.user.name}` : '',
    a.host?.name ? `host=${a.host.name}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    a['@timestamp'],
    a.rule.level.padEnd(8),
    `${a.rule.title} [${a.rule.id}]`,
    group || who,
    a.count > 1 ? `count=${a.count}` : '',
  ]
    .filter(Boolean)
    .join('  ');
}

/** What `vigil start` and `vigil scan` say about the rule set they loaded. */
export function reportRules(
  d: Detection,
  say = (line: string) => process.stderr.write(`vigil: ${line}\n`),
): void {
  for (const e of d.loaded.errors) say(`rule error: ${e.message}`);
  say(
    `rules: ${d.loaded.rules.length} active, ${d.loaded.inactive.length} inactive (vigil rules list), ${d.loaded.errors.length} with errors`,
  );
}
