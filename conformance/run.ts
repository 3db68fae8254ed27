/*
 * Decoder conformance: runs the decode stage over the shared corpora
 * (../shared/corpora relative to the repo root) and compares with what the
 * corpora say about each line:
 *  - loghub Linux / OpenSSH: the *_structured.csv columns (program, pid, host)
 *    and, where the content names them, the source address and user;
 *  - loghub Apache: the error level and message;
 *  - wazuh-ruleset-tests: `log N pass = <line>` with the expected decoder.
 * Prints, per corpus: lines, share decoded by a specific decoder into an
 * event without vigil.error, share whose expected fields match.
 *
 *   npm run conformance [-- --verbose]   (--verbose lists mismatches)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDecoderStage, type DecoderStage } from '../src/decoders/index.js';
import { Counters } from '../src/event/counters.js';
import { parseTimeZone } from '../src/event/timezone.js';
import type { Event } from '../src/event/types.js';
import { nabConformance } from './nab.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPORA = resolve(ROOT, '../shared/corpora');
const VERBOSE = process.argv.includes('--verbose');
const GENERIC = new Set(['plain', 'syslog', 'error']);

interface Row {
  corpus: string;
  lines: number;
  specific: number;
  checked: number;
  matched: number;
}

function newStage(): DecoderStage {
  return createDecoderStage({
    hostName: 'conformance',
    timezone: parseTimeZone('UTC')!,
    maxRecordSize: 65536,
    decoderDirs: [],
    counters: new Counters(),
  });
}

const RECEIVED = new Date('2026-06-30T12:00:00Z');

function decodeOne(stage: DecoderStage, text: string, format = 'auto'): Event | undefined {
  const out = [
    ...stage.decode({ source: 'conformance', text, received: RECEIVED, format }),
    ...stage.flush(),
  ];
  return out[0];
}

function isSpecific(e: Event | undefined): boolean {
  return !!e && !e.vigil.error && !GENERIC.has(e.vigil.decoder ?? '');
}

/** Minimal RFC 4180 CSV line splitter (quoted fields, doubled quotes). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function readLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const mismatches: string[] = [];
function miss(corpus: string, line: string, why: string): void {
  if (mismatches.length < 400) mismatches.push(`[${corpus}] ${why}\n    ${line.slice(0, 200)}`);
}

/** Expected source address and user derivable from a loghub Content column. */
function expectFromContent(content: string): { addr?: string; user?: string } {
  const exp: { addr?: string; user?: string } = {};
  const rhost = /rhost=(\S+)/.exec(content);
  const ip = /\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/.exec(content);
  if (rhost) exp.addr = rhost[1];
  else if (ip) exp.addr = ip[1];
  const user =
    /\buser=(\S+)/.exec(content) ??
    /^Failed \S+ for (?:invalid user )?(\S+) from/.exec(content) ??
    /^Accepted \S+ for (\S+) from/.exec(content) ??
    /^Invalid user (\S+) from/.exec(content) ??
    /invalid user (\S+) \[preauth\]/.exec(content) ??
    /^session (?:opened|closed) for user ([^\s(]+)/.exec(content);
  if (user) exp.user = user[1];
  return exp;
}

function addrMatches(e: Event, addr: string): boolean {
  if (isIP(addr)) return e.source?.ip === addr;
  return e.source?.domain === addr || e.source?.address === addr;
}

function loghubSyslog(
  name: string,
  logPath: string,
  csvPath: string,
  cols: { host: number; program?: number; pid: number; content: number },
): Row {
  const stage = newStage();
  const lines = readLines(logPath);
  const rows = readLines(csvPath).slice(1).map(splitCsv);
  const row: Row = { corpus: name, lines: lines.length, specific: 0, checked: 0, matched: 0 };
  lines.forEach((line, i) => {
    const e = decodeOne(stage, line);
    if (isSpecific(e)) row.specific++;
    const r = rows[i];
    if (!r || !e) return;
    row.checked++;
    const why: string[] = [];
    const program = cols.program === undefined ? 'sshd' : r[cols.program]!;
    if (e.process?.name !== program) why.push(`process.name ${e.process?.name} != ${program}`);
    const pid = r[cols.pid] ? Number(r[cols.pid]) : undefined;
    if (pid !== undefined && e.process?.pid !== pid)
      why.push(`process.pid ${e.process?.pid} != ${pid}`);
    if (e.host?.name !== r[cols.host]) why.push(`host.name ${e.host?.name} != ${r[cols.host]}`);
    const exp = expectFromContent(r[cols.content]!);
    if (exp.addr && !addrMatches(e, exp.addr))
      why.push(`source ${JSON.stringify(e.source)} != ${exp.addr}`);
    if (exp.user && e.user?.name !== exp.user && e.user?.target?.name !== exp.user) {
      why.push(`user.name ${e.user?.name} != ${exp.user}`);
    }
    if (why.length === 0) row.matched++;
    else miss(name, line, why.join('; '));
  });
  return row;
}

function loghubApache(logPath: string, csvPath: string): Row {
  const stage = newStage();
  const lines = readLines(logPath);
  const rows = readLines(csvPath).slice(1).map(splitCsv);
  const row: Row = {
    corpus: 'loghub Apache_2k',
    lines: lines.length,
    specific: 0,
    checked: 0,
    matched: 0,
  };
  lines.forEach((line, i) => {
    const e = decodeOne(stage, line);
    if (isSpecific(e)) row.specific++;
    const r = rows[i];
    if (!r || !e) return;
    row.checked++;
    const [, , level, content] = r;
    const why: string[] = [];
    if (e.log?.level !== level) why.push(`log.level ${e.log?.level} != ${level}`);
    // The corpus keeps `[client ip]` in Content; we decode it into source.ip.
    const client = /^\[client ([^\]]+)\] /.exec(content!);
    const expected = client ? content!.slice(client[0].length) : content!;
    if (e.message?.trim() !== expected.trim()) why.push(`message differs`);
    if (client && e.source?.ip !== client[1]) why.push(`source.ip ${e.source?.ip} != ${client[1]}`);
    if (why.length === 0) row.matched++;
    else miss('apache', line, why.join('; '));
  });
  return row;
}

/** Our evidence for a wazuh decoder name. */
function wazuhMatches(expected: string, e: Event): boolean {
  const ours = e.vigil.decoder ?? '';
  const program = e.process?.name ?? '';
  const aliases: Record<string, (d: string) => boolean> = {
    'apache-errorlog': (d) => d === 'apache-error',
    'nginx-errorlog': (d) => d === 'nginx-error',
    'web-accesslog': (d) => d === 'web-access',
    pam: (d) => d.startsWith('pam-') || /\(pam_unix\)$/.test(program),
    kernel: () => program === 'kernel',
    'windows-date-format': () => false,
  };
  const alias = aliases[expected];
  if (alias) return alias(ours);
  if (ours === expected || ours.startsWith(`${expected}-`)) return true;
  return program === expected || program.toLowerCase() === expected.toLowerCase();
}

const WAZUH_IN_SCOPE = new Set([
  'json', 'auditd', 'kernel', 'apache-errorlog', 'nginx-errorlog', 'web-accesslog', 'sudo', 'pam',
  'su', 'sshd', 'systemd', 'vsftpd', 'proftpd', 'doas', 'dovecot', 'named', 'NetworkManager',
]); // prettier-ignore

function wazuh(dir: string): Row[] {
  const all: Row = { corpus: 'wazuh tests (all)', lines: 0, specific: 0, checked: 0, matched: 0 };
  const scoped: Row = {
    corpus: 'wazuh tests (in scope)',
    lines: 0,
    specific: 0,
    checked: 0,
    matched: 0,
  };
  const stage = newStage(); // flushed after every line: no state carries over
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ini'))
    .sort()) {
    let pending: string[] = [];
    const flushSection = (expected: string): void => {
      for (const line of pending) {
        const e = decodeOne(stage, line);
        const inScope = WAZUH_IN_SCOPE.has(expected);
        for (const r of inScope ? [all, scoped] : [all]) {
          r.lines++;
          if (isSpecific(e)) r.specific++;
          if (expected !== '') {
            r.checked++;
            if (e && wazuhMatches(expected, e)) r.matched++;
            else if (r === scoped)
              miss(
                `wazuh ${file}`,
                line,
                `expected decoder ${expected}, got ${e?.vigil.decoder} (${e?.process?.name ?? '-'})`,
              );
          }
        }
      }
      pending = [];
    };
    for (const raw of readLines(join(dir, file))) {
      const m = /^log \d+ pass = (.*)$/.exec(raw);
      if (m) {
        pending.push(unescapeWazuh(m[1]!));
        continue;
      }
      const d = /^decoder\s*=\s*(.*)$/.exec(raw);
      if (d) flushSection(d[1]!.trim());
      else if (raw.startsWith('[')) pending = [];
    }
  }
  return [scoped, all];
}

function unescapeWazuh(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function pct(n: number, d: number): string {
  return d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`;
}

function main(): void {
  if (!existsSync(CORPORA)) {
    console.log(`conformance: corpora not found at ${CORPORA}; nothing to check (skipped).`);
    return;
  }
  const rows: Row[] = [];
  const lh = join(CORPORA, 'loghub');
  const linux = join(lh, 'Linux/Linux_2k.log');
  if (existsSync(linux)) {
    rows.push(
      loghubSyslog('loghub Linux_2k', linux, `${linux}_structured.csv`, {
        host: 4,
        program: 5,
        pid: 6,
        content: 7,
      }),
    );
  }
  const ssh = join(lh, 'OpenSSH/OpenSSH_2k.log');
  if (existsSync(ssh)) {
    rows.push(
      loghubSyslog('loghub OpenSSH_2k', ssh, `${ssh}_structured.csv`, {
        host: 4,
        pid: 5,
        content: 6,
      }),
    );
  }
  const apache = join(lh, 'Apache/Apache_2k.log');
  if (existsSync(apache)) rows.push(loghubApache(apache, `${apache}_structured.csv`));
  const wz = join(CORPORA, 'wazuh-ruleset-tests/tests');
  if (existsSync(wz)) rows.push(...wazuh(wz));

  const header = `${'corpus'.padEnd(24)} ${'lines'.padStart(6)}  specific  fields-match (of checked)`;
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const r of rows) {
    console.log(
      `${r.corpus.padEnd(24)} ${String(r.lines).padStart(6)}  ${pct(r.specific, r.lines)}    ${pct(r.matched, r.checked)} (${r.checked})`,
    );
  }
  console.log(
    '\nspecific: share decoded by a non-generic decoder (not plain/syslog) without vigil.error.\n' +
      'fields-match: loghub — program, pid, host and (where the content names them) source address and user;\n' +
      '              apache — log level and message; wazuh — expected decoder (loosely: name, program or alias).',
  );
  if (VERBOSE) {
    console.log(`\nmismatches (first ${mismatches.length}):`);
    for (const m of mismatches) console.log(m);
  }
}

main();
nabConformance();
