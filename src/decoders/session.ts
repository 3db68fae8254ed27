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
 *  - forgets the session when it ends (connection closed, reset,
 *    disconnect), so a reused pid starts afresh.
 *
 * Bounded: at most MAX_SESSIONS sessions (the least recently seen go first)
 * and MAX_HELD held events per session; a session idle for more than TTL_MS
 * of event time is over. Like the auditd grouping it is per source: records
 * of one source must reach the same stage.
 */

/** Programs whose lines are tracked per pid. */
const PROGRAMS = new Set(['sshd', 'sshd-session']);
/** Actions after which sshd logs nothing more for the connection. */
const END_ACTIONS = new Set(['ssh_connection_closed', 'ssh_connection_reset', 'ssh_disconnect']);
const MAX_SESSIONS = 4096;
const MAX_HELD = 16;
/** Longer than sshd's LoginGraceTime (120 s by default): authentication happens within it. */
const TTL_MS = 10 * 60_000;

interface Session {
  /** The client's address as the session's lines gave it (ip, domain, address). */
  source: NonNullable<Event['source']> | undefined;
  held: Event[];
  /** Event time (epoch ms) of the session's last line. */
  seen: number;
}

export class SessionMemory {
  private readonly sessions = new Map<string, Session>();

  /** Passes decoded events through the memory; returns them with held ones released. */
  process(events: Event[]): Event[] {
    let out: Event[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const proc = e.process;
      if (proc?.pid === undefined || proc.name === undefined || !PROGRAMS.has(proc.name)) {
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
    for (const s of this.sessions.values()) {
      for (const h of s.held) out.push(h);
      s.held = [];
    }
    return out;
  }

  private track(e: Event, program: string, pid: number, out: Event[]): void {
    const now = Date.parse(e['@timestamp']);
    const key = `${e.vigil.source}\u0000${e.host?.name ?? ''}\u0000${program}\u0000${pid}`;
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key); // re-inserted below: the map is in least-recently-seen order
      if (!(Math.abs(now - s.seen) <= TTL_MS)) {
        for (const h of s.held) out.push(h);
        s = undefined;
      }
    }
    this.expire(now, out);
    s ??= { source: undefined, held: [], seen: now };
    s.seen = now;

    const category = e.event.category;
    const auth = category?.includes('authentication') === true;
    const src = e.source;
    const named = src?.ip !== undefined || src?.domain !== undefined;
    if (src !== undefined && named && (auth || category?.includes('network') === true)) {
      s.source = { ...src };
      delete s.source.port;
      for (const h of s.held) out.push(fill(h, s.source));
      s.held = [];
    } else if (auth && !named) {
      if (s.source !== undefined) fill(e, s.source);
      else if (isFailedLogin(e) && s.held.length < MAX_HELD) {
        s.held.push(e);
        this.sessions.set(key, s);
        return;
      }
    }
    if (e.event.action !== undefined && END_ACTIONS.has(e.event.action)) {
      // The session is over: what is still held will never learn its address.
      for (const h of s.held) out.push(h);
      out.push(e);
      return;
    }
    out.push(e);
    this.sessions.set(key, s);
  }

  /** Ends the least recently seen sessions beyond the bound or idle for longer than TTL_MS. */
  private expire(now: number, out: Event[]): void {
    for (const [key, s] of this.sessions) {
      if (this.sessions.size <= MAX_SESSIONS && Math.abs(now - s.seen) <= TTL_MS) break;
      for (const h of s.held) out.push(h);
      this.sessions.delete(key);
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
