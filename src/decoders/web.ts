import { isIP } from 'node:net';
import type { Event } from '../event/types.js';
import { digitsAt, monthAt, type WallClock } from './clock.js';

/*
 * Web server logs, parsed by hand (no regex on the hot path):
 *  - access logs in Common/Combined Log Format (Apache and nginx);
 *  - Apache error logs, 2.2 and 2.4 styles, also without the date;
 *  - nginx error logs.
 * Each parser returns the event time in epoch ms (NaN when the line has
 * none) or undefined when the line is not of its format.
 */

const SP = 32;
const WEB = ['web'];

function setPath(event: Event, url: string): void {
  const u = (event.url ??= {});
  u.original = url;
  const q = url.indexOf('?');
  if (q >= 0) {
    u.path = url.slice(0, q);
    u.query = url.slice(q + 1);
  } else {
    u.path = url;
  }
}

/** Applies `METHOD URL HTTP/x.y` to the event; anything else is left in url.original. */
function applyRequest(event: Event, request: string): void {
  if (request === '-' || request === '') return;
  const a = request.indexOf(' ');
  const b = request.lastIndexOf(' ');
  if (a > 0 && b > a && request.startsWith('HTTP/', b + 1)) {
    const http = (event.http ??= {});
    http.request = { ...http.request, method: request.slice(0, a) };
    http.version = request.slice(b + 6);
    setPath(event, request.slice(a + 1, b));
  } else {
    (event.url ??= {}).original = request;
  }
}

/** Reads a `"..."` string at `pos` (backslash escapes kept verbatim except `\"`); -1 if unterminated. */
function quotedEnd(text: string, pos: number): number {
  for (let i = pos + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
}

function unquote(text: string, start: number, end: number): string {
  const s = text.slice(start + 1, end);
  return s.includes('\\"') ? s.replaceAll('\\"', '"') : s;
}

/** `10/Oct/2000:13:55:36 -0700` at `pos`; NaN when malformed. */
function clfTime(text: string, pos: number): number {
  const d = digitsAt(text, pos, 2);
  const mo = monthAt(text, pos + 3);
  const y = digitsAt(text, pos + 7, 4);
  const h = digitsAt(text, pos + 12, 2);
  const mi = digitsAt(text, pos + 15, 2);
  const s = digitsAt(text, pos + 18, 2);
  if (d < 1 || mo < 0 || y < 0 || h < 0 || mi < 0 || s < 0) return NaN;
  if (
    text.charCodeAt(pos + 2) !== 47 ||
    text.charCodeAt(pos + 6) !== 47 ||
    text.charCodeAt(pos + 20) !== 32
  ) {
    return NaN;
  }
  const sign = text.charCodeAt(pos + 21);
  const oh = digitsAt(text, pos + 22, 2);
  const om = digitsAt(text, pos + 24, 2);
  if ((sign !== 43 && sign !== 45) || oh < 0 || om < 0) return NaN;
  const off = (sign === 45 ? -1 : 1) * (oh * 60 + om);
  return Date.UTC(y, mo, d, h, mi, s) - off * 60_000;
}

/** True when the line starts with an IP address followed by a space (access log candidate). */
export function looksLikeAccessLog(text: string): boolean {
  const sp = text.indexOf(' ');
  if (sp < 2 || sp > 45) return false;
  return isIP(text.slice(0, sp)) !== 0 && text.includes(' [', sp);
}

/** Common/Combined Log Format. Returns epoch ms or undefined when not an access log line. */
export function decodeAccessLog(text: string, event: Event): number | undefined {
  const s1 = text.indexOf(' ');
  const s2 = s1 < 0 ? -1 : text.indexOf(' ', s1 + 1);
  const s3 = s2 < 0 ? -1 : text.indexOf(' ', s2 + 1);
  if (s3 < 0 || text.charCodeAt(s3 + 1) !== 91) return undefined;
  const close = text.indexOf(']', s3 + 2);
  if (close < 0 || text.charCodeAt(close + 1) !== SP || text.charCodeAt(close + 2) !== 34)
    return undefined;
  const reqEnd = quotedEnd(text, close + 2);
  if (reqEnd < 0 || text.charCodeAt(reqEnd + 1) !== SP) return undefined;
  const st = reqEnd + 2;
  const status = digitsAt(text, st, 3);
  if (status < 100 || text.charCodeAt(st + 3) !== SP) return undefined;
  const timeMs = clfTime(text, s3 + 2);
  if (Number.isNaN(timeMs)) return undefined;
  const client = text.slice(0, s1);
  if (isIP(client)) event.source = { ip: client };
  else event.source = { address: client, domain: client };
  const user = text.slice(s2 + 1, s3);
  if (user !== '-' && user !== '') event.user = { name: user };
  applyRequest(event, unquote(text, close + 2, reqEnd));
  const http = (event.http ??= {});
  let i = st + 4;
  let bEnd = text.indexOf(' ', i);
  if (bEnd < 0) bEnd = text.length;
  const bytesText = text.slice(i, bEnd);
  const bytes = bytesText === '-' ? 0 : Number(bytesText);
  http.response = { status_code: status };
  if (Number.isFinite(bytes) && bytesText !== '') http.response.body = { bytes };
  i = bEnd + 1;
  if (text.charCodeAt(i) === 34) {
    const rEnd = quotedEnd(text, i);
    if (rEnd > 0) {
      const ref = unquote(text, i, rEnd);
      if (ref !== '-' && ref !== '') http.request = { ...http.request, referrer: ref };
      i = rEnd + 2;
      if (text.charCodeAt(i) === 34) {
        const uEnd = quotedEnd(text, i);
        if (uEnd > 0) {
          const ua = unquote(text, i, uEnd);
          if (ua !== '-' && ua !== '') event.user_agent = { original: ua };
        }
      }
    }
  }
  event.event.category = WEB.slice();
  event.event.type = ['access'];
  event.event.action = 'http_request';
  event.event.outcome = status >= 400 ? 'failure' : 'success';
  return timeMs;
}

const APACHE_LEVELS = new Set([
  'emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug',
  'trace1', 'trace2', 'trace3', 'trace4', 'trace5', 'trace6', 'trace7', 'trace8',
]); // prettier-ignore

/** `Sun Dec 04 04:47:44[.123456] 2005` between `start` and `end`; NaN when malformed. */
function apacheTime(text: string, start: number, end: number, clock: WallClock): number {
  const mo = monthAt(text, start + 4);
  const d = digitsAt(text, start + 8, 2);
  const h = digitsAt(text, start + 11, 2);
  const mi = digitsAt(text, start + 14, 2);
  const s = digitsAt(text, start + 17, 2);
  if (mo < 0 || d < 1 || h < 0 || mi < 0 || s < 0) return NaN;
  let i = start + 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    ms = digitsAt(text, i + 1, 3);
    if (ms < 0) return NaN;
    i = text.indexOf(' ', i);
    if (i < 0) return NaN;
  }
  const y = digitsAt(text, i + 1, 4);
  if (y < 0 || i + 5 !== end) return NaN;
  return clock.ms(y, mo, d, h, mi, s, ms);
}

function setClient(event: Event, value: string): void {
  let ip = value;
  let port: number | undefined;
  const colon = value.lastIndexOf(':');
  if (colon > 0 && isIP(value) === 0) {
    ip = value.slice(0, colon);
    const p = Number(value.slice(colon + 1));
    if (Number.isInteger(p) && p >= 0 && p <= 65535) port = p;
  }
  if (isIP(ip)) event.source = port === undefined ? { ip } : { ip, port };
  else event.source = { address: value };
}

/**
 * Apache error log: `[date] [level] [client ip] msg` (2.2) or
 * `[date] [module:level] [pid N(:tid M)] [client ip:port] msg` (2.4); the date
 * may be missing. Returns epoch ms (NaN without a date) or undefined.
 */
export function decodeApacheError(
  text: string,
  event: Event,
  clock: WallClock,
): number | undefined {
  let pos = 0;
  let timeMs = NaN;
  let level: string | undefined;
  for (let n = 0; n < 6 && text.charCodeAt(pos) === 91; n++) {
    const end = text.indexOf(']', pos + 1);
    if (end < 0) break;
    const inner = pos + 1;
    if (n === 0 && monthAt(text, inner + 4) >= 0 && text.charCodeAt(inner + 3) === SP) {
      timeMs = apacheTime(text, inner, end, clock);
      if (Number.isNaN(timeMs)) return undefined;
    } else if (level === undefined) {
      const body = text.slice(inner, end);
      const colon = body.lastIndexOf(':');
      const lv = colon >= 0 ? body.slice(colon + 1) : body;
      if (!APACHE_LEVELS.has(lv)) return undefined;
      level = lv;
      const log = (event.log ??= {});
      log.level = lv;
      if (colon > 0) log.logger = body.slice(0, colon);
    } else if (text.startsWith('pid ', inner)) {
      const pid =
        digitsAt(text, inner + 4, 1) >= 0 ? parseInt(text.slice(inner + 4, end), 10) : NaN;
      if (Number.isFinite(pid)) event.process = { pid };
    } else if (text.startsWith('client ', inner) || text.startsWith('remote ', inner)) {
      setClient(event, text.slice(inner + 7, end));
    } else {
      break;
    }
    pos = end + 1;
    while (text.charCodeAt(pos) === SP) pos++;
  }
  if (level === undefined) return undefined;
  event.message = text.slice(pos);
  event.event.category = WEB.slice();
  event.event.type = ['error'];
  return timeMs;
}

/**
 * nginx error log: `yyyy/mm/dd hh:mm:ss [level] pid#tid: *cid message, client: ip, server: ...`.
 * Returns epoch ms or undefined.
 */
export function decodeNginxError(text: string, event: Event, clock: WallClock): number | undefined {
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const s = digitsAt(text, 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || mi < 0 || s < 0) return undefined;
  if (text.charCodeAt(4) !== 47 || text.charCodeAt(19) !== SP || text.charCodeAt(20) !== 91)
    return undefined;
  const close = text.indexOf(']', 21);
  if (close < 0) return undefined;
  const timeMs = clock.ms(y, mo - 1, d, h, mi, s);
  (event.log ??= {}).level = text.slice(21, close);
  let pos = close + 1;
  while (text.charCodeAt(pos) === SP) pos++;
  // pid#tid:
  let i = pos;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  const sep = text.charCodeAt(i);
  if (i > pos && sep === 35) {
    // `123#0: `
    event.process = { pid: Number(text.slice(pos, i)) };
    const colon = text.indexOf(': ', i);
    if (colon > 0 && colon - i < 12) pos = colon + 2;
  } else if (i > pos && sep === 58) {
    // `80:2 ` (older/other writers)
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    if (j > i + 1 && text.charCodeAt(j) === SP) pos = j + 1;
  }
  while (text.charCodeAt(pos) === SP) pos++;
  if (text.charCodeAt(pos) === 42) {
    const sp = text.indexOf(' ', pos);
    if (sp > 0) pos = sp + 1;
  }
  const message = text.slice(pos);
  event.message = message;
  const client = message.indexOf(', client: ');
  if (client >= 0) {
    let end = message.indexOf(',', client + 10);
    if (end < 0) end = message.length;
    setClient(event, message.slice(client + 10, end));
  }
  const req = message.indexOf(', request: "');
  if (req >= 0) {
    const end = quotedEnd(message, req + 11);
    if (end > 0) applyRequest(event, unquote(message, req + 11, end));
  }
  event.event.category = WEB.slice();
  event.event.type = ['error'];
  return timeMs;
}
