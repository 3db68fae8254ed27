/**
 * The source registry: one import line per source, no side-effect
 * registration. `canRun` says whether a source can run on this host;
 * `isSourceKind` tells an unknown kind apart from one that cannot run here.
 *
 * Ids: `config.id` wins; otherwise `<type>-<n>`, n being the source's
 * position among the sources of its type in config order, from 1, counting
 * those with an id too (so giving one source an id renames no other):
 * `file-1`, `web`, `file-3`, `syslog-1`. `sourceIds` computes them for a whole
 * config; `createSource` takes n as its third argument (default 1).
 */
import type { SourceConfig } from '../config/schema.js';
import { VigilError } from '../errors.js';
import { FileSource } from './file.js';
import { JournaldSource, journaldCanRun } from './journald.js';
import { StdinSource } from './stdin.js';
import { SyslogSource } from './syslog.js';
import type { CanRun, Source, SourceContext } from './types.js';

export const SOURCE_KINDS = ['file', 'syslog', 'journald', 'stdin'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export function isSourceKind(kind: string): kind is SourceKind {
  return (SOURCE_KINDS as readonly string[]).includes(kind);
}

/** Default id of the `ordinal`-th (from 1) source of its type without an id. */
export function defaultSourceId(type: string, ordinal = 1): string {
  return `${type}-${ordinal}`;
}

/**
 * Ids for a list of source configs, in order: `config.id`, else `<type>-<n>`.
 * Throws VIGIL_ERR_CONFIG_INVALID when two sources end up with one id.
 */
export function sourceIds(configs: readonly SourceConfig[]): string[] {
  const perType = new Map<string, number>();
  const seen = new Map<string, number>();
  return configs.map((c, i) => {
    const n = (perType.get(c.type) ?? 0) + 1;
    perType.set(c.type, n);
    const id = c.id ?? defaultSourceId(c.type, n);
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new VigilError(
        'VIGIL_ERR_CONFIG_INVALID',
        `sources[${i}]: id "${id}" is already used by sources[${prev}]`,
      );
    }
    seen.set(id, i);
    return id;
  });
}

/** Can this source run on this host? An unknown `type` says so in `why`. */
export function canRun(config: { type: string }): CanRun {
  const c = config as SourceConfig;
  switch (c.type) {
    case 'file':
    case 'syslog':
    case 'stdin':
      return { ok: true };
    case 'journald':
      return journaldCanRun(c);
    default:
      return {
        ok: false,
        why: `unknown source kind "${config.type}" (known: ${SOURCE_KINDS.join(', ')})`,
      };
  }
}

/** Builds the source for a (schema-validated) config. */
export function createSource(config: SourceConfig, ctx: SourceContext, ordinal = 1): Source {
  const id = config.id ?? defaultSourceId(config.type, ordinal);
  switch (config.type) {
    case 'file':
      return new FileSource(id, config, ctx);
    case 'syslog':
      return new SyslogSource(id, config, ctx);
    case 'journald':
      return new JournaldSource(id, config, ctx);
    case 'stdin':
      return new StdinSource(id, config, ctx);
    default: {
      const type = (config as { type: string }).type;
      throw new VigilError('VIGIL_ERR_CONFIG_INVALID', `unknown source kind "${type}"`);
    }
  }
}

export type { CanRun, Emit, Source, SourceContext } from './types.js';
export { FileSource } from './file.js';
export { scanFiles, type ScanOptions, type ScanSummary } from './file-scan.js';
export { SyslogSource } from './syslog.js';
export { JournaldSource } from './journald.js';
export { StdinSource } from './stdin.js';
