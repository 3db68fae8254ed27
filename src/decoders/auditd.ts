import { isIP } from 'node:net';
import type { Event, RawRecord } from '../event/types.js';

/*
 * Linux audit records (`type=SYSCALL msg=audit(1700000000.123:4567): k=v ...`).
 * One kernel event is several records sharing a serial (SYSCALL, EXECVE,
 * CWD, PATH, PROCTITLE, EOE); `AuditGrouper` holds them per source until the
 * group is complete and `buildAuditEvent` turns a group into one Event.
 */

export interface AuditRecord {
  type: string;
  timeMs: number;
  serial: number;
  data: Record<string, string>;
  /** The raw line. */
  text: string;
  offset: number | undefined;
  /** The raw record it came from (source, receive time, path), set when grouped. */
  raw?: RawRecord;
}

/** Numeric record types seen in kernel messages (`audit: type=1400 ...`). */
const NUMERIC_TYPES: Record<string, string> = {
  '1100': 'USER_AUTH', '1101': 'USER_ACCT', '1102': 'USER_MGMT', '1103': 'CRED_ACQ',
  '1104': 'CRED_DISP', '1105': 'USER_START', '1106': 'USER_END', '1107': 'USER_AVC',
  '1108': 'USER_CHAUTHTOK', '1109': 'USER_ERR', '1110': 'CRED_REFR', '1111': 'USYS_CONFIG',
  '1112': 'USER_LOGIN', '1113': 'USER_LOGOUT', '1114': 'ADD_USER', '1115': 'DEL_USER',
  '1116': 'ADD_GROUP', '1117': 'DEL_GROUP', '1123': 'USER_CMD', '1130': 'SERVICE_START',
  '1131': 'SERVICE_STOP', '1300': 'SYSCALL', '1302': 'PATH', '1305': 'CONFIG_CHANGE',
  '1307': 'CWD', '1309': 'EXECVE', '1320': 'EOE', '1327': 'PROCTITLE', '1400': 'AVC',
  '1700': 'ANOM_PROMISCUOUS', '1701': 'ANOM_ABEND',
}; // prettier-ignore

/** Fields auditd writes hex-encoded (unquoted) when they hold unsafe characters. */
const HEX_FIELDS = new Set([
  'proctitle',
  'name',
  'exe',
  'comm',
  'cwd',
  'path',
  'cmd',
  'acct',
  'key',
  'data',
  'old',
  'new',
  'ocomm',
  'watch',
  'dir',
  'file',
  'vm',
]);

const MAX_FIELDS = 256;

function isUpperHex(v: string): boolean {
  if (v.length < 2 || v.length % 2 !== 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** Decodes an auditd hex value; NULs (argument separators in proctitle) become spaces. */
export function decodeAuditHex(v: string): string {
  const s = Buffer.from(v, 'hex').toString('utf8');
  return s.includes('\0') ? s.replace(/\0+$/, '').replaceAll('\0', ' ') : s;
}

/**
 * Parses the `key=value` body of a record into `data`. Values may be
 * `"quoted"`, `'nested key=value list'` (user-space messages: parsed in
 * place), or bare (hex-decoded for the fields auditd hex-encodes).
 */
function parseFields(
  text: string,
  pos: number,
  end: number,
  type: string,
  data: Record<string, string>,
): void {
  let n = 0;
  while (pos < end && n < MAX_FIELDS) {
    while (pos < end && (text.charCodeAt(pos) === 32 || text.charCodeAt(pos) === 40)) pos++;
    const keyStart = pos;
    while (pos < end) {
      const c = text.charCodeAt(pos);
      if (c === 61 || c === 32) break;
      pos++;
    }
    if (pos >= end || text.charCodeAt(pos) !== 61) continue; // bare word: skip it
    const key = text.slice(keyStart, pos);
    pos++;
    const q = text.charCodeAt(pos);
    if (q === 34) {
      const close = text.indexOf('"', pos + 1);
      const stop = close < 0 || close > end ? end : close;
      data[key] = text.slice(pos + 1, stop);
      pos = stop + 1;
    } else if (q === 39) {
      let close = text.indexOf("'", pos + 1);
      if (close < 0 || close > end) close = end;
      parseFields(text, pos + 1, close, type, data);
      pos = close + 1;
    } else {
      let stop = text.indexOf(' ', pos);
      if (stop < 0 || stop > end) stop = end;
      let v = text.slice(pos, stop);
      const last = v.charCodeAt(v.length - 1);
      if (last === 44 || last === 41) v = v.slice(0, -1); // `addr=?,` and `res=failed)`
      if ((HEX_FIELDS.has(key) || (type === 'EXECVE' && /^a\d+$/.test(key))) && isUpperHex(v)) {
        v = decodeAuditHex(v);
      }
      data[key] = v;
      pos = stop + 1;
    }
    n++;
  }
}

/**
 * Parses one audit record line (also the `audit: type=1400 audit(...)` and
 * `node=host type=...` forms). Returns an error message when it is not one.
 */
export function parseAuditRecord(text: string, offset?: number): AuditRecord | string {
  let pos = 0;
  while (text.charCodeAt(pos) === 32) pos++;
  if (text.startsWith('audit: ', pos)) pos += 7;
  let node: string | undefined;
  if (text.startsWith('node=', pos)) {
    const sp = text.indexOf(' ', pos);
    if (sp < 0) return 'not an audit record';
    node = text.slice(pos + 5, sp);
    pos = sp + 1;
  }
  if (!text.startsWith('type=', pos)) return 'not an audit record (no type=)';
  const sp = text.indexOf(' ', pos);
  if (sp < 0) return 'truncated audit record';
  let type = text.slice(pos + 5, sp);
  type = NUMERIC_TYPES[type] ?? type;
  pos = sp + 1;
  if (text.startsWith('msg=', pos)) pos += 4;
  if (!text.startsWith('audit(', pos)) return 'audit record without audit(time:serial)';
  const colon = text.indexOf(':', pos + 6);
  const close = text.indexOf(')', pos + 6);
  if (colon < 0 || close < colon) return 'audit record without audit(time:serial)';
  const secs = Number(text.slice(pos + 6, colon));
  const serial = Number(text.slice(colon + 1, close));
  if (!Number.isFinite(secs) || !Number.isInteger(serial) || serial < 0) {
    return 'audit record with a malformed audit(time:serial)';
  }
  pos = close + 1;
  if (text.charCodeAt(pos) === 58) pos++;
  const data: Record<string, string> = {};
  if (node !== undefined) data.node = node;
  // Enriched format: names after a GS (0x1d) separator.
  const gs = text.indexOf('\x1d', pos);
  parseFields(text, pos, gs < 0 ? text.length : gs, type, data);
  if (gs >= 0) parseFields(text, gs + 1, text.length, type, data);
  return { type, timeMs: Math.round(secs * 1000), serial, data, text, offset };
}

/** Cheap test for an audit line (auto format detection). */
export function looksLikeAudit(text: string, pos: number): boolean {
  return (
    text.startsWith('type=', pos) || (text.startsWith('node=', pos) && text.includes(' type=', pos))
  );
}

// ---------------------------------------------------------------- grouping

const MAX_GROUP = 64;

interface Pending {
  serial: number;
  records: AuditRecord[];
}

/**
 * Holds the records of one audit serial per source until a record with
 * another serial (or an EOE record) arrives on that source, or `flush`.
 */
export class AuditGrouper {
  private readonly pending = new Map<string, Pending>();

  /** Adds a record; returns the groups completed by it (0, 1 or 2). */
  add(source: string, rec: AuditRecord): AuditRecord[][] {
    const out: AuditRecord[][] = [];
    let p = this.pending.get(source);
    if (p && p.serial !== rec.serial) {
      out.push(p.records);
      this.pending.delete(source);
      p = undefined;
    }
    if (rec.type === 'EOE') {
      if (p) {
        p.records.push(rec);
        out.push(p.records);
        this.pending.delete(source);
      }
      // A lone EOE closes nothing: it carries no data of its own.
      return out;
    }
    if (!p) {
      p = { serial: rec.serial, records: [] };
      this.pending.set(source, p);
    }
    p.records.push(rec);
    if (p.records.length >= MAX_GROUP) {
      out.push(p.records);
      this.pending.delete(source);
    }
    return out;
  }

  /** Releases the group held for one source, if any. */
  release(source: string): AuditRecord[] | undefined {
    const p = this.pending.get(source);
    if (!p) return undefined;
    this.pending.delete(source);
    return p.records;
  }

  has(source: string): boolean {
    return this.pending.has(source);
  }

  heldSerial(source: string): number | undefined {
    return this.pending.get(source)?.serial;
  }

  flush(): AuditRecord[][] {
    const out = [...this.pending.values()].map((p) => p.records);
    this.pending.clear();
    return out;
  }
}

// ---------------------------------------------------------------- mapping

/** Syscall numbers by audit arch → name, for the syscalls that matter to detection. */
const SYSCALLS: Record<string, Record<string, string>> = {
  // x86_64
  c000003e: {
    '2': 'open', '4': 'stat', '42': 'connect', '43': 'accept', '49': 'bind', '59': 'execve',
    '62': 'kill', '82': 'rename', '83': 'mkdir', '84': 'rmdir', '85': 'creat', '86': 'link',
    '87': 'unlink', '88': 'symlink', '90': 'chmod', '91': 'fchmod', '92': 'chown', '94': 'lchown',
    '101': 'ptrace', '105': 'setuid', '106': 'setgid', '113': 'setreuid', '117': 'setresuid',
    '165': 'mount', '175': 'init_module', '176': 'delete_module', '188': 'setxattr',
    '257': 'openat', '258': 'mkdirat', '260': 'fchownat', '263': 'unlinkat', '264': 'renameat',
    '268': 'fchmodat', '288': 'accept4', '313': 'finit_module', '316': 'renameat2', '322': 'execveat',
  },
  // aarch64
  c00000b7: {
    '35': 'unlinkat', '38': 'renameat', '34': 'mkdirat', '40': 'mount', '53': 'fchmodat',
    '54': 'fchownat', '56': 'openat', '105': 'init_module', '106': 'delete_module', '117': 'ptrace',
    '129': 'kill', '146': 'setuid', '200': 'bind', '202': 'accept', '203': 'connect',
    '221': 'execve', '273': 'finit_module', '276': 'renameat2', '281': 'execveat',
  },
  // i386
  '40000003': {
    '5': 'open', '8': 'creat', '10': 'unlink', '11': 'execve', '15': 'chmod', '23': 'setuid',
    '37': 'kill', '38': 'rename', '39': 'mkdir', '40': 'rmdir',
  },
}; // prettier-ignore

type Mapping = { category: string[]; type: string[] };

const TYPE_MAP: Record<string, Mapping> = {
  USER_AUTH: { category: ['authentication'], type: ['info'] },
  USER_ACCT: { category: ['authentication'], type: ['info'] },
  USER_LOGIN: { category: ['authentication', 'session'], type: ['start'] },
  USER_LOGOUT: { category: ['authentication', 'session'], type: ['end'] },
  USER_START: { category: ['session'], type: ['start'] },
  USER_END: { category: ['session'], type: ['end'] },
  USER_ERR: { category: ['authentication'], type: ['info'] },
  CRED_ACQ: { category: ['authentication'], type: ['info'] },
  CRED_DISP: { category: ['authentication'], type: ['info'] },
  CRED_REFR: { category: ['authentication'], type: ['info'] },
  ANOM_LOGIN_FAILURES: { category: ['authentication'], type: ['info'] },
  USER_CMD: { category: ['process'], type: ['start'] },
  ADD_USER: { category: ['iam'], type: ['user', 'creation'] },
  DEL_USER: { category: ['iam'], type: ['user', 'deletion'] },
  ADD_GROUP: { category: ['iam'], type: ['group', 'creation'] },
  DEL_GROUP: { category: ['iam'], type: ['group', 'deletion'] },
  USER_MGMT: { category: ['iam'], type: ['user', 'change'] },
  USER_CHAUTHTOK: { category: ['iam'], type: ['user', 'change'] },
  GRP_MGMT: { category: ['iam'], type: ['group', 'change'] },
  ACCT_LOCK: { category: ['iam'], type: ['user', 'change'] },
  ACCT_UNLOCK: { category: ['iam'], type: ['user', 'change'] },
  ANOM_ADD_ACCT: { category: ['iam'], type: ['user', 'creation'] },
  ANOM_DEL_ACCT: { category: ['iam'], type: ['user', 'deletion'] },
  ANOM_MOD_ACCT: { category: ['iam'], type: ['user', 'change'] },
  CONFIG_CHANGE: { category: ['configuration'], type: ['change'] },
  DAEMON_CONFIG: { category: ['configuration'], type: ['change'] },
  USYS_CONFIG: { category: ['configuration'], type: ['change'] },
  DAEMON_START: { category: ['process'], type: ['start'] },
  DAEMON_END: { category: ['process'], type: ['end'] },
  DAEMON_ABORT: { category: ['process'], type: ['end'] },
  DAEMON_RESUME: { category: ['process'], type: ['info'] },
  SERVICE_START: { category: ['process'], type: ['start'] },
  SERVICE_STOP: { category: ['process'], type: ['end'] },
  ANOM_ABEND: { category: ['process'], type: ['end'] },
  ANOM_PROMISCUOUS: { category: ['network'], type: ['change'] },
  AVC: { category: ['process'], type: ['access'] },
  USER_AVC: { category: ['process'], type: ['access'] },
};

const SYSCALL_MAP: Record<string, Mapping> = {
  execve: { category: ['process'], type: ['start'] },
  execveat: { category: ['process'], type: ['start'] },
  kill: { category: ['process'], type: ['end'] },
  ptrace: { category: ['process'], type: ['access'] },
  setuid: { category: ['process'], type: ['change'] },
  setgid: { category: ['process'], type: ['change'] },
  setreuid: { category: ['process'], type: ['change'] },
  setresuid: { category: ['process'], type: ['change'] },
  open: { category: ['file'], type: ['access'] },
  openat: { category: ['file'], type: ['access'] },
  creat: { category: ['file'], type: ['creation'] },
  mkdir: { category: ['file'], type: ['creation'] },
  mkdirat: { category: ['file'], type: ['creation'] },
  link: { category: ['file'], type: ['creation'] },
  symlink: { category: ['file'], type: ['creation'] },
  unlink: { category: ['file'], type: ['deletion'] },
  unlinkat: { category: ['file'], type: ['deletion'] },
  rmdir: { category: ['file'], type: ['deletion'] },
  rename: { category: ['file'], type: ['change'] },
  renameat: { category: ['file'], type: ['change'] },
  renameat2: { category: ['file'], type: ['change'] },
  chmod: { category: ['file'], type: ['change'] },
  fchmod: { category: ['file'], type: ['change'] },
  fchmodat: { category: ['file'], type: ['change'] },
  chown: { category: ['file'], type: ['change'] },
  lchown: { category: ['file'], type: ['change'] },
  fchownat: { category: ['file'], type: ['change'] },
  setxattr: { category: ['file'], type: ['change'] },
  connect: { category: ['network'], type: ['connection', 'start'] },
  accept: { category: ['network'], type: ['connection', 'start'] },
  accept4: { category: ['network'], type: ['connection', 'start'] },
  bind: { category: ['network'], type: ['start'] },
  init_module: { category: ['driver'], type: ['start'] },
  finit_module: { category: ['driver'], type: ['start'] },
  delete_module: { category: ['driver'], type: ['end'] },
  mount: { category: ['file'], type: ['change'] },
};

/** Record types that only add detail to a group's main record. */
const AUX = new Set([
  'PROCTITLE',
  'EOE',
  'PATH',
  'CWD',
  'EXECVE',
  'SOCKADDR',
  'BPRM_FCAPS',
  'OBJ_PID',
]);

function meaningful(v: string | undefined): v is string {
  return (
    v !== undefined && v !== '' && v !== '?' && v !== '(null)' && v !== '(none)' && v !== 'unset'
  );
}

function intOf(v: string | undefined): number | undefined {
  if (!meaningful(v)) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Fills `event` from a group of records of one serial. Returns the event time in ms. */
export function buildAuditEvent(records: AuditRecord[], event: Event): number {
  const main = records.find((r) => !AUX.has(r.type)) ?? records[0]!;
  const data: Record<string, string> = {};
  for (const r of [main, ...records]) {
    for (const k in r.data) if (!(k in data)) data[k] = r.data[k]!;
  }
  event.auditd = {
    sequence: main.serial,
    records: records.map((r) => ({ type: r.type, data: r.data })),
    data,
  };
  const d = main.data;
  let action = main.type.toLowerCase();
  let mapping = TYPE_MAP[main.type];
  if (main.type === 'SYSCALL') {
    const name = meaningful(d.SYSCALL) ? d.SYSCALL : SYSCALLS[d.arch ?? '']?.[d.syscall ?? ''];
    if (name) {
      action = name;
      mapping = SYSCALL_MAP[name];
    }
  }
  const execve = records.find((r) => r.type === 'EXECVE');
  if (execve && !mapping) mapping = SYSCALL_MAP.execve;
  event.event.action = action;
  if (mapping) {
    event.event.category = mapping.category.slice();
    event.event.type = mapping.type.slice();
  }
  if (
    main.type === 'AVC' &&
    (d.apparmor === 'DENIED' || (main.text.includes(' denied ') && !d.apparmor))
  ) {
    event.event.type = ['access', 'denied'];
  }

  // Outcome
  const res = d.res ?? d.success;
  if (res !== undefined) {
    const ok = res === 'success' || res === 'yes' || res === '1';
    const bad = res === 'failed' || res === 'no' || res === '0' || res === 'fail';
    if (ok || bad) {
      event.event.outcome = ok ? 'success' : 'failure';
      event.auditd.result = ok ? 'success' : 'fail';
    }
    // sshd writes a failed USER_LOGIN for every failed method of a
    // connection, the `none` probe every client starts with included
    // (openssh audit-linux.c): a step, not a failed login. The attempt's own
    // verdict is its USER_AUTH record.
    if (
      bad &&
      main.type === 'USER_LOGIN' &&
      d.exe !== undefined &&
      /\/sshd(?:-session)?$/.test(d.exe)
    )
      (event.labels ??= {}).auth_step = 'method';
  }

  // Process
  const proc: NonNullable<Event['process']> = {};
  const pid = intOf(d.pid);
  if (pid !== undefined) proc.pid = pid;
  const ppid = intOf(d.ppid);
  if (ppid !== undefined) proc.ppid = ppid;
  if (meaningful(d.exe)) proc.executable = d.exe;
  if (meaningful(d.comm)) proc.name = d.comm;
  const cwd = records.find((r) => r.type === 'CWD')?.data.cwd;
  if (meaningful(cwd)) proc.working_directory = cwd;
  if (execve) {
    const args: string[] = [];
    const argc = intOf(execve.data.argc) ?? 256;
    for (let i = 0; i < argc; i++) {
      const a = execve.data[`a${i}`];
      if (a === undefined) break;
      args.push(a);
    }
    if (args.length > 0) proc.command_line = args.join(' ');
  } else {
    const title = records.find((r) => r.type === 'PROCTITLE')?.data.proctitle;
    if (meaningful(title)) proc.command_line = title;
  }
  if (main.type === 'USER_CMD' && meaningful(d.cmd)) proc.command_line = d.cmd;
  if (Object.keys(proc).length > 0) event.process = proc;

  // Users: enriched names (UID="root") first, then acct=.
  const user: NonNullable<Event['user']> = {};
  const isIam = mapping?.category[0] === 'iam';
  const actorName = meaningful(d.AUID) ? d.AUID : meaningful(d.UID) ? d.UID : undefined;
  const uid = meaningful(d.uid) ? d.uid : undefined;
  if (isIam) {
    if (actorName) user.name = actorName;
    if (uid !== undefined) user.id = uid;
    const target = meaningful(d.acct) ? d.acct : undefined;
    const targetId = meaningful(d.id) && d.id !== 'unknown(-1)' ? d.id : undefined;
    if (target || targetId) {
      user.target = {};
      if (target) user.target.name = target;
      if (targetId) user.target.id = targetId;
    }
  } else {
    const name = meaningful(d.acct) ? d.acct : actorName;
    if (name) user.name = name;
    if (uid !== undefined) user.id = uid;
    if (meaningful(d.euid) && d.euid !== d.uid) {
      user.effective = { id: d.euid };
      if (meaningful(d.EUID)) user.effective.name = d.EUID;
    }
  }
  if (meaningful(d.terminal) && d.terminal !== 'unknown') user.terminal = d.terminal;
  if (Object.keys(user).length > 0) event.user = user;

  // Peer address and files
  if (meaningful(d.addr) && isIP(d.addr)) event.source = { ip: d.addr };
  else if (meaningful(d.hostname) && isIP(d.hostname)) event.source = { ip: d.hostname };
  const paths = records.filter((r) => r.type === 'PATH' && meaningful(r.data.name));
  const target = paths.find((r) => r.data.nametype !== 'PARENT') ?? paths[0];
  if (target) {
    let p = target.data.name!;
    if (!p.startsWith('/') && meaningful(cwd)) p = cwd.endsWith('/') ? cwd + p : `${cwd}/${p}`;
    event.file = { path: p };
    if (paths.some((r) => r.data.nametype === 'CREATE') && event.event.category?.[0] === 'file') {
      event.event.type = ['creation'];
    } else if (
      paths.some((r) => r.data.nametype === 'DELETE') &&
      event.event.category?.[0] === 'file'
    ) {
      event.event.type = ['deletion'];
    }
  } else if (meaningful(d.path)) {
    event.file = { path: d.path };
  } else if (main.type === 'AVC' && meaningful(d.name) && d.name.startsWith('/')) {
    event.file = { path: d.name };
  }
  if (main.data.node) (event.host ??= {}).name = main.data.node;
  event.message = main.text;
  return main.timeMs;
}
