import type { Event } from '../event/types.js';

/** One human line per event: time, host, program, what happened, who, from where, message. */
export function formatEventLine(e: Event): string {
  const parts: string[] = [e['@timestamp']];
  parts.push(e.host?.name ?? '-');
  const proc = e.process?.name
    ? `${e.process.name}${e.process.pid !== undefined ? `[${e.process.pid}]` : ''}`
    : '-';
  parts.push(proc);
  const what = [
    e.event.category?.join(',') ?? e.vigil.decoder ?? 'event',
    e.event.action,
    e.event.outcome,
  ]
    .filter(Boolean)
    .join('/');
  parts.push(what);
  const extra: string[] = [];
  if (e.user?.name) extra.push(`user=${e.user.name}`);
  if (e.user?.target?.name) extra.push(`target=${e.user.target.name}`);
  if (e.source?.ip)
    extra.push(`src=${e.source.ip}${e.source.port !== undefined ? `:${e.source.port}` : ''}`);
  if (e.vigil.error) extra.push(`error="${e.vigil.error}"`);
  if (extra.length) parts.push(extra.join(' '));
  parts.push('|', (e.message ?? e.event.original ?? '').slice(0, 300));
  return parts.join(' ');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Aligned two-column table for terminal output. */
export function table(rows: Array<[string, string | number]>, indent = '  '): string {
  const width = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n');
}
