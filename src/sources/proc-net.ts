import os from 'node:os';

/*
 * Parsers for /proc/net/dev and the socket tables /proc/net/{tcp,tcp6,udp,udp6}.
 * Socket tables can hold hundreds of thousands of lines on a busy server, so
 * they are tallied in one pass straight into per-service counts instead of
 * building a socket object per line.
 */

export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** Counters per interface; header and unreadable lines are skipped and counted. */
export function parseNetDev(text: string): {
  interfaces: Map<string, InterfaceCounters>;
  badLines: number;
} {
  const interfaces = new Map<string, InterfaceCounters>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    // The two header lines have `|` and no `name:`.
    if (colon === -1 || line.includes('|')) {
      if (line.trim() !== '' && !line.includes('|')) badLines++;
      continue;
    }
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (name === '' || f.length < 16 || f.some((n) => !Number.isFinite(n) || n < 0)) {
      badLines++;
      continue;
    }
    interfaces.set(name, { rxBytes: f[0]!, rxPackets: f[1]!, txBytes: f[8]!, txPackets: f[9]! });
  }
  return { interfaces, badLines };
}

/** Listening sockets and established connections of one service port. */
export interface PortTally {
  listen: number;
  /** Established connections to the service on this host. */
  in: number;
  /** Established connections from this host to the service elsewhere. */
  out: number;
  /** `in` by remote address. */
  inBy: Map<string, number>;
}

export function emptyTally(): PortTally {
  return { listen: 0, in: 0, out: 0, inBy: new Map() };
}

const TCP_ESTABLISHED = 0x01;
const TCP_LISTEN = 0x0a;
/** A UDP socket bound but not connected shows as TCP_CLOSE. */
const UDP_UNCONNECTED = 0x07;

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * An address as the kernel prints it: each 32-bit word in host byte order,
 * as hex. IPv4-mapped IPv6 addresses come out as plain IPv4.
 */
export function procAddress(hex: string): string | undefined {
  if (hex.length === 8) return word(hex)?.join('.');
  if (hex.length !== 32) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = word(hex.slice(i, i + 8));
    if (!w) return undefined;
    bytes.push(...w);
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.');
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return formatIpv6(groups);
}

function word(hex: string): number[] | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  const b = [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return LITTLE_ENDIAN ? b.reverse() : b;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * Adds one socket table to `tallies` (port → tally). TCP: LISTEN sockets on
 * the port count as listening, ESTABLISHED ones as inbound (local port) or
 * outbound (remote port). UDP: bound unconnected sockets count as
 * listening, connected ones as connections. Returns the lines it could not
 * read.
 */
export function tallySockets(
  text: string,
  proto: 'tcp' | 'udp',
  tallies: ReadonlyMap<number, PortTally>,
): number {
  let badLines = 0;
  let start = text.indexOf('\n') + 1; // header
  if (start === 0) return text.trim() === '' ? 0 : 1;
  // Remote addresses repeat (many connections from one client); each is
  // converted once per table.
  const addresses = new Map<string, string | undefined>();
  // "  sl  local_address rem_address   st ...": starts and ends of fields 0-3,
  // found by scanning rather than by a split per line (a busy server's
  // table has 100,000s of lines).
  const from = [0, 0, 0, 0];
  const to = [0, 0, 0, 0];
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let p = start;
    let fields = 0;
    while (fields < 4) {
      while (p < end && isBlank(text.charCodeAt(p))) p++;
      if (p === end) break;
      from[fields] = p;
      while (p < end && !isBlank(text.charCodeAt(p))) p++;
      to[fields++] = p;
    }
    start = end + 1;
    if (fields === 0) continue;
    const lc = text.indexOf(':', from[1]);
    const rc = text.indexOf(':', from[2]);
    const lport = fields < 4 || lc === -1 || lc >= to[1]! ? -1 : hexValue(text, lc + 1, to[1]!);
    const rport = rc === -1 || rc >= to[2]! ? -1 : hexValue(text, rc + 1, to[2]!);
    const state = to[3]! - from[3]! === 2 ? hexValue(text, from[3]!, to[3]!) : -1;
    if (lport < 0 || lport > 65535 || rport < 0 || rport > 65535 || state < 0) {
      badLines++;
      continue;
    }
    const mine = tallies.get(lport);
    if (proto === 'tcp' ? state === TCP_LISTEN : state === UDP_UNCONNECTED) {
      if (mine) mine.listen++;
      continue;
    }
    if (state !== TCP_ESTABLISHED) continue;
    if (mine) {
      const hex = text.slice(from[2], rc);
      let addr = addresses.get(hex);
      if (addr === undefined && !addresses.has(hex)) {
        addr = procAddress(hex);
        addresses.set(hex, addr);
      }
      if (addr === undefined) {
        badLines++;
        continue;
      }
      mine.in++;
      mine.inBy.set(addr, (mine.inBy.get(addr) ?? 0) + 1);
    } else {
      const theirs = tallies.get(rport);
      if (theirs) theirs.out++;
    }
  }
  return badLines;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** The hex number in text[from, to), or -1 when empty, longer than 8 digits or not hex. */
function hexValue(text: string, from: number, to: number): number {
  if (to <= from || to - from > 8) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const d =
      c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}
