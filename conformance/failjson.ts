/*
 * fail2ban failJSON conformance: does vigil mark the lines of fail2ban's
 * filter test logs the way fail2ban's filters do?
 *
 *   node --import tsx conformance/failjson.ts [--verbose] [--all] [logs dir]
 *
 * For each annotated log of a service vigil decodes, the file's lines are
 * decoded in order through one decode stage, as fail2ban's filter reads them
 * (zone Europe/Berlin = the corpus's CET-01CEST-02 rules; receive time pinned
 * to 2005-08-14 10:00 UTC, fail2ban's "now", for the year of syslog lines),
 * so that lines of one sshd process can complete each other (the stage's
 * sshd session memory). The events a line's decode returns are vigil's
 * verdict on that line, compared with its `# failJSON:` annotation:
 *
 *   failure  = a failed login as docs/reference/decoders.md defines it: an
 *              event with `event.category` authentication and `event.outcome`
 *              failure that is not a step (no `labels.auth_step`: a public
 *              key rejected for an existing account, a PAM module's verdict
 *              inside sshd, sshd's per-method audit record); or a connection
 *              refused by access control (`event.type` denied, outcome
 *              failure: tcp_wrappers, xinetd), which fail2ban bans on too.
 *              fail2ban's normal-mode filters flag the lines that report a
 *              failed login; refusals without a login attempt ("Did not
 *              receive identification string", protocol errors) are its
 *              aggressive/ddos-mode matches and stay out.
 *              pam-generic tests fail2ban's filter for PAM module lines of
 *              any program, so there every authentication failure counts,
 *              steps included.
 *   host     = source.ip, else source.domain / source.address (an IPv4
 *              address mapped into IPv6, ::ffff:a.b.c.d, compares as a.b.c.d).
 *
 * A true positive also needs the right host; a flagged line with the wrong
 * host counts as a false positive and a false negative. Option sets: a
 * file's `# filterOptions:` blocks are evaluated with their default option set
 * (no `mode`, or mode normal); lines of mode-only blocks (ddos, aggressive,
 * ...) and lines whose `constraint` is false for the default set are not
 * read (fail2ban skips them for that set too); annotated ones are counted as
 * skipped. `attempts` lines (several lines merged into one failure by
 * fail2ban's multi-line filter) are compared like any other. What the stage
 * still holds at the end of a file (a failure whose address never came) is
 * no line's verdict.
 *
 * fail2ban's sshd filter also flags a session's PAM module failure and
 * even its `Accepted` line when the user changed within the connection
 * (gh-2070); vigil keeps PAM module lines inside sshd as steps and an
 * accepted login as a success, and its session memory adds one failure
 * event beside such a line (`ssh_login_user_changed`). Known difference, on
 * purpose: pam-generic's pre-0.99.2 `pop(pam_unix)[pid]:` line is
 * annotated "no longer supported", not "not a failure"; vigil decodes it.
 *
 * Prints precision and recall per file and overall; target ≥ 99% on sshd.
 * --verbose lists the mismatches; --all also runs the logs of services vigil
 * has no decoder for (informational, not in the overall figure).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDecoderStage } from '../src/decoders/index.js';
import { Counters } from '../src/event/counters.js';
import { parseTimeZone } from '../src/event/timezone.js';
import type { Event } from '../src/event/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const VERBOSE = args.includes('--verbose');
const ALL = args.includes('--all');
const DIR =
  args.find((a) => !a.startsWith('--')) ?? resolve(ROOT, '../shared/corpora/fail2ban-logs/logs');

/** Logs of services vigil decodes (file name = fail2ban filter name). */
const COVERED = [
  'sshd',
  'pam-generic',
  'vsftpd',
  'pure-ftpd',
  'wuftpd',
  'xinetd-fail',
  'selinux-ssh',
];

const RECEIVED = new Date(Date.UTC(2005, 7, 14, 10, 0, 0));
const ZONE = parseTimeZone('Europe/Berlin')!;

type Opts = Record<string, unknown>;

interface Annotated {
  line: string;
  lineNo: number;
  match: boolean;
  host?: string;
  desc?: string;
  constraint?: string;
}

interface Mismatch {
  file: string;
  lineNo: number;
  line: string;
  want: string;
  got: string;
}

interface Row {
  file: string;
  lines: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  skipped: number;
}

/** fail2ban's constraint expressions seen in the corpus: `opts.get('k') ==/!= 'v'`, `name ==/!= 'x'`. */
function constraintHolds(expr: string, name: string, opts: Opts): boolean | undefined {
  const parts = expr.split(/\s+(and|or)\s+/);
  let result: boolean | undefined;
  let op = 'and';
  for (const p of parts) {
    if (p === 'and' || p === 'or') {
      op = p;
      continue;
    }
    const m =
      /^\s*(?:opts\.get\(\s*'([^']+)'\s*\)|(name))\s*(==|!=)\s*'([^']*)'\s*$/.exec(p) ??
      /^\s*(?:opts\.get\(\s*"([^"]+)"\s*\)|(name))\s*(==|!=)\s*"([^"]*)"\s*$/.exec(p);
    if (!m) return undefined;
    const actual = m[2] ? name : opts[m[1]!];
    const eq = String(actual ?? 'None') === m[4];
    const v = m[3] === '==' ? eq : !eq;
    result = result === undefined ? v : op === 'and' ? result && v : result || v;
  }
  return result;
}

/** The option set a block is evaluated with: no mode, or mode normal; undefined when mode-only. */
function defaultOpts(sets: Opts[]): Opts | undefined {
  return sets.find((o) => o.mode === undefined || o.mode === 'normal');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // fail2ban's annotations are Python-ish at times: single quotes, True/False.
    try {
      return JSON.parse(text.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false'));
    } catch {
      return undefined;
    }
  }
}

/** Files whose fail2ban filter flags every PAM module failure line, steps included. */
const PAM_FILTERS = new Set(['pam-generic']);

function isFailure(e: Event, pamFilter: boolean): boolean {
  const outcome = e.event.outcome;
  if (outcome !== 'failure') return false;
  if (e.event.category?.includes('authentication'))
    return pamFilter || e.labels?.auth_step === undefined;
  return e.event.type?.includes('denied') === true;
}

function hostOf(e: Event): string | undefined {
  const h = e.source?.ip ?? e.source?.domain ?? e.source?.address;
  return h?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

function sameHost(want: string, got: string | undefined): boolean {
  if (got === undefined) return false;
  const norm = (s: string) => s.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return norm(want) === norm(got);
}

function describe(e: Event | undefined): string {
  if (!e) return 'no event';
  const bits = [
    `decoder=${e.vigil.decoder ?? '-'}`,
    e.event.action ? `action=${e.event.action}` : '',
    e.event.outcome ? `outcome=${e.event.outcome}` : '',
    e.event.category ? `category=${e.event.category.join(',')}` : '',
    hostOf(e) ? `host=${hostOf(e)}` : '',
    e.vigil.error ? `error=${e.vigil.error}` : '',
  ];
  return bits.filter(Boolean).join(' ');
}

function runFile(path: string, name: string, mismatches: Mismatch[]): Row {
  const row: Row = { file: name, lines: 0, tp: 0, fp: 0, fn: 0, tn: 0, skipped: 0 };
  const text = readFileSync(path, 'utf8').split(/\r?\n/);
  let sets: Opts[] = [{}];
  let fileOpts: Opts = {};
  /** The lines the default option set reads, in order; annotated ones carry their annotation. */
  const feed: Array<{ raw: string; annotation?: Annotated }> = [];
  let pending: (Annotated & { skip?: boolean }) | undefined;
  text.forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    const fo = /^#\s*filterOptions:\s*(.*)$/.exec(line);
    if (fo) {
      const v = parseJson(fo[1]!);
      sets = Array.isArray(v) ? (v as Opts[]) : v && typeof v === 'object' ? [v as Opts] : [{}];
      return;
    }
    const fio = /^#\s*fileOptions:\s*(.*)$/.exec(line);
    if (fio) {
      const v = parseJson(fio[1]!);
      if (v && typeof v === 'object') fileOpts = v as Opts;
      return;
    }
    const opts = defaultOpts(sets.map((s) => ({ ...fileOpts, ...s })));
    const fj = /^#\s*failJSON:\s*(.*)$/.exec(line);
    if (fj) {
      const v = parseJson(fj[1]!) as Record<string, unknown> | undefined;
      if (!v || typeof v.match !== 'boolean') {
        pending = undefined;
        return;
      }
      let skip = opts === undefined;
      if (!skip && typeof v.constraint === 'string') {
        skip = constraintHolds(v.constraint, name, opts!) !== true;
      }
      pending = {
        line: '',
        lineNo: i + 2,
        match: v.match,
        host: typeof v.host === 'string' ? v.host : undefined,
        desc: typeof v.desc === 'string' ? v.desc : undefined,
        constraint: typeof v.constraint === 'string' ? v.constraint : undefined,
        skip,
      };
      return;
    }
    if (line.startsWith('#') || line === '') return;
    if (pending) {
      if (pending.skip) row.skipped++;
      else feed.push({ raw, annotation: { ...pending, line: raw } });
      pending = undefined;
    } else if (opts !== undefined) {
      feed.push({ raw });
    }
  });

  const stage = createDecoderStage({
    hostName: 'failjson',
    timezone: ZONE,
    maxRecordSize: 65536,
    decoderDirs: [],
    counters: new Counters(),
  });
  // Each event is the verdict of one line: the line it was decoded from, or
  // the later line that completed it with the client address (the sshd
  // session memory releases a held failure there). An auditd event belongs
  // to the last record of its group (vigil.offset): the group is only
  // emitted once the next serial starts. A held failure released without an
  // address (its session ended or expired) is no line's verdict: fail2ban
  // never reports a failure without a host either.
  const verdicts: Event[][] = feed.map(() => []);
  const attribute = (events: Event[], at: number | undefined): void => {
    for (const e of events) {
      const from = e.vigil.offset;
      if (e.vigil.decoder === 'auditd' && from !== undefined) verdicts[from]!.push(e);
      else if (at === undefined) continue;
      else if (from === at || hostOf(e) !== undefined) verdicts[at]!.push(e);
    }
  };
  feed.forEach(({ raw }, i) => {
    attribute(stage.decode({ source: 'failjson', received: RECEIVED, text: raw, offset: i }), i);
  });
  attribute(stage.flush(), undefined);

  const pamFilter = PAM_FILTERS.has(name);
  feed.forEach(({ annotation: a }, i) => {
    if (!a) return;
    const events = verdicts[i]!;
    const failed = events.find((e) => isFailure(e, pamFilter));
    const flagged = failed !== undefined;
    row.lines++;
    const hostOk =
      a.host === undefined || (failed !== undefined && sameHost(a.host, hostOf(failed)));
    const report = (want: string, got: string): void => {
      mismatches.push({ file: name, lineNo: a.lineNo, line: a.line, want, got });
    };
    if (a.match && flagged && hostOk) row.tp++;
    else if (a.match && flagged) {
      row.fp++;
      row.fn++;
      report(`failure host=${a.host}`, describe(failed));
    } else if (a.match) {
      row.fn++;
      report(`failure host=${a.host ?? '-'}`, describe(events[0]));
    } else if (flagged) {
      row.fp++;
      report('no failure', describe(failed));
    } else row.tn++;
  });
  return row;
}

function pct(n: number, d: number): string {
  return d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`;
}

function printRow(r: Row): void {
  const precision = pct(r.tp, r.tp + r.fp);
  const recall = pct(r.tp, r.tp + r.fn);
  console.log(
    `  ${r.file.padEnd(22)} ${String(r.lines).padStart(5)} ${String(r.tp).padStart(5)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)} ${String(r.tn).padStart(4)} ${String(r.skipped).padStart(5)}   ${precision}   ${recall}`,
  );
}

function main(): void {
  if (!existsSync(DIR)) {
    console.log(`failjson: fail2ban logs not found at ${DIR}; skipped`);
    return;
  }
  const names = readdirSync(DIR)
    .filter((n) => statSync(join(DIR, n)).isFile())
    .sort();
  const covered = names.filter((n) => COVERED.includes(n));
  const others = ALL ? names.filter((n) => !COVERED.includes(n)) : [];
  const mismatches: Mismatch[] = [];
  const header = `  ${'file'.padEnd(22)} lines    tp   fp   fn   tn  skip   precision  recall`;
  console.log(`fail2ban failJSON: ${DIR}`);
  console.log(
    'failure = failed login (authentication, outcome failure, no auth_step) or denied connection; host = source.ip/domain',
  );
  console.log(header);
  const total: Row = { file: 'overall', lines: 0, tp: 0, fp: 0, fn: 0, tn: 0, skipped: 0 };
  for (const n of covered) {
    const r = runFile(join(DIR, n), n, mismatches);
    printRow(r);
    for (const k of ['lines', 'tp', 'fp', 'fn', 'tn', 'skipped'] as const) total[k] += r[k];
  }
  printRow(total);
  const missing = COVERED.filter((n) => !names.includes(n));
  if (missing.length > 0) console.log(`  (not in this corpus: ${missing.join(', ')})`);
  if (others.length > 0) {
    console.log('services without a vigil decoder (informational):');
    console.log(header);
    const m: Mismatch[] = [];
    for (const n of others) printRow(runFile(join(DIR, n), n, m));
  }
  if (VERBOSE && mismatches.length > 0) {
    console.log('mismatches:');
    for (const x of mismatches) {
      console.log(`  ${x.file}:${x.lineNo}: want ${x.want}; got ${x.got}`);
      console.log(`    ${x.line}`);
    }
  } else if (mismatches.length > 0) {
    console.log(`${mismatches.length} mismatches (--verbose lists them)`);
  }
}

main();
