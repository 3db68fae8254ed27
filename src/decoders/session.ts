import { EpochReader } from '../event/epoch.js';
import type { Event } from '../event/types.js';

/*
 * sshd session memory. One sshd process (pid) serves one client connection
 * and logs it over several lines, not all of which name the client: older
 * sshd's "Disconnecting: Too many authentication failures for root" and
 * "User root not allowed because account is locked" carry no address, while
 * "Connection from H", "Failed password ... from H" or "Connection closed by
 * H" of the same pid do. Per source, host, program and pid the memory:
 *
 *  - learns the client address from authentication and network events;
 *  - fills `source.*` on later authentication events of the session that
 *    name no address;
 *  - holds a failed login that names no address while the session has none
 *    yet, and releases it, filled, just before the first line of the session
 *    that names the address (that is when the failure becomes attributable);
 *    unfilled when the session ends, expires, or on `flush()` (input went
 *    quiet or ended);
 *  - after an accepted login, adds a failure event when the session's
 *    failed authentications named other users (`userChanged`);
 *  - forgets the session when it ends (connection closed, reset,
 *    disconnect), so a reused pid starts afresh.
 *
 * Bounded: at most MAX_SESSIONS sessions (the least recently seen go first)
 * and MAX_HELD held events per session; a session idle for more than TTL_MS
 * of event time is over. Like the auditd grouping it is per source: records
 * of one source must reach the same stage.
 */

/** Programs whose lines are tracked per pid. */
export const SESSION_PROGRAMS: ReadonlySet<string> = new Set(['sshd', 'sshd-session']);
/** Actions after which sshd logs nothing more for the connection. */
const END_ACTIONS = new Set(['ssh_connection_closed', 'ssh_connection_reset', 'ssh_disconnect']);
const MAX_SESSIONS = 4096;
const MAX_HELD = 16;
/** Failed user names kept per session. */
const MAX_USERS = 8;
/** Longer than sshd's LoginGraceTime (120 s by default): authentication happens within it. */
const TTL_MS = 10 * 60_000;

interface Session {
  /** The client's address as the session's lines gave it (ip, domain, address). */
  source: NonNullable<Event['source']> | undefined;
  held: Event[];
  /** User names the session's failed authentications named (steps included), first seen first. */
  failedUsers: string[] | undefined;
  /** Event time (epoch ms) of the session's last line. */
  seen: number;
  /** What the session is filed under: the record source, host, program and pid. */
  readonly stream: string;
  readonly host: string;
  readonly program: string;
  readonly pid: number;
  /** `order` position stamp: the session moves to the back only when it has drifted far forward. */
  stamp: number;
}

/** A session drifted this many insertions from the back of `order` is moved there when seen. */
const REFRESH = MAX_SESSIONS / 4;
/** Event time between idle sweeps when no session is created. */
const SWEEP_MS = 1000;

export class SessionMemory {
  /**
   * Sessions by pid (numbers hash cheaply), then host, then a short list
   * told apart by program and source. Host names come from the input: keyed,
   * not listed, so lines naming many hosts cannot make a lookup long.
   */
  private readonly byPid = new Map<number, Map<string, Session[]>>();
  /**
   * Every session, roughly least recently seen first: a session goes to the
   * back when seen only once it drifted REFRESH insertions forward, so most
   * lines cost no reordering.
   */
  private readonly order = new Set<Session>();
  private counter = 0;
  private nextSweep = -Infinity;
  private readonly epoch = new EpochReader();

  /** Passes decoded events through the memory; returns them with held ones released. */
  process(events: Event[]): Event[] {
    let out: Event[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const proc = e.process;
      if (proc?.pid === undefined || proc.name === undefined || !SESSION_PROGRAMS.has(proc.name)) {
        out?.push(e);
        continue;
      }
      out ??= events.slice(0, i);
      this.track(e, proc.name, proc.pid, out);
    }
    return out ?? events;
  }

  /** Releases every held event (unfilled); the learned addresses stay. */
  flush(): Event[] {
    const out: Event[] = [];
    for (const s of this.order) {
      for (const h of s.held) out.push(h);
      s.held = [];
    }
    return out;
  }

  private track(e: Event, program: string, pid: number, out: Event[]): void {
    const now = this.epoch.read(e['@timestamp']);
    const host = e.host?.name ?? '';
    const stream = e.vigil.source;
    let s = this.find(stream, host, program, pid);
    if (s && !(Math.abs(now - s.seen) <= TTL_MS)) {
      for (const h of s.held) out.push(h);
      this.end(s);
      s = undefined;
    }
    if (!s || now >= this.nextSweep) {
      this.expire(now, out);
      this.nextSweep = now + SWEEP_MS;
    }
    if (!s) {
      s = {
        source: undefined,
        held: [],
        failedUsers: undefined,
        seen: now,
        stream,
        host,
        program,
        pid,
        stamp: ++this.counter,
      };
      let hosts = this.byPid.get(pid);
      if (!hosts) this.byPid.set(pid, (hosts = new Map()));
      const list = hosts.get(host);
      if (list) list.push(s);
      else hosts.set(host, [s]);
      this.order.add(s);
    } else if (this.counter - s.stamp > REFRESH) {
      this.order.delete(s);
      this.order.add(s);
      s.stamp = ++this.counter;
    }
    s.seen = now;

    const category = e.event.category;
    const auth = category?.includes('authentication') === true;
    const src = e.source;
    const named = src?.ip !== undefined || src?.domain !== undefined;
    const user = e.user?.name;
    // A PAM module failure names the remote user only as `ruser`.
    const failedAs = user ?? e.labels?.ruser;
    let changed: Event | undefined;
    if (auth && failedAs && e.event.outcome === 'failure') {
      const users = (s.failedUsers ??= []);
      if (!users.includes(failedAs)) {
        // A step (not an attempt of its own) for a new user is the attempt.
        if (users.length > 0 && e.labels?.auth_step !== undefined) {
          changed = userChanged(e, 'failed', failedAs, [...users]);
        }
        if (users.length < MAX_USERS) users.push(failedAs);
      }
    }
    if (src !== undefined && named && (auth || category?.includes('network') === true)) {
      s.source = withoutPort(src);
      for (const h of s.held) out.push(fill(h, s.source));
      s.held = [];
    } else if (auth && !named) {
      if (s.source !== undefined) fill(e, s.source);
      else if (isFailedLogin(e) && s.held.length < MAX_HELD) {
        s.held.push(e);
        return;
      }
    }
    if (e.event.action !== undefined && END_ACTIONS.has(e.event.action)) {
      // The session is over: what is still held will never learn its address.
      for (const h of s.held) out.push(h);
      this.end(s);
    }
    out.push(e);
    if (auth && user !== undefined && e.event.outcome === 'success') {
      const others = s.failedUsers?.filter((u) => u !== user);
      if (others !== undefined && others.length > 0) {
        changed = userChanged(e, 'logged in', user, others);
      }
    }
    if (changed) out.push(changed);
  }

  private find(stream: string, host: string, program: string, pid: number): Session | undefined {
    const list = this.byPid.get(pid)?.get(host);
    if (list === undefined) return undefined;
    for (const s of list) if (s.program === program && s.stream === stream) return s;
    return undefined;
  }

  /** Forgets the session (the pid may be reused for a new one). */
  private end(s: Session): void {
    this.order.delete(s);
    const hosts = this.byPid.get(s.pid)!;
    const list = hosts.get(s.host)!;
    if (list.length > 1) list.splice(list.indexOf(s), 1);
    else if (hosts.size > 1) hosts.delete(s.host);
    else this.byPid.delete(s.pid);
  }

  /** Ends the least recently seen sessions beyond the bound or idle for longer than TTL_MS. */
  private expire(now: number, out: Event[]): void {
    for (const s of this.order) {
      if (this.order.size <= MAX_SESSIONS && Math.abs(now - s.seen) <= TTL_MS) break;
      for (const h of s.held) out.push(h);
      this.end(s);
    }
  }
}

/** A failed login (docs/reference/decoders.md): authentication, outcome failure, not a step. */
function isFailedLogin(e: Event): boolean {
  return (
    e.event.outcome === 'failure' &&
    e.event.category?.includes('authentication') === true &&
    e.labels?.auth_step === undefined
  );
}

/**
 * A connection that failed for some users and then tried another (credential
 * stuffing, or guessing which account a password opens): the line's own
 * event stays what it was (an accepted login a success, a PAM module failure
 * a step), and this event beside it counts as one failed attempt, as
 * fail2ban's sshd filter counts it (gh-2070).
 */
function userChanged(e: Event, what: string, user: string, others: string[]): Event {
  // The user this attempt was for: the new one, or (an accepted login) the first that failed.
  const name = what === 'failed' ? user : others[0]!;
  const out: Event = {
    ...e,
    event: {
      ...e.event,
      category: ['authentication'],
      type: ['info'],
      action: 'ssh_login_user_changed',
      outcome: 'failure',
      reason: `${what} as ${user} after failures for ${others.join(', ')}`,
    },
    vigil: { ...e.vigil, decoder: 'sshd-session-user-changed' },
    user: { name },
  };
  // Not a step: this event is the attempt.
  if (out.labels?.auth_step !== undefined) {
    const labels = { ...out.labels };
    delete labels.auth_step;
    out.labels = labels;
  }
  const related = { ...e.related };
  related.user = [...others, user];
  out.related = related;
  return out;
}

/** The address part of a `source` (a later line of the session comes from another port). */
function withoutPort(src: NonNullable<Event['source']>): NonNullable<Event['source']> {
  // Copied field by field: \`delete\` would turn the object into a slow dictionary.
  const out: NonNullable<Event['source']> = {};
  for (const k in src) {
    if (k !== 'port') (out as Record<string, unknown>)[k] = (src as Record<string, unknown>)[k];
  }
  return out;
}

/** Sets the session's client address on an event that names none, with related.ip/hosts. */
function fill(e: Event, source: NonNullable<Event['source']>): Event {
  e.source = { ...source };
  const related = (e.related ??= {});
  if (source.ip !== undefined) addTo(related, 'ip', source.ip);
  if (source.domain !== undefined) addTo(related, 'hosts', source.domain);
  return e;
}

function addTo(related: NonNullable<Event['related']>, kind: 'ip' | 'hosts', value: string): void {
  const list = related[kind];
  if (list === undefined) related[kind] = [value];
  else if (!list.includes(value)) list.push(value);
}
