import { parseDuration } from '../../config/units.js';
import { EXIT, VigilError } from '../../errors.js';
import type { FieldFilter } from '../../store/types.js';
import { formatEventLine } from '../format.js';
import { loadFromOptions, openExistingStore, printJson, type GlobalOptions } from '../context.js';

export interface SearchOptions extends GlobalOptions {
  since?: string;
  until?: string;
  field?: string[];
  limit?: string;
  count?: boolean;
}

/** `--since 1h` (relative) or an ISO date/time (absolute). */
export function parseTimeOption(name: string, text: string, now = new Date()): Date {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `--${name}: expected a duration like 15m, 2h, 7d or a date like 2026-11-23T10:00:00Z; got "${text}"`,
    );
  }
  return new Date(t);
}

export function parseFieldOption(text: string): FieldFilter {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `--field: expected FIELD=VALUE such as source.ip=10.0.0.5; got "${text}"`,
    );
  return { field: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** `vigil search [QUERY]`: full text over messages plus field filters; exit 1 when nothing matches. */
export async function search(query: string[], opts: SearchOptions): Promise<number> {
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `--limit: expected a positive whole number; got "${opts.limit}"`,
    );
  }
  const q = {
    ...(query.length > 0 ? { text: query.join(' ') } : {}),
    ...(opts.since ? { since: parseTimeOption('since', opts.since) } : {}),
    ...(opts.until ? { until: parseTimeOption('until', opts.until) } : {}),
    fields: (opts.field ?? []).map(parseFieldOption),
  };
  const store = await openExistingStore(loadFromOptions(opts));
  try {
    if (opts.count) {
      const n = await store.countEvents(q);
      if (opts.json) printJson({ count: n });
      else process.stdout.write(`${n}\n`);
      return n > 0 ? EXIT.OK : EXIT.FINDINGS;
    }
    const found = await store.searchEvents({ ...q, limit });
    // Newest first from the store; print oldest first so it reads like a log.
    for (const { event } of found.reverse()) {
      if (opts.json) printJson(event);
      else process.stdout.write(formatEventLine(event) + '\n');
    }
    if (!opts.json && found.length === limit) {
      process.stderr.write(`(showing the newest ${limit}; use --limit for more)\n`);
    }
    return found.length > 0 ? EXIT.OK : EXIT.FINDINGS;
  } finally {
    await store.close();
  }
}
