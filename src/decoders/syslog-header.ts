import { digitsAt, monthAt, parseIsoAt, type IsoResult, type WallClock } from './clock.js';

/*
 * Hand-written syslog header parser (the hot path: no regex).
 *
 * Accepted shapes:
 *   [<PRI>]Mmm dd hh:mm:ss[.frac] [host] program[pid]: message      (RFC 3164, BSD)
 *   [<PRI>]YYYY-MM-DDThh:mm:ss[.frac]±hh:mm [host] program[pid]: msg (rsyslog high precision)
 *   <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG                  (RFC 5424)
 *   Www Mmm dd hh:mm:ss yyyy [pid N] message                         (vsftpd.log)
 * The host is optional in the BSD shapes (local files written without it):
 * a first token that ends in `:` is the program.
 */

export const FACILITY_NAMES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv',
  'ftp', 'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3',
  'local4', 'local5', 'local6', 'local7',
]; // prettier-ignore

export const SEVERITY_NAMES: readonly string[] = [
  'emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug',
]; // prettier-ignore

export interface SyslogHeader {
  format: 'rfc3164' | 'rfc5424';
  /** Epoch ms; NaN when the header has no usable timestamp (5424 NILVALUE). */
  timeMs: number;
  /** -1 when no `<PRI>`. */
  priority: number;
  hostname: string | undefined;
  program: string | undefined;
  pid: number | undefined;
  message: string;
  /** RFC 5424 only. */
  version?: string;
  procid?: string;
  msgid?: string;
  structuredData?: Record<string, Record<string, string>>;
}

/** Why a line that starts like syslog is not valid syslog; undefined when fine. */
export type HeaderError = string;

const SP = 32;

/** Index of the first space at or after `pos`, or text.length. */
function tokenEnd(text: string, pos: number): number {
  const i = text.indexOf(' ', pos);
  return i < 0 ? text.length : i;
}

function skipSpaces(text: string, pos: number): number {
  while (text.charCodeAt(pos) === SP) pos++;
  return pos;
}

/**
 * Parses `<PRI>` at 0. Returns the priority and the index after `>`, or a
 * negative number: -1 when the text does not start with `<`, -2 when the PRI
 * is malformed.
 */
function parsePri(text: string): number {
  if (text.charCodeAt(0) !== 60) return -1;
  let v = 0;
  let i = 1;
  for (; i < 5; i++) {
    const c = text.charCodeAt(i);
    if (c === 62) break;
    if (c < 48 || c > 57) return -2;
    v = v * 10 + (c - 48);
  }
  if (i === 1 || i === 5 || v > 191) return -2;
  if (i > 2 && text.charCodeAt(1) === 48) return -2; // leading zero
  return v * 8 + i; // pack: priority * 8 + index of '>' (<= 4)
}

/**
 * The message from `pos`, without Solaris syslog's message id
 * (`[ID 800047 auth.info] `, which precedes every message of its syslogd).
 */
function stripSolarisId(text: string, pos: number): string {
  if (!text.startsWith('[ID ', pos)) return text.slice(pos);
  let i = pos + 4;
  const digits = i;
  while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  if (i === digits || text.charCodeAt(i) !== SP) return text.slice(pos);
  const close = text.indexOf('] ', i + 1);
  // facility.level: lower-case letters, digits and one dot.
  if (close < 0 || close - i > 20 || !/^[a-z0-9]+\.[a-z]+$/.test(text.slice(i + 1, close)))
    return text.slice(pos);
  return text.slice(close + 2);
}

export class SyslogHeaderParser {
  private readonly iso: IsoResult = { ms: 0, end: 0 };
  /** Set when `parse` returns undefined for a line that claimed to be syslog. */
  error: HeaderError | undefined;

  constructor(private readonly clock: WallClock) {}

  /**
   * Parses a syslog line. Returns undefined when it is not syslog; `error` then
   * says why when the line had a syslog marker (`<PRI>`) but was malformed.
   */
  parse(text: string, receivedMs: number): SyslogHeader | undefined {
    this.error = undefined;
    let pos = 0;
    let priority = -1;
    const pri = parsePri(text);
    if (pri === -2) {
      this.error = 'invalid syslog <PRI>';
      return undefined;
    }
    if (pri >= 0) {
      priority = pri >> 3;
      pos = (pri & 7) + 1;
      const c = text.charCodeAt(pos);
      if (c >= 49 && c <= 57 && text.charCodeAt(pos + 1) === SP) {
        return this.parse5424(text, pos + 2, priority, text.slice(pos, pos + 1));
      }
    }
    let timeMs = NaN;
    const mo = monthAt(text, pos);
    if (mo >= 0 && text.charCodeAt(pos + 3) === SP) {
      const end = this.parse3164Time(text, pos + 4, mo, receivedMs);
      if (end < 0) {
        if (priority >= 0) this.error = 'invalid RFC 3164 timestamp';
        return undefined;
      }
      timeMs = this.iso.ms;
      pos = end;
    } else if (
      parseIsoAt(text, pos, this.clock, this.iso) &&
      text.charCodeAt(this.iso.end) === SP
    ) {
      timeMs = this.iso.ms;
      pos = this.iso.end + 1;
    } else if (priority < 0) {
      return text.startsWith('[pid ', 25) ? this.parseVsftpdLog(text) : undefined;
    }
    pos = skipSpaces(text, pos);
    return this.parseTagged(text, pos, priority, timeMs);
  }

  /**
   * vsftpd's own log file (vsftpd.log, `syslog_enable=NO`): a ctime local
   * time, the pid, the message: `Fri Jan 19 12:20:33 2007 [pid 27202] msg`.
   */
  private parseVsftpdLog(text: string): SyslogHeader | undefined {
    const mo = monthAt(text, 4);
    if (mo < 0 || text.charCodeAt(3) !== SP || text.charCodeAt(7) !== SP) return undefined;
    const d = text.charCodeAt(8) === SP ? digitsAt(text, 9, 1) : digitsAt(text, 8, 2);
    const h = digitsAt(text, 11, 2);
    const mi = digitsAt(text, 14, 2);
    const sec = digitsAt(text, 17, 2);
    const y = digitsAt(text, 20, 4);
    if (d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
      return undefined;
    if (y < 0 || text.charCodeAt(10) !== SP || text.charCodeAt(13) !== 58) return undefined;
    if (text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== SP || text.charCodeAt(24) !== SP)
      return undefined;
    const close = text.indexOf('] ', 30);
    const pid = close > 30 && close <= 40 ? digitsAt(text, 30, close - 30) : -1;
    if (pid < 0) return undefined;
    return {
      format: 'rfc3164',
      timeMs: this.clock.ms(y, mo, d, h, mi, sec),
      priority: -1,
      hostname: undefined,
      program: 'vsftpd',
      pid,
      message: text.slice(close + 2),
    };
  }

  /** `Mmm dd hh:mm:ss[.frac] ` with `pos` after the month; returns index after the space or -1. */
  private parse3164Time(text: string, pos: number, mo: number, receivedMs: number): number {
    let d: number;
    let dayEnd: number;
    if (text.charCodeAt(pos) === SP) {
      d = digitsAt(text, pos + 1, 1);
      dayEnd = pos + 2;
    } else if (text.charCodeAt(pos + 1) === SP) {
      d = digitsAt(text, pos, 1); // unpadded one-digit day: `Feb 4 10:00:00`
      dayEnd = pos + 1;
    } else {
      d = digitsAt(text, pos, 2);
      dayEnd = pos + 2;
    }
    if (d < 1 || d > 31 || text.charCodeAt(dayEnd) !== SP) return -1;
    const t = dayEnd + 1;
    const h = digitsAt(text, t, 2);
    const mi = digitsAt(text, t + 3, 2);
    const s = digitsAt(text, t + 6, 2);
    if (text.charCodeAt(t + 2) !== 58 || text.charCodeAt(t + 5) !== 58) return -1;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
    let i = t + 8;
    let ms = 0;
    if (text.charCodeAt(i) === 46) {
      i++;
      let scale = 100;
      for (;;) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
        i++;
      }
      ms = Math.floor(ms);
    }
    if (i < text.length && text.charCodeAt(i) !== SP) return -1;
    this.iso.ms = this.clock.inferYear(mo, d, h, mi, s, ms, receivedMs);
    return i + 1;
  }

  /** `[host] program[pid]: message` after a BSD timestamp. */
  private parseTagged(text: string, pos: number, priority: number, timeMs: number): SyslogHeader {
    let hostname: string | undefined;
    let end = tokenEnd(text, pos);
    if (text.charCodeAt(pos) === 91) {
      // `[program]: message` or `[program] message` (no host, no pid; some BSD
      // and embedded syslogs): host names never contain brackets.
      const close = text.indexOf(']', pos);
      if (close > pos + 1 && close < end && (close + 1 === end || close + 2 === end)) {
        const colon = text.charCodeAt(close + 1) === 58;
        return {
          format: 'rfc3164',
          timeMs,
          priority,
          hostname: undefined,
          program: text.slice(pos + 1, close),
          pid: undefined,
          message: stripSolarisId(text, skipSpaces(text, close + (colon ? 2 : 1))),
        };
      }
    }
    const last = text.charCodeAt(end - 1);
    if (end > pos && last !== 58) {
      // A first token that does not end in ':' is the host.
      hostname = text.slice(pos, end);
      pos = skipSpaces(text, end);
    }
    // program[pid]: or program:
    let i = pos;
    let program: string | undefined;
    let pid: number | undefined;
    let msgStart = pos;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === SP || c === 58 || c === 91) break;
    }
    const c = text.charCodeAt(i);
    if (i > pos && c === 91) {
      const close = text.indexOf(']', i + 1);
      if (close > i && text.charCodeAt(close + 1) === 58) {
        const digits = close - i - 1;
        const p = digits > 0 && digits <= 10 ? digitsAt(text, i + 1, digits) : -1;
        program = text.slice(pos, i);
        if (p >= 0) pid = p;
        msgStart = close + 2;
      }
    } else if (i > pos && c === 58 && (i + 1 === text.length || text.charCodeAt(i + 1) === SP)) {
      program = text.slice(pos, i);
      msgStart = i + 1;
    }
    end = skipSpaces(text, msgStart);
    return {
      format: 'rfc3164',
      timeMs,
      priority,
      hostname,
      program,
      pid,
      message: stripSolarisId(text, end),
    };
  }

  private parse5424(
    text: string,
    pos: number,
    priority: number,
    version: string,
  ): SyslogHeader | undefined {
    let timeMs = NaN;
    if (text.charCodeAt(pos) === 45 && text.charCodeAt(pos + 1) === SP) {
      pos += 2;
    } else if (
      parseIsoAt(text, pos, this.clock, this.iso) &&
      text.charCodeAt(this.iso.end) === SP
    ) {
      timeMs = this.iso.ms;
      pos = this.iso.end + 1;
    } else {
      this.error = 'invalid RFC 5424 timestamp';
      return undefined;
    }
    const fields: string[] = [];
    for (let k = 0; k < 4; k++) {
      const end = tokenEnd(text, pos);
      if (end === pos || end >= text.length) {
        this.error = 'truncated RFC 5424 header';
        return undefined;
      }
      fields.push(text.slice(pos, end));
      pos = end + 1;
    }
    const nil = (v: string): string | undefined => (v === '-' ? undefined : v);
    const [host, app, procid, msgid] = fields as [string, string, string, string];
    let structuredData: Record<string, Record<string, string>> | undefined;
    if (text.charCodeAt(pos) === 45) {
      pos++;
    } else if (text.charCodeAt(pos) === 91) {
      const sd: Record<string, Record<string, string>> = {};
      const end = parseStructuredData(text, pos, sd);
      if (end < 0) {
        this.error = 'invalid RFC 5424 structured data';
        return undefined;
      }
      structuredData = sd;
      pos = end;
    } else {
      this.error = 'invalid RFC 5424 structured data';
      return undefined;
    }
    if (text.charCodeAt(pos) === SP) pos++;
    else if (pos < text.length) {
      this.error = 'invalid RFC 5424 structured data';
      return undefined;
    }
    if (text.charCodeAt(pos) === 0xfeff) pos++;
    const pidNum = procid !== '-' && /^\d{1,10}$/.test(procid) ? Number(procid) : undefined;
    return {
      format: 'rfc5424',
      timeMs,
      priority,
      hostname: nil(host),
      program: nil(app),
      pid: pidNum,
      message: text.slice(pos),
      version,
      procid: nil(procid),
      msgid: nil(msgid),
      structuredData,
    };
  }
}

/**
 * Parses RFC 5424 SD-ELEMENTs `[id k="v" ...]...` at `pos` into `out`;
 * values may escape `"`, `\` and `]` with a backslash. Returns the index
 * after the last `]`, or -1 when malformed.
 */
export function parseStructuredData(
  text: string,
  pos: number,
  out: Record<string, Record<string, string>>,
): number {
  while (text.charCodeAt(pos) === 91) {
    let i = pos + 1;
    while (i < text.length && !isSdDelim(text.charCodeAt(i))) i++;
    if (i === pos + 1) return -1;
    const id = text.slice(pos + 1, i);
    const params: Record<string, string> = out[id] ?? {};
    out[id] = params;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 93) {
        i++;
        break;
      }
      if (c !== SP) return -1;
      i++;
      const nameStart = i;
      while (i < text.length && !isSdDelim(text.charCodeAt(i))) i++;
      if (i === nameStart || text.charCodeAt(i) !== 61 || text.charCodeAt(i + 1) !== 34) return -1;
      const name = text.slice(nameStart, i);
      i += 2;
      let value = '';
      let segStart = i;
      for (;;) {
        if (i >= text.length) return -1;
        const v = text.charCodeAt(i);
        if (v === 92) {
          const n = text.charCodeAt(i + 1);
          if (n === 34 || n === 92 || n === 93) {
            value += text.slice(segStart, i);
            segStart = i + 1;
            i += 2;
            continue;
          }
          i++;
          continue;
        }
        if (v === 34) break;
        i++;
      }
      value += text.slice(segStart, i);
      params[name] = value;
      i++;
    }
    pos = i;
  }
  return pos;
}

function isSdDelim(c: number): boolean {
  return c === SP || c === 61 || c === 93 || c === 34;
}
