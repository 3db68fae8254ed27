import os from 'node:os';
import { z } from 'zod';
import { parseTimeZone } from '../event/timezone.js';
import { duration, listenAddress, size } from './units.js';

/*
 * The one vigil.yml. Every object is strict (an unknown key is an error with
 * its path) and every key has a default, so `vigil config show` prints the
 * whole effective config.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected an id of letters, digits, _ . -')
  .max(64);

/** Which decoder family to apply; `auto` picks by the record's shape. */
export const formatSchema = z
  .enum(['auto', 'syslog', 'json', 'auditd', 'apache', 'nginx', 'plain'])
  .default('auto');

export const fileSourceSchema = z.strictObject({
  type: z.literal('file'),
  id: id.optional(),
  /** Paths or globs (`/var/log/*.log`). */
  paths: z.array(z.string().min(1)).min(1),
  exclude: z.array(z.string()).default([]),
  /** Where to start in a file that exists when vigil first sees it. */
  start_at: z.enum(['end', 'beginning']).default('end'),
  format: formatSchema,
  /** How often globs are re-expanded and files polled (inotify wakes us sooner). */
  poll_interval: duration.prefault(1000),
  /** Read compressed (.gz) files too; for scans of rotated archives. */
  read_compressed: z.boolean().default(false),
});

export const syslogSourceSchema = z.strictObject({
  type: z.literal('syslog'),
  id: id.optional(),
  udp: listenAddress.nullable().default({ host: '127.0.0.1', port: 5514 }),
  tcp: listenAddress.nullable().default({ host: '127.0.0.1', port: 5514 }),
  /** Longest accepted message; longer ones are cut and marked with vigil.error. */
  max_message_size: size.prefault(64 * 1024),
  max_connections: z.number().int().positive().default(256),
  /** A TCP client idle this long is disconnected. */
  idle_timeout: duration.prefault(300_000),
  format: formatSchema,
});

export const journaldSourceSchema = z.strictObject({
  type: z.literal('journald'),
  id: id.optional(),
  /** Only these units (journalctl -u); all when empty. */
  units: z.array(z.string()).default([]),
  /** Read journal files from this directory (journalctl -D) instead of the system journal. */
  directory: z.string().optional(),
  start_at: z.enum(['end', 'beginning']).default('end'),
  journalctl: z.string().default('journalctl'),
});

export const stdinSourceSchema = z.strictObject({
  type: z.literal('stdin'),
  id: id.optional(),
  format: formatSchema,
});

export const sourceSchema = z.discriminatedUnion('type', [
  fileSourceSchema,
  syslogSourceSchema,
  journaldSourceSchema,
  stdinSourceSchema,
]);

export const configSchema = z.strictObject({
  /** Where the store, keys and state live. */
  data_dir: z.string().default('./vigil-data'),
  host: z.strictObject({ name: z.string().default(os.hostname()) }).prefault({}),
  /**
   * Zone for timestamps that carry none (RFC 3164): `local`, `UTC`, an offset
   * like `+02:00`, or an IANA name like `Europe/Berlin`.
   */
  timezone: z
    .string()
    .refine((t) => parseTimeZone(t) !== undefined, {
      message: 'expected local, UTC, an offset like +02:00, or an IANA zone like Europe/Berlin',
    })
    .default('local'),
  limits: z
    .strictObject({
      /** Longest record decoded; longer ones are cut and marked with vigil.error. */
      max_record_size: size.prefault(64 * 1024),
    })
    .prefault({}),
  decoders: z
    .strictObject({
      /** Extra directories of YAML decoders, tried before the built-in ones. */
      dirs: z.array(z.string()).default([]),
    })
    .prefault({}),
  rules: z
    .strictObject({
      /** Load the shipped ruleset (rules/builtin). */
      builtin: z.boolean().default(true),
      /** Your own Sigma rule files or directories, loaded after the built-in ones. */
      dirs: z.array(z.string()).default([]),
      /** Extra logsource/field mapping files (rules/mapping format). */
      mapping_dirs: z.array(z.string()).default([]),
      /** Values for `%name%` placeholders used with the `expand` modifier. */
      placeholders: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
      /** Tune shipped rules without copying them (see docs/reference/rules.md). */
      overrides: z.array(z.unknown()).default([]),
      /** Every alert as one JSON line, rotated by size. */
      alert_log: z
        .strictObject({
          /** Default `<data_dir>/alerts.jsonl`; `false` turns the log off. */
          path: z.union([z.string(), z.literal(false)]).optional(),
          max_size: size.prefault('10MiB'),
          keep: z.number().int().nonnegative().default(5),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * Static named lists for the `inlist` rule modifier: values inline and/or
   * from a file (one a line, # comments). Live entries are added with
   * `vigil lists add` and by reactions.
   */
  lists: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a list name of letters, digits, _ . -'),
      z.strictObject({ file: z.string().optional(), values: z.array(z.string()).default([]) }),
    )
    .default({}),
  /** Sources; when absent, `vigil start` watches this host's usual logs. */
  sources: z.array(sourceSchema).optional(),
  store: z
    .strictObject({
      /** SQLite database file; default `<data_dir>/vigil.db`. */
      path: z.string().optional(),
      retention: z
        .strictObject({
          max_age: duration.prefault('30d'),
          max_size: size.prefault('1GiB'),
          check_interval: duration.prefault('10m'),
        })
        .prefault({}),
      batch: z
        .strictObject({
          size: z.number().int().positive().default(2000),
          interval: duration.prefault(500),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type VigilConfig = z.output<typeof configSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type FileSourceConfig = z.output<typeof fileSourceSchema>;
export type SyslogSourceConfig = z.output<typeof syslogSourceSchema>;
export type JournaldSourceConfig = z.output<typeof journaldSourceSchema>;
export type StdinSourceConfig = z.output<typeof stdinSourceSchema>;
export type RecordFormat = z.output<typeof formatSchema>;
