import net from 'node:net';

/**
 * Named lists that rules read through the `inlist` modifier (a vigil
 * extension: `source.ip|inlist: blacklist`). Entries come from files named in
 * the config (static) and from the store (live: added by `vigil lists add` or
 * by reactions, each with an optional expiry). Values compare without case;
 * an entry written as a network (`10.0.0.0/8`, `2001:db8::/32`) holds every
 * address inside it.
 */
export class ListRegistry {
  private readonly staticValues = new Map<string, Set<string>>();
  private readonly staticNets = new Map<string, net.BlockList>();
  /** Live entries: list → value → expiry in ms (Infinity for none). */
  private live = new Map<string, Map<string, number>>();
  private liveNets = new Map<string, Array<{ block: net.BlockList; expires: number }>>();
  private readonly now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** A copy whose lists can be replaced without touching this one (rule tests). */
  clone(): ListRegistry {
    const c = new ListRegistry({ now: this.now });
    for (const [k, v] of this.staticValues) c.staticValues.set(k, v);
    for (const [k, v] of this.staticNets) c.staticNets.set(k, v);
    c.live = new Map(this.live);
    c.liveNets = new Map(this.liveNets);
    return c;
  }

  /** Replaces a static list (config file contents). */
  setStatic(name: string, values: Iterable<string>): void {
    const set = new Set<string>();
    const block = new net.BlockList();
    let nets = 0;
    for (const v of values) {
      if (addNetwork(block, v)) nets++;
      else set.add(v.toLowerCase());
    }
    this.staticValues.set(name, set);
    if (nets > 0) this.staticNets.set(name, block);
    else this.staticNets.delete(name);
  }

  /** Replaces every live entry at once (a fresh read of the store). */
  replaceLive(entries: Iterable<{ list: string; value: string; expires?: Date }>): void {
    this.live = new Map();
    this.liveNets = new Map();
    for (const e of entries) this.add(e.list, [e.value], e.expires);
  }

  /** Adds live entries in memory (a reaction, before the store write lands). */
  add(list: string, values: readonly string[], expires?: Date): void {
    const until = expires ? expires.getTime() : Infinity;
    for (const v of values) {
      const block = new net.BlockList();
      if (addNetwork(block, v)) {
        let nets = this.liveNets.get(list);
        if (!nets) this.liveNets.set(list, (nets = []));
        nets.push({ block, expires: until });
        continue;
      }
      let m = this.live.get(list);
      if (!m) this.live.set(list, (m = new Map()));
      m.set(v.toLowerCase(), until);
    }
  }

  remove(list: string, values: readonly string[]): void {
    const m = this.live.get(list);
    for (const v of values) m?.delete(v.toLowerCase());
  }

  has(list: string, value: string): boolean {
    const v = value.toLowerCase();
    if (this.staticValues.get(list)?.has(v)) return true;
    const until = this.live.get(list)?.get(v);
    const now = this.now();
    if (until !== undefined && until > now) return true;
    const family = net.isIP(value);
    if (family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.staticNets.get(list)?.check(value, type)) return true;
    for (const n of this.liveNets.get(list) ?? []) {
      if (n.expires > now && n.block.check(value, type)) return true;
    }
    return false;
  }

  names(): string[] {
    return [
      ...new Set([
        ...this.staticValues.keys(),
        ...this.staticNets.keys(),
        ...this.live.keys(),
        ...this.liveNets.keys(),
      ]),
    ].sort();
  }
}

/** Adds `text` to `block` when it is a network in CIDR notation. */
function addNetwork(block: net.BlockList, text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const addr = text.slice(0, slash);
  const prefix = Number(text.slice(slash + 1));
  const family = net.isIP(addr);
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
    return false;
  block.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return true;
}

/** Reads a list file: one value per line; blank lines and `#` comments skipped. */
export function parseListFile(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line) out.push(line);
  }
  return out;
}
