import { isIP } from 'node:net';
import v8 from 'node:v8';
import type { CounterCell, Counters } from '../event/counters.js';
import type { Event, RawRecord } from '../event/types.js';
import {
  AuditGrouper,
  buildAuditEvent,
  looksLikeAudit,
  parseAuditRecord,
  type AuditRecord,
} from './auditd.js';
import { IsoFormatter, monthAt, WallClock } from './clock.js';
import { DecoderSet, matchDecoders } from './declarative.js';
import { decodeJson } from './json.js';
import { decodeNetfilter, looksLikeNetfilter } from './netfilter.js';
import { SessionMemory } from './session.js';
import {
  FACILITY_NAMES,
  SEVERITY_NAMES,
  SyslogHeaderParser,
  type SyslogHeader,
} from './syslog-header.js';
import type { DecodeOptions, DecoderStage } from './types.js';
import { decodeAccessLog, decodeApacheError, decodeNginxError, looksLikeAccessLog } from './web.js';

/*
 * The decode stage: picks a format per record (the source's hint, or cheap
 * tests of the first bytes), parses the envelope (syslog header, JSON,
 * auditd, web logs), then hands syslog messages to the declarative decoders
 * of their program. Never throws on input.
 */

export type Format =
  'json' | 'auditd' | 'syslog' | 'access' | 'apache_error' | 'nginx_error' | 'plain';

/** Names in `vigil.decoder` for the built-in TypeScript decoders. */
export const BUILTIN_TS_DECODERS = [
  'syslog',
  'json',
  'auditd',
  'netfilter',
  'web-access',
  'apache-error',
  'nginx-error',
  'plain',
] as const;

/*
 * V8 allocation-site pretenuring: the pipeline holds a batch of events (up to
 * `batchSize`) before writing them, so the event literals built here survive a
 * scavenge or two and V8 starts allocating them straight in the old
 * generation. Their children (captured strings, lists, nested objects made
 * elsewhere) stay young and are then kept alive by the dead old events until
 * the next full GC: every scavenge copies almost everything (measured: GC was
 * ~48% of decode time, scavenges freeing ~5% of the young generation).
 * Without pretenuring the decode phase runs about twice as fast.
 */
v8.setFlagsFromString('--no-allocation-site-pretenuring');

/** Picks a format from the first bytes of a line. */
export function detectFormat(text: string): Format {
  let p = 0;
  while (text.charCodeAt(p) === 32) p++;
  const c = text.charCodeAt(p);
  if (c === 123) return 'json'; // {
  if (c === 60) return 'syslog'; // <PRI>
  if (c === 116 || c === 110) return looksLikeAudit(text, p) ? 'auditd' : 'plain'; // type= node=
  if (c === 91) return 'apache_error'; // [
  if (c >= 48 && c <= 57) {
    // yyyy-mm-ddThh / yyyy/mm/dd / IP
    if (
      text.charCodeAt(p + 4) === 45 &&
      text.charCodeAt(p + 7) === 45 &&
      text.charCodeAt(p + 10) === 84
    ) {
      return 'syslog';
    }
    if (text.charCodeAt(p + 4) === 47 && text.charCodeAt(p + 7) === 47) return 'nginx_error';
    return looksLikeAccessLog(text) ? 'access' : 'plain';
  }
  if (monthAt(text, p) >= 0 && text.charCodeAt(p + 3) === 32) return 'syslog';
  // `Www Mmm dd hh:mm:ss yyyy [pid N] ` (vsftpd.log): the syslog header parser reads it.
  if (
    text.charCodeAt(p + 3) === 32 &&
    monthAt(text, p + 4) >= 0 &&
    text.startsWith('[pid ', p + 25)
  )
    return 'syslog';
  if (((c >= 97 && c <= 102) || c === 58) && looksLikeAccessLog(text)) return 'access'; // IPv6
  return 'plain';
}

// eslint-disable-next-line no-control-regex
const BINARY = /[\x00-\x08\x0e-\x1a\x1c-\x1f\ufffd]/;
const PAM_PREFIX = 'pam_';
const OLD_PAM_PREFIX = '(pam_';
const WEB_PROGRAMS = new Set(['nginx', 'apache', 'apache2', 'httpd']);

/** Counter cells of one `decoder:<name>` scope. */
interface ScopeCells {
  events: CounterCell;
  errors: CounterCell;
}

/** What decoding one record's text produced, before the common fields are set. */
interface Decoded {
  decoder: string;
  timeMs: number;
  error?: string;
}

export class Decoder implements DecoderStage {
  private readonly clock: WallClock;
  private readonly header: SyslogHeaderParser;
  private readonly audit = new AuditGrouper();
  /** sshd lines of one connection (pid): client address for the lines that name none. */
  private readonly sessions = new SessionMemory();
  private readonly counters: Counters;
  private readonly iso = new IsoFormatter();
  private readonly scopes = new Map<string, ScopeCells>();
  private readonly records: CounterCell;
  private readonly decodeErrors: CounterCell;
  private ingestedMs = NaN;
  private ingested = '';

  constructor(
    private readonly opts: DecodeOptions,
    readonly decoders: DecoderSet,
  ) {
    this.clock = new WallClock(opts.timezone);
    this.header = new SyslogHeaderParser(this.clock);
    this.counters = opts.counters;
    this.records = opts.counters.cell('decode', 'records');
    this.decodeErrors = opts.counters.cell('decode', 'errors');
  }

  decode(record: RawRecord): Event[] {
    this.records.n++;
    const out: Event[] = [];
    try {
      this.decodeInto(record, out);
    } catch (err) {
      out.push(this.crashEvent(record, err));
    }
    return this.sessions.process(out);
  }

  flush(): Event[] {
    const out: Event[] = [];
    for (const group of this.audit.flush()) this.emitAudit(group, out);
    for (const e of this.sessions.flush()) out.push(e);
    return out;
  }

  private decodeInto(record: RawRecord, out: Event[]): void {
    let text = record.text;
    let cutError: string | undefined;
    const max = this.opts.maxRecordSize;
    if (text.length * 3 > max && Buffer.byteLength(text) > max) {
      text = cutToBytes(text, max);
      cutError = `record exceeds ${max} bytes; cut`;
      this.counters.add('decode', 'oversized');
    }
    const format = this.pickFormat(record, text);
    if (format === 'auditd') {
      this.decodeAuditLine(record, text, cutError, out);
      return;
    }
    // Any other record on the source completes a held audit group.
    if (this.audit.has(record.source)) this.releaseAudit(record.source, out);
    const event = this.baseEvent(record, text);
    let decoded: Decoded;
    if (record.fields) decoded = this.decodePreParsed(record, text, event);
    else decoded = this.decodeFormat(format, record, text, event);
    out.push(this.finish(event, record, decoded, cutError));
  }

  private pickFormat(record: RawRecord, text: string): Format {
    if (record.fields) return 'syslog';
    switch (record.format) {
      case undefined:
      case 'auto':
        return detectFormat(text);
      case 'json':
      case 'auditd':
      case 'syslog':
      case 'plain':
        return record.format;
      case 'apache':
      case 'nginx': {
        const f = detectFormat(text);
        return f === 'access' || f === 'apache_error' || f === 'nginx_error' ? f : 'access';
      }
      default:
        return detectFormat(text);
    }
  }

  private baseEvent(record: RawRecord, text: string): Event {
    // Records of one read share their receive time: format it once.
    const ms = record.received.getTime();
    if (ms !== this.ingestedMs) {
      this.ingestedMs = ms;
      this.ingested = record.received.toISOString();
    }
    return {
      '@timestamp': this.ingested,
      event: { kind: 'event', original: text, ingested: this.ingested },
      vigil: { source: record.source },
    };
  }

  private decodeFormat(format: Format, record: RawRecord, text: string, event: Event): Decoded {
    switch (format) {
      case 'json': {
        const r = decodeJson(text, event);
        return { decoder: 'json', timeMs: r.timeMs, error: r.error };
      }
      case 'syslog': {
        const h = this.header.parse(text, record.received.getTime());
        if (h) return this.decodeSyslog(h, event);
        const hinted = record.format === 'syslog';
        const why = this.header.error ?? (hinted ? 'not a syslog line' : undefined);
        const d = this.decodePlain(text, event);
        if (why) d.error = why;
        return d;
      }
      case 'access': {
        const t = decodeAccessLog(text, event);
        if (t !== undefined) return { decoder: 'web-access', timeMs: t };
        return this.webFallback(record, text, event, 'not an access log line');
      }
      case 'apache_error': {
        const t = decodeApacheError(text, event, this.clock);
        if (t !== undefined) return { decoder: 'apache-error', timeMs: t };
        return this.webFallback(record, text, event, 'not an Apache error log line');
      }
      case 'nginx_error': {
        const t = decodeNginxError(text, event, this.clock);
        if (t !== undefined) return { decoder: 'nginx-error', timeMs: t };
        return this.webFallback(record, text, event, 'not an nginx error log line');
      }
      default:
        return this.decodePlain(text, event);
    }
  }

  private webFallback(record: RawRecord, text: string, event: Event, why: string): Decoded {
    const d = this.decodePlain(text, event);
    if (record.format === 'apache' || record.format === 'nginx') d.error = why;
    return d;
  }

  private decodePlain(text: string, event: Event): Decoded {
    event.message = text;
    const d: Decoded = { decoder: 'plain', timeMs: NaN };
    if (BINARY.test(text)) d.error = 'binary data or control characters; not a log line';
    return d;
  }

  private decodeSyslog(h: SyslogHeader, event: Event): Decoded {
    if (h.hostname) event.host = { name: h.hostname };
    if (h.program !== undefined || h.pid !== undefined) {
      const proc: NonNullable<Event['process']> = {};
      if (h.program !== undefined) proc.name = h.program;
      if (h.pid !== undefined) proc.pid = h.pid;
      event.process = proc;
    }
    if (h.priority >= 0 || h.format === 'rfc5424') {
      const sys: NonNullable<NonNullable<Event['log']>['syslog']> = {};
      if (h.priority >= 0) {
        const fac = h.priority >> 3;
        const sev = h.priority & 7;
        sys.priority = h.priority;
        sys.facility = { code: fac, name: FACILITY_NAMES[fac]! };
        sys.severity = { code: sev, name: SEVERITY_NAMES[sev]! };
      }
      if (h.format === 'rfc5424') {
        if (h.version !== undefined) sys.version = h.version;
        if (h.hostname !== undefined) sys.hostname = h.hostname;
        if (h.program !== undefined) sys.appname = h.program;
        if (h.procid !== undefined) sys.procid = h.procid;
        if (h.msgid !== undefined) sys.msgid = h.msgid;
        if (h.structuredData !== undefined) sys.structured_data = h.structuredData;
      }
      event.log = { syslog: sys };
    }
    event.message = h.message;
    const decoder = this.decodeMessage(h.program, h.message, event);
    return { decoder, timeMs: h.timeMs };
  }

  /** Pre-parsed header fields (journald). */
  private decodePreParsed(record: RawRecord, text: string, event: Event): Decoded {
    const f = record.fields!;
    if (f.hostname) event.host = { name: f.hostname };
    if (f.program !== undefined || f.pid !== undefined) {
      event.process = {};
      if (f.program !== undefined) event.process.name = f.program;
      if (f.pid !== undefined) event.process.pid = f.pid;
    }
    if (f.facility !== undefined || f.severity !== undefined) {
      const sys: NonNullable<NonNullable<Event['log']>['syslog']> = {};
      if (f.facility !== undefined)
        sys.facility = { code: f.facility, name: FACILITY_NAMES[f.facility] ?? String(f.facility) };
      if (f.severity !== undefined)
        sys.severity = { code: f.severity, name: SEVERITY_NAMES[f.severity] ?? String(f.severity) };
      if (f.facility !== undefined && f.severity !== undefined)
        sys.priority = f.facility * 8 + f.severity;
      event.log = { syslog: sys };
    }
    const message = f.message ?? text;
    event.message = message;
    const decoder = this.decodeMessage(f.program, message, event);
    return { decoder, timeMs: f.timestamp ? f.timestamp.getTime() : NaN };
  }

  /** Program-specific decoding of a syslog message; returns the decoder name. */
  private decodeMessage(program: string | undefined, message: string, event: Event): string {
    let text = message;
    if (program === 'kernel') {
      text = stripUptime(message);
      if (looksLikeNetfilter(text) && decodeNetfilter(text, event)) return 'netfilter';
      if (text.startsWith('audit: type=') || text.startsWith('type='))
        return this.auditInSyslog(text, event);
    } else if (program === 'audispd' || program === 'auditd' || program === 'audit') {
      if (looksLikeAudit(text, 0) || text.startsWith('audit: '))
        return this.auditInSyslog(text, event);
    } else if (program !== undefined && WEB_PROGRAMS.has(program) && looksLikeAccessLog(text)) {
      // An access log line shipped through syslog: the syslog header's time wins.
      const process = event.process;
      if (decodeAccessLog(text, event) !== undefined) {
        event.process = process;
        return 'web-access';
      }
    }
    const d = matchDecoders(this.decoders.candidates(program), text, event);
    if (d) return d.name;
    // PAM module messages inside another program's log.
    const pam = splitPamMessage(text);
    if (pam) {
      const sub = matchDecoders(this.decoders.programOnly(pam[0]), pam[1], event);
      if (sub) return sub.name;
    }
    return 'syslog';
  }

  /** An audit record carried in syslog: decoded on its own (no grouping). */
  private auditInSyslog(text: string, event: Event): string {
    const rec = parseAuditRecord(text);
    if (typeof rec === 'string') return 'syslog';
    const message = event.message;
    buildAuditEvent([rec], event);
    if (message !== undefined) event.message = message;
    return 'auditd';
  }

  private decodeAuditLine(
    record: RawRecord,
    text: string,
    cutError: string | undefined,
    out: Event[],
  ): void {
    const rec = parseAuditRecord(text, record.offset);
    if (typeof rec === 'string') {
      if (this.audit.has(record.source)) this.releaseAudit(record.source, out);
      const event = this.baseEvent(record, text);
      event.message = text;
      out.push(
        this.finish(event, record, { decoder: 'auditd', timeMs: NaN, error: rec }, cutError),
      );
      return;
    }
    if (cutError || record.error) {
      // A damaged record is not grouped: it is reported on its own.
      if (this.audit.has(record.source)) this.releaseAudit(record.source, out);
      const event = this.baseEvent(record, text);
      const timeMs = buildAuditEvent([rec], event);
      out.push(this.finish(event, record, { decoder: 'auditd', timeMs }, cutError));
      return;
    }
    const held = this.audit.heldSerial(record.source);
    if (held !== undefined && held !== rec.serial) this.releaseAudit(record.source, out);
    rec.raw = record;
    for (const group of this.audit.add(record.source, rec)) this.emitAudit(group, out);
  }

  private releaseAudit(source: string, out: Event[]): void {
    const group = this.audit.release(source);
    if (group) this.emitAudit(group, out);
  }

  private emitAudit(group: AuditRecord[], out: Event[]): void {
    const first = group[0]!;
    const raw = first.raw ?? { source: 'unknown', received: new Date(), text: '' };
    const base: RawRecord = {
      source: raw.source,
      received: raw.received,
      text: first.text,
      path: raw.path,
      offset: group[group.length - 1]!.offset,
    };
    try {
      const event = this.baseEvent(base, group.map((r) => r.text).join('\n'));
      const timeMs = buildAuditEvent(group, event);
      out.push(this.finish(event, base, { decoder: 'auditd', timeMs }, undefined));
    } catch (err) {
      out.push(this.crashEvent(base, err));
    }
  }

  /** Common fields, related.*, counters. */
  private finish(event: Event, record: RawRecord, d: Decoded, cutError: string | undefined): Event {
    const ms = d.timeMs;
    if (ms === ms && ms >= -8.64e15 && ms <= 8.64e15)
      event['@timestamp'] = this.iso.format(Math.floor(ms));
    const host = (event.host ??= {});
    host.name ??= this.opts.hostName;
    const vigil = event.vigil;
    vigil.decoder = d.decoder;
    if (record.offset !== undefined) vigil.offset = record.offset;
    if (record.path !== undefined) (event.log ??= {}).file = { path: record.path };
    if (record.error || cutError || d.error) {
      vigil.error = [record.error, cutError, d.error].filter((x) => x).join('; ');
    }
    let source = event.source;
    if (source && normalizeEndpoint(source)) {
      delete event.source;
      source = undefined;
    }
    let destination = event.destination;
    if (destination && normalizeEndpoint(destination)) {
      delete event.destination;
      destination = undefined;
    }
    // related.* in the order ip (source, destination), hosts, user (name, target, effective).
    const sip = source?.ip;
    const dip = destination?.ip;
    const domain = source?.domain;
    const user = event.user;
    const uname = user?.name;
    const tname = user?.target?.name;
    const ename = user?.effective?.name;
    if (sip || dip || domain || uname || tname || ename) {
      const related = (event.related ??= {});
      if (sip) addTo(related, 'ip', sip);
      if (dip) addTo(related, 'ip', dip);
      if (domain) addTo(related, 'hosts', domain);
      if (uname) addTo(related, 'user', uname);
      if (tname) addTo(related, 'user', tname);
      if (ename) addTo(related, 'user', ename);
    }
    const cells = this.scopeOf(d.decoder);
    cells.events.n++;
    if (d.error) {
      cells.errors.n++;
      this.decodeErrors.n++;
    }
    return event;
  }

  /** Counter cells of the `decoder:<name>` scope, looked up once per decoder name. */
  private scopeOf(decoder: string): ScopeCells {
    let cells = this.scopes.get(decoder);
    if (cells === undefined) {
      const scope = `decoder:${decoder}`;
      cells = {
        events: this.counters.cell(scope, 'events'),
        errors: this.counters.cell(scope, 'errors'),
      };
      this.scopes.set(decoder, cells);
    }
    return cells;
  }

  private crashEvent(record: RawRecord, err: unknown): Event {
    this.counters.add('decode', 'errors');
    this.counters.add('decoder:error', 'errors');
    const now =
      record.received instanceof Date && !Number.isNaN(record.received.getTime())
        ? record.received
        : new Date();
    const iso = now.toISOString();
    const text = typeof record.text === 'string' ? record.text : String(record.text);
    const event: Event = {
      '@timestamp': iso,
      message: text,
      event: { kind: 'event', original: text, ingested: iso },
      host: { name: this.opts.hostName },
      vigil: {
        source: String(record.source),
        decoder: 'error',
        error: `decoder failed: ${err instanceof Error ? err.message : String(err)}`,
      },
    };
    if (typeof record.offset === 'number') event.vigil.offset = record.offset;
    return event;
  }
}

/** `addRelated` on the event's `related` object: appends without duplicates. */
function addTo(
  related: NonNullable<Event['related']>,
  kind: 'ip' | 'user' | 'hosts',
  value: string,
): void {
  const list = related[kind];
  if (list === undefined) related[kind] = [value];
  else if (!list.includes(value)) list.push(value);
}

/**
 * A PAM module's message inside another program's log, as [module, message]:
 * `pam_unix(sshd:auth): msg`, `pam_unix: msg`, or old Linux-PAM's
 * `(pam_unix) msg`.
 */
function splitPamMessage(text: string): [string, string] | undefined {
  if (text.startsWith(PAM_PREFIX)) {
    const end = text.indexOf(': ');
    if (end < 0 || end > 64) return undefined;
    const open = text.indexOf('(');
    const module = open > 0 && open < end ? text.slice(0, open) : text.slice(0, end);
    return module.length < 32 ? [module, text.slice(end + 2)] : undefined;
  }
  if (text.startsWith(OLD_PAM_PREFIX)) {
    const close = text.indexOf(') ');
    if (close > 1 && close < 32) return [text.slice(1, close), text.slice(close + 2)];
  }
  return undefined;
}

/** Removes a kernel `[ 1234.567890] ` uptime prefix. */
function stripUptime(message: string): string {
  if (message.charCodeAt(0) !== 91) return message;
  const close = message.indexOf('] ');
  if (close < 0 || close > 20) return message;
  for (let i = 1; i < close; i++) {
    const c = message.charCodeAt(i);
    if (c !== 32 && c !== 46 && (c < 48 || c > 57)) return message;
  }
  return message.slice(close + 2);
}

/**
 * `source.ip` must be an IP: a host name captured there moves to `domain`.
 * Returns true when nothing is left of the endpoint.
 */
function normalizeEndpoint(ep: NonNullable<Event['source']>): boolean {
  if (ep.ip !== undefined && !isIPv4(ep.ip) && !isIP(ep.ip)) {
    let v = ep.ip;
    if (v.startsWith('::ffff:') && isIP(v.slice(7)) === 4) {
      ep.ip = v.slice(7);
      return false;
    }
    delete ep.ip;
    if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    if (isIP(v)) ep.ip = v;
    else if (v !== '' && v !== '-' && v !== '?' && v !== 'UNKNOWN' && v !== 'unknown') {
      ep.domain ??= v;
      ep.address ??= v;
    }
  }
  if (ep.ip === undefined && ep.address !== undefined && isIP(ep.address)) ep.ip = ep.address;
  return Object.keys(ep).length === 0;
}

/** Hand-written dotted-quad test (the common case; `net.isIP` handles the rest). */
function isIPv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      val = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return false; // leading zero
      val = val * 10 + (c - 48);
      if (++digits > 3 || val > 255) return false;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function cutToBytes(text: string, max: number): string {
  const buf = Buffer.from(text, 'utf8');
  let end = max;
  // Step back over continuation bytes so no character is split.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
