import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { createDecoderStage } from '../decoders/index.js';
import { Counters } from '../event/counters.js';
import { parseTimeZone } from '../event/timezone.js';
import type { Alert, Event } from '../event/types.js';
import type { Detector } from '../pipeline/detect.js';
import { EventView, matches, type CompiledRule } from './compile.js';
import { SigmaDetector } from './detector.js';
import type { RuleError } from './errors.js';
import { ListRegistry } from './lists.js';
import { loadRules, ruleFiles, type InactiveRule, type LoadedRules } from './loader.js';
import { parseRuleText } from './rule.js';

/*
 * Rule unit tests (`vigil rules test [PATHS]`). Rule files stay pure Sigma;
 * the samples live beside each rule in `<rule>.tests.yml`:
 *
 *   tests:
 *     - name: root login with a key
 *       lines: ['Mar 15 10:00:01 web1 sshd[7]: Accepted publickey for root from 203.0.113.5 port 4242 ssh2']
 *       expect: { alerts: 1 }
 *     - name: a partial event
 *       events: [{ event.action: ssh_login, user: { name: alice } }]
 *       expect: { match: false }
 *
 * Raw lines go through the real decode stage, events are completed with the
 * fields every event has; both then go through a fresh detector per test.
 * Format: docs/reference/rules.md ("Rule tests").
 */

// ---- the file format -------------------------------------------------------

/** Pinned receive time (year inference for syslog lines without a year). */
export const DEFAULT_RECEIVED = '2026-03-15T12:00:00.000Z';

const expectSchema = z.union([
  z.strictObject({
    /** Alerts the rule(s) under test raise over the whole sample (after flush). */
    alerts: z.number().int().nonnegative(),
  }),
  z.strictObject({
    /** Whether the rule's detection holds for some event of the sample. */
    match: z.boolean(),
  }),
]);

const sampleSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Only this rule (id or name) of the rule file; default every rule in it. */
    rule: z.string().optional(),
    /** Raw log lines, decoded by the real decoders in order. */
    lines: z.array(z.string()).optional(),
    /** Partial ECS events; dotted keys (`event.action`) are allowed. */
    events: z.array(z.record(z.string(), z.unknown())).optional(),
    expect: expectSchema,
    /** Zone for timestamps without one (default UTC). */
    timezone: z.string().optional(),
    /** Record format hint: auto, syslog, json, auditd, apache, nginx, plain. */
    format: z.enum(['auto', 'syslog', 'json', 'auditd', 'apache', 'nginx', 'plain']).optional(),
    /** Receive time (ISO 8601): settles the year of syslog lines; default 2026-03-15T12:00Z. */
    received: z.string().optional(),
    /** host.name for records that carry none (default `testhost`). */
    host: z.string().optional(),
  })
  .refine((t) => (t.lines?.length ?? 0) + (t.events?.length ?? 0) > 0, {
    message: 'needs lines or events',
  });

export const ruleTestFileSchema = z.strictObject({
  /** Default `rule` for every test of the file. */
  rule: z.string().optional(),
  /**
   * `%name%` placeholder values for this file's tests (over the run's own):
   * the rule set is compiled again with them for this file.
   */
  placeholders: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  /** Named lists (values or networks) for this file's tests, as `lists:` in the config. */
  lists: z.record(z.string(), z.array(z.string())).optional(),
  tests: z.array(sampleSchema).min(1),
});

export type RuleTestSample = z.output<typeof sampleSchema>;
export type RuleTestFile = z.output<typeof ruleTestFileSchema>;

// ---- finding test files ----------------------------------------------------

const TEST_SUFFIXES = ['.tests.yml', '.tests.yaml'];

function isTestFile(p: string): boolean {
  return TEST_SUFFIXES.some((s) => p.endsWith(s));
}

/** `x.yml` → `x.tests.yml` (or `.tests.yaml`) when it exists. */
function testFileOf(ruleFile: string): string | undefined {
  const stem = ruleFile.replace(/\.ya?ml$/, '');
  for (const s of TEST_SUFFIXES) if (existsSync(stem + s)) return stem + s;
  return undefined;
}

/** `x.tests.yml` → `x.yml` (or `x.yaml`) when it exists. */
export function ruleFileOf(testFile: string): string | undefined {
  const stem = testFile.replace(/\.tests\.ya?ml$/, '');
  for (const ext of ['.yml', '.yaml']) if (existsSync(stem + ext)) return stem + ext;
  return undefined;
}

/**
 * The test files for the paths: directories are searched recursively for
 * `*.tests.yml`, a rule file stands for its sibling tests file, a tests file
 * for itself. Sorted, without duplicates; paths that do not exist are skipped.
 */
export function findRuleTests(paths: readonly string[]): string[] {
  const out = new Set<string>();
  const walk = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (!name.startsWith('.')) walk(join(p, name));
      }
    } else if (isTestFile(p)) {
      out.add(p);
    } else if (/\.ya?ml$/.test(p)) {
      const t = testFileOf(p);
      if (t) out.add(t);
    }
  };
  for (const p of paths) walk(p);
  return [...out].sort();
}

// ---- running ---------------------------------------------------------------

export interface RuleTestOptions {
  /** Extra YAML decoder directories (as `decoders.dirs`). */
  decoderDirs?: readonly string[];
  /** Extra mapping files or directories (as `rules.mapping_dirs`). */
  mappingPaths?: readonly string[];
  /** Values for `%name%` placeholders (as `rules.placeholders`). */
  placeholders?: Readonly<Record<string, readonly string[]>>;
  /** Named lists the rules read with `inlist` (as the config's `lists:`). */
  lists?: ListRegistry;
  /**
   * Rule files or directories loaded with the tested ones so references
   * resolve (e.g. the built-in set when testing your own correlations); their
   * own tests are not run.
   */
  context?: readonly string[];
  /** A rule set already loaded (the paths are then only searched for tests). */
  loaded?: LoadedRules;
  /**
   * Builds the detector a test runs through; one per test, so state never
   * leaks between tests. Default: a SigmaDetector over `loaded.rules` and
   * `loaded.correlations` (alert chaining included).
   */
  detector?: (loaded: LoadedRules) => Detector;
}

export type RuleTestStatus = 'pass' | 'fail' | 'skip';

export interface RuleTestResult {
  /** The tests file. */
  readonly file: string;
  /** The rule file beside it, when found. */
  readonly ruleFile?: string;
  readonly name: string;
  /** Ids of the rules under test. */
  readonly rules: readonly string[];
  readonly status: RuleTestStatus;
  /** Why it failed or was skipped; what happened when it passed. */
  readonly reason: string;
  /** Alerts the rules under test raised. */
  readonly alerts: number;
  /** Every rule that raised an alert in this test, with its count. */
  readonly fired: readonly { id: string; title: string; count: number }[];
  /** Events the sample became (after decoding). */
  readonly events: number;
}

export interface RuleTestFileError {
  readonly file: string;
  readonly message: string;
}

export interface RuleTestReport {
  readonly results: RuleTestResult[];
  /** Tests files that could not be read or do not follow the format. */
  readonly fileErrors: RuleTestFileError[];
  /** Errors loading the rules under test. */
  readonly loadErrors: RuleError[];
  readonly totals: {
    readonly files: number;
    readonly tests: number;
    readonly passed: number;
    readonly failed: number;
    readonly skipped: number;
  };
  /** True when nothing failed (skips are fine) and every tests file was valid. */
  readonly ok: boolean;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `{ 'event.action': x, user: { name: y } }` → nested objects, merged. */
export function expandDotted(input: Obj): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(input)) {
    const parts = key === '@timestamp' ? [key] : key.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (!isObj(next)) node[p] = {};
      node = node[p] as Obj;
    }
    const last = parts[parts.length - 1]!;
    const v = isObj(value) ? expandDotted(value) : value;
    const prev = node[last];
    node[last] = isObj(prev) && isObj(v) ? { ...prev, ...v } : v;
  }
  return out;
}

/** A partial event completed with what every event has. */
function completeEvent(partial: Obj, index: number, received: Date): Event {
  const e = expandDotted(partial);
  const event = isObj(e.event) ? e.event : {};
  const vigil = isObj(e.vigil) ? e.vigil : {};
  return {
    ...e,
    '@timestamp':
      typeof e['@timestamp'] === 'string'
        ? e['@timestamp']
        : new Date(received.getTime() + index * 1000).toISOString(),
    event: { kind: 'event', ...event },
    vigil: { source: 'rule-test', ...vigil },
  } as Event;
}

/** The events of one sample: decoded lines, then the given events. */
function sampleEvents(t: RuleTestSample, opts: RuleTestOptions): Event[] {
  const received = new Date(t.received ?? DEFAULT_RECEIVED);
  if (Number.isNaN(received.getTime())) throw new Error(`received: not a date: ${t.received}`);
  const out: Event[] = [];
  if (t.lines && t.lines.length > 0) {
    const timezone = parseTimeZone(t.timezone ?? 'UTC');
    if (!timezone) throw new Error(`timezone: unknown zone ${JSON.stringify(t.timezone)}`);
    const stage = createDecoderStage({
      hostName: t.host ?? 'testhost',
      timezone,
      maxRecordSize: 65536,
      decoderDirs: [...(opts.decoderDirs ?? [])],
      counters: new Counters(),
    });
    for (const text of t.lines) {
      out.push(...stage.decode({ source: 'rule-test', received, text, format: t.format }));
    }
    out.push(...stage.flush());
  }
  (t.events ?? []).forEach((e, i) => out.push(completeEvent(e, i, received)));
  return out;
}

interface RuleFileInfo {
  /** Ids (or names, for rules without an id) of the rules the file defines, in order. */
  ids: string[];
  /** id or name → that canonical id. */
  byRef: Map<string, string>;
  /** canonical id → correlation type, for the correlation documents. */
  correlations: Map<string, string>;
  /** canonical id → what reports call it (its name, else its id). */
  labels: Map<string, string>;
}

function ruleFileInfo(ruleFile: string | undefined): RuleFileInfo {
  const info: RuleFileInfo = {
    ids: [],
    byRef: new Map(),
    correlations: new Map(),
    labels: new Map(),
  };
  if (!ruleFile) return info;
  const parsed = parseRuleText(readFileSync(ruleFile, 'utf8'), ruleFile);
  for (const d of parsed.documents) {
    if (d.type === 'filter') continue;
    const id = d.id ?? d.name;
    if (id === undefined) continue;
    info.ids.push(id);
    info.byRef.set(id, id);
    info.labels.set(id, d.name ?? id);
    if (d.name !== undefined) info.byRef.set(d.name, id);
    if (d.type === 'correlation') {
      const type = d.correlation.type;
      info.correlations.set(id, typeof type === 'string' ? type : '?');
    }
  }
  return info;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function firedText(fired: RuleTestResult['fired']): string {
  if (fired.length === 0) return 'no rule fired';
  return (
    'fired: ' + fired.map((f) => `"${f.title}"${f.count > 1 ? ` ×${f.count}` : ''}`).join(', ')
  );
}

/** Decode problems worth naming when a test fails. */
function decodeNotes(events: readonly Event[]): string {
  const errs = events.filter((e) => e.vigil.error !== undefined);
  if (errs.length === 0) return '';
  return `; ${plural(errs.length, 'event')} with vigil.error (${errs[0]!.vigil.error})`;
}

function runSample(
  t: RuleTestSample,
  targets: readonly string[],
  label: string,
  targetRules: readonly CompiledRule[],
  loaded: LoadedRules,
  opts: RuleTestOptions,
): Omit<RuleTestResult, 'file' | 'ruleFile' | 'name' | 'rules'> {
  const events = sampleEvents(t, opts);
  const make =
    opts.detector ??
    ((l: LoadedRules): Detector => new SigmaDetector(l.rules, { correlations: l.correlations }));
  const detector: Detector = make(loaded);
  const alerts: Alert[] = [];
  const raise = (a: Alert): void => {
    alerts.push(a);
  };
  for (const e of events) detector.process(e, raise);
  detector.flush?.(raise);
  const counts = new Map<string, { id: string; title: string; count: number }>();
  for (const a of alerts) {
    const c = counts.get(a.rule.id);
    if (c) c.count++;
    else counts.set(a.rule.id, { id: a.rule.id, title: a.rule.title, count: 1 });
  }
  const fired = [...counts.values()];
  const targetSet = new Set(targets);
  const mine = alerts.filter((a) => targetSet.has(a.rule.id)).length;
  const what = label;
  const ev = plural(events.length, 'event');
  if ('alerts' in t.expect) {
    const want = t.expect.alerts;
    const ok = mine === want;
    return {
      status: ok ? 'pass' : 'fail',
      reason: ok
        ? `${plural(mine, 'alert')} from ${what} (${ev})`
        : `expected ${plural(want, 'alert')} from ${what}, got ${mine} (${ev}; ${firedText(fired)}${decodeNotes(events)})`,
      alerts: mine,
      fired,
      events: events.length,
    };
  }
  // match: does the detection (with its filters) hold for some event? For a
  // correlation under test, whether it raised an alert.
  let matched = mine > 0;
  if (targetRules.length > 0) {
    matched = events.some((e) => {
      const view = new EventView(e);
      return targetRules.some((r) => r.entry.applies(e) && matches(r, view));
    });
  }
  const ok = matched === t.expect.match;
  return {
    status: ok ? 'pass' : 'fail',
    reason: ok
      ? `${matched ? 'matched' : 'did not match'} (${ev})`
      : `expected ${what} to ${t.expect.match ? 'match' : 'not match'}, it ${matched ? 'did' : 'did not'} (${ev}; ${firedText(fired)}${decodeNotes(events)})`,
    alerts: mine,
    fired,
    events: events.length,
  };
}

/** A loaded rule set with the lookups the runner needs. */
class RuleSet {
  readonly compiledById = new Map<string, CompiledRule>();
  readonly inactiveById: Map<string, InactiveRule>;
  readonly errorsByRule = new Map<string, RuleError>();
  readonly errorsByFile = new Map<string, RuleError>();
  constructor(readonly loaded: LoadedRules) {
    for (const r of loaded.rules) {
      this.compiledById.set(r.id, r);
      if (r.rule.name !== undefined) this.compiledById.set(r.rule.name, r);
    }
    this.inactiveById = new Map(
      loaded.inactive.flatMap((r) => (r.id === undefined ? [] : [[r.id, r] as const])),
    );
    for (const e of loaded.errors) {
      if (e.ruleId !== undefined) this.errorsByRule.set(e.ruleId, e);
      if (e.file !== undefined) this.errorsByFile.set(resolve(e.file.replace(/:\d+$/, '')), e);
    }
  }
}

/**
 * Runs the rule tests found under `paths` (see `findRuleTests`). The rules of
 * the paths (and `opts.context`) are loaded once; each test runs its sample
 * through a fresh detector. Correlation rules the loaded set holds as
 * inactive are reported as skipped with the reason, not failed.
 */
/** The run's lists with a tests file's own static lists over them. */
function fileLists(
  base: ListRegistry | undefined,
  own: Readonly<Record<string, readonly string[]>> | undefined,
): ListRegistry | undefined {
  if (!own) return base;
  const lists = base?.clone() ?? new ListRegistry();
  for (const [name, values] of Object.entries(own)) lists.setStatic(name, values);
  return lists;
}

export async function runRuleTests(
  paths: readonly string[],
  opts: RuleTestOptions = {},
): Promise<RuleTestReport> {
  const testFiles = findRuleTests(paths);
  const fileErrors: RuleTestFileError[] = [];
  const results: RuleTestResult[] = [];

  // The rule files of the paths (a tests file stands for its rule) and the
  // context, each file once.
  const rulePaths = paths.map((p) => (isTestFile(p) ? (ruleFileOf(p) ?? p) : p));
  const seen = new Set<string>();
  const files: string[] = [];
  for (const f of ruleFiles([...rulePaths, ...(opts.context ?? [])])) {
    const abs = resolve(f);
    if (seen.has(abs) || isTestFile(f)) continue;
    seen.add(abs);
    files.push(f);
  }
  const load = (
    placeholders?: Readonly<Record<string, readonly string[]>>,
    lists = opts.lists,
  ): LoadedRules =>
    loadRules(files, {
      mappingPaths: opts.mappingPaths,
      placeholders,
      ...(lists ? { lists } : {}),
    });
  const main = new RuleSet(opts.loaded ?? load(opts.placeholders));
  const withPlaceholders = new Map<string, RuleSet>();

  for (const file of testFiles) {
    let spec: RuleTestFile;
    try {
      const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
      const r = ruleTestFileSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        fileErrors.push({ file, message: `${where}${issue.message}` });
        continue;
      }
      spec = r.data;
    } catch (err) {
      fileErrors.push({ file, message: (err as Error).message.split('\n')[0]! });
      continue;
    }
    let set = main;
    if (spec.placeholders || spec.lists) {
      const merged: Record<string, readonly string[]> = { ...opts.placeholders };
      for (const [k, v] of Object.entries(spec.placeholders ?? {}))
        merged[k] = Array.isArray(v) ? v : [v];
      const key = JSON.stringify([merged, spec.lists ?? {}]);
      let s = withPlaceholders.get(key);
      if (!s) {
        s = new RuleSet(load(merged, fileLists(opts.lists, spec.lists)));
        withPlaceholders.set(key, s);
      }
      set = s;
    }
    const { loaded, compiledById, inactiveById, errorsByRule, errorsByFile } = set;
    const ruleFile = ruleFileOf(file);
    const info = ruleFileInfo(ruleFile);
    for (const t of spec.tests) {
      const base = { file, ruleFile, name: t.name };
      const blank = { alerts: 0, fired: [], events: 0 };
      const chosen = t.rule ?? spec.rule;
      const targets = chosen !== undefined ? [info.byRef.get(chosen) ?? chosen] : info.ids;
      // Ids as alerts carry them (a rule chosen by name alerts with its id).
      const ids = targets.map((x) => compiledById.get(x)?.id ?? x);
      const labelOf = (xs: readonly string[]): string =>
        xs.map((x) => info.labels.get(x) ?? x).join(', ');
      const fail = (reason: string): void => {
        results.push({ ...base, rules: ids, status: 'fail', reason, ...blank });
      };
      if (targets.length === 0) {
        fail(
          ruleFile
            ? `${basename(ruleFile)} defines no rule with an id or name`
            : `no rule file beside it (${basename(file).replace(/\.tests\./, '.')} in ${dirname(file)})`,
        );
        continue;
      }
      const problem = targets.flatMap((x): RuleTestResult[] => {
        const why = (status: RuleTestStatus, reason: string): RuleTestResult[] => [
          { ...base, rules: ids, status, reason, ...blank },
        ];
        if (compiledById.has(x)) return [];
        const inactive = inactiveById.get(x);
        const type = info.correlations.get(x);
        if (inactive && type !== undefined) {
          return why(
            'skip',
            `skipped: correlation not supported yet (${type}: ${inactive.reason})`,
          );
        }
        if (inactive) return why('fail', `rule ${x} is inactive: ${inactive.reason}`);
        const err =
          errorsByRule.get(x) ?? (ruleFile ? errorsByFile.get(resolve(ruleFile)) : undefined);
        if (err) return why('fail', `rule ${x} did not load: ${err.message}`);
        // A correlation the loader keeps elsewhere runs through opts.detector.
        if (type !== undefined) return [];
        return why('fail', `rule ${x} is not loaded`);
      });
      if (problem.length > 0) {
        results.push(problem.find((p) => p.status === 'fail') ?? problem[0]!);
        continue;
      }
      const targetRules = targets.flatMap((x) => {
        const r = compiledById.get(x);
        return r ? [r] : [];
      });
      try {
        results.push({
          ...base,
          rules: ids,
          ...runSample(t, ids, labelOf(targets), targetRules, loaded, opts),
        });
      } catch (err) {
        fail((err as Error).message);
      }
    }
  }

  const count = (s: RuleTestStatus): number => results.filter((r) => r.status === s).length;
  const totals = {
    files: testFiles.length,
    tests: results.length,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
  };
  return {
    results,
    fileErrors,
    loadErrors: main.loaded.errors,
    totals,
    ok: totals.failed === 0 && fileErrors.length === 0,
  };
}

/** A plain-text report: one line per test, then the totals. */
export function formatRuleTestReport(report: RuleTestReport, verbose = false): string {
  const lines: string[] = [];
  for (const e of report.loadErrors) lines.push(`rule error: ${e.message}`);
  for (const e of report.fileErrors) lines.push(`ERROR ${e.file}: ${e.message}`);
  for (const r of report.results) {
    if (r.status === 'pass' && !verbose) continue;
    const mark = r.status === 'pass' ? 'ok  ' : r.status === 'skip' ? 'skip' : 'FAIL';
    lines.push(`${mark}  ${r.file}: ${r.name}: ${r.reason}`);
  }
  const t = report.totals;
  lines.push(
    `${plural(t.tests, 'test')} in ${plural(t.files, 'file')}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped` +
      (report.fileErrors.length > 0 ? `, ${plural(report.fileErrors.length, 'bad file')}` : ''),
  );
  return lines.join('\n');
}
