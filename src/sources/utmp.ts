/**
 * utmp(5) as glibc writes it on Linux (x86-64, aarch64 and the other 64-bit
 * ports keep the 32-bit-time layout for compatibility): fixed 384-byte
 * records, little-endian on those machines.
 */
export const UTMP_RECORD_SIZE = 384;

/** ut_type of a logged-in user's session. */
export const USER_PROCESS = 7;
/** Highest ut_type glibc defines (ACCOUNTING); anything above is garbage. */
const MAX_UT_TYPE = 9;

export interface UtmpSession {
  pid: number;
  /** Terminal (`pts/0`, `tty1`). */
  line: string;
  user: string;
  /** Remote host, empty for a local login. */
  host: string;
  /** Login time. */
  time: Date;
}

export interface UtmpRead {
  sessions: UtmpSession[];
  /** Records with an impossible type or no user name. */
  badRecords: number;
  /** Bytes after the last whole record (a file cut mid-write, or not utmp). */
  trailingBytes: number;
}

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** The user sessions (USER_PROCESS records) in a utmp file's bytes. */
export function parseUtmp(buf: Buffer): UtmpRead {
  const sessions: UtmpSession[] = [];
  let badRecords = 0;
  const whole = Math.floor(buf.length / UTMP_RECORD_SIZE);
  for (let i = 0; i < whole; i++) {
    const o = i * UTMP_RECORD_SIZE;
    const type = buf.readInt32LE(o);
    if (type < 0 || type > MAX_UT_TYPE) {
      badRecords++;
      continue;
    }
    if (type !== USER_PROCESS) continue;
    const user = cString(buf, o + 44, 32);
    if (user === '') {
      badRecords++;
      continue;
    }
    sessions.push({
      pid: buf.readInt32LE(o + 4),
      line: cString(buf, o + 8, 32),
      user,
      host: cString(buf, o + 76, 256),
      time: new Date(
        buf.readUInt32LE(o + 340) * 1000 + Math.floor(buf.readInt32LE(o + 344) / 1000),
      ),
    });
  }
  return { sessions, badRecords, trailingBytes: buf.length - whole * UTMP_RECORD_SIZE };
}
