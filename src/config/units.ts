import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Parses `500ms`, `30s`, `5m`, `12h`, `30d`, `2w`; milliseconds, or undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

/** Parses `64KiB`, `10MB`, `1GiB`, `512`; bytes, or undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] || 'b').toLowerCase();
  const mult = SIZE_UNITS[unit];
  if (mult === undefined) return undefined;
  return Math.floor(Number(m[1]) * mult);
}

/** A duration given as text (`5m`) or milliseconds; parsed to milliseconds. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like 500ms, 30s, 5m, 12h, 30d; got "${v}"`,
    });
    return z.NEVER;
  }
  return ms;
});

/** A size given as text (`64KiB`) or bytes; parsed to bytes. */
export const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const b = parseSize(v);
  if (b === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a size like 512, 64KiB, 10MB, 1GiB; got "${v}"`,
    });
    return z.NEVER;
  }
  return b;
});

/** `host:port`, `[v6]:port` or a bare port (bound to 127.0.0.1). */
export const listenAddress = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  const text = String(v);
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected host:port (e.g. 127.0.0.1:5514); got "${text}"`,
    });
    return z.NEVER;
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
});
export type ListenAddress = { host: string; port: number };
