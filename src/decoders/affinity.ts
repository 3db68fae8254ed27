import { SESSION_PROGRAMS } from './session.js';

/*
 * Which records must reach the same decoder when a scan spreads its records
 * over several. Decoding keeps state in two places: the sshd session memory
 * (per host, program and pid) and the auditd grouping (per source, one
 * event's records in a row). So a syslog line of a session program is keyed
 * by its tag with the pid, any other syslog line by its program alone (an
 * audit record relayed through syslog stays with the rest of its program's),
 * and a line with no syslog header by nothing: those all go together.
 */

const SP = 32;
const FNV_OFFSET = 0x811c9dc5;
const LT = 60;
const BRACKET = 91;
/** The tag ends within this many characters of the header's start, or there is none. */
const MAX_HEADER = 96;

/**
 * A number naming the records that decode together: 0 for a line with no
 * syslog header, else a hash of its program (with the pid for programs the
 * session memory follows). Equal for every line of one sshd connection.
 */
export function affinity(text: string): number {
  let i = 0;
  if (text.charCodeAt(0) === LT) {
    const gt = text.indexOf('>', 1);
    if (gt < 0 || gt > 4) return 0;
    i = gt + 1;
  }
  if (isDigit(text.charCodeAt(i)) && text.charCodeAt(i + 1) === SP) return rfc5424(text, i + 2);
  const colon = text.indexOf(': ', i);
  if (colon < 0 || colon - i > MAX_HEADER) return 0;
  const start = text.lastIndexOf(' ', colon - 1) + 1;
  if (start <= i) return 0;
  return tagKey(text, start, colon);
}

/** `VERSION TIMESTAMP HOST APP PROCID ...` with `pos` on TIMESTAMP. */
function rfc5424(text: string, pos: number): number {
  const host = text.indexOf(' ', pos) + 1;
  const app = host > 0 ? text.indexOf(' ', host) + 1 : 0;
  const appEnd = app > 0 ? text.indexOf(' ', app) : -1;
  if (appEnd < 0) return 0;
  const procEnd = text.indexOf(' ', appEnd + 1);
  const end = procEnd < 0 ? text.length : procEnd;
  const program = hash(text, app, appEnd, FNV_OFFSET);
  if (program === 0 || !SESSION_HASHES.has(program)) return program;
  return hash(text, appEnd + 1, end, program) || 1;
}

/** `program[pid]` or `program` between `start` and `end`. */
function tagKey(text: string, start: number, end: number): number {
  const bracket = text.indexOf('[', start);
  const programEnd = bracket >= 0 && bracket < end ? bracket : end;
  const program = hash(text, start, programEnd, FNV_OFFSET);
  if (program === 0 || programEnd === end || !SESSION_HASHES.has(program)) return program;
  return hash(text, programEnd, end, program) || 1;
}

/**
 * FNV-1a over the characters of a program name (or the rest of a tag after
 * it), or 0 when one of them cannot be in a program name: then the "tag" is
 * message text, like an audit record's `msg=audit(...)`.
 */
function hash(text: string, from: number, to: number, seed: number): number {
  if (from >= to) return 0;
  let h = seed;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!isTagChar(c)) return 0;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0 || 1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isTagChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    isDigit(c) ||
    c === 45 || // -
    c === 95 || // _
    c === 46 || // .
    c === 47 || // /
    c === 64 || // @
    c === BRACKET ||
    c === 93 // ]
  );
}

/**
 * Hashes of the session programs' names: compared instead of the names, so
 * no line pays for a substring. Another program whose name hashes alike is
 * only split finer (by pid), which keeps its records' order per pid.
 */
const SESSION_HASHES: ReadonlySet<number> = new Set(
  [...SESSION_PROGRAMS].map((p) => hash(p, 0, p.length, FNV_OFFSET)),
);
