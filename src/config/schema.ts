import os from 'node:os';
import { z } from 'zod';
import { ATTRIBUTES } from '../fim/attributes.js';
import { ruleOverrideSchema } from '../rules/overrides.js';
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

const fimAttribute = z.enum(ATTRIBUTES);

/** One watched tree of the file integrity policy (see docs/reference/fim.md). */
export const fimPathSchema = z.strictObject({
  path: z.string().regex(/^\//, 'expected an absolute path'),
  /** Globs relative to `path` (`**\/*.conf`); when given, only matching files are recorded. */
  include: z.array(z.string().min(1)).default([]),
  /** Globs relative to `path`; a matching directory is not descended. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Levels below `path` to descend; unlimited when absent, 0 = the path itself. */
  max_depth: z.number().int().nonnegative().optional(),
  follow_symlinks: z.boolean().default(false),
  /** What is recorded and compared: a group (default, all, permissions, content, log) or a list. */
  attributes: z
    .union([z.enum(['default', 'all', 'permissions', 'content', 'log']), z.array(fimAttribute)])
    .default('default'),
  /** Changes that are fine (taken into the baseline quietly); `grow`: size may only increase. */
  allow: z.array(z.union([fimAttribute, z.literal('grow')])).default([]),
  /** Accept reported changes into the baseline at once (cfengine ChecksumUpdates). */
  auto_accept: z.boolean().default(false),
  /** Drop the entries of vanished files after reporting them (cfengine ChecksumPurge). */
  purge: z.boolean().default(false),
});

/** Service ports the metrics sampler counts sockets on by default (cfenvd's set). */
export const DEFAULT_SERVICE_PORTS: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  smtp: 25,
  dns: 53,
  www: 80,
  netbios_ns: 137,
  netbios_dgm: 138,
  netbios_ssn: 139,
  irc: 194,
  ldap: 389,
  wwws: 443,
  nfs: 2049,
};

/** Host metrics and event rates, sampled as `event.kind: metric` events (docs/reference/metrics.md). */
export const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  interval: duration.prefault('60s'),
  /** Where procfs is read (a copy or fixture tree for tests). */
  proc_root: z.string().default('/proc'),
  utmp: z.string().default('/var/run/utmp'),
  /** Filesystem types left out of `fs.*` (pseudo and read-only image filesystems). */
  exclude_fs_types: z
    .array(z.string())
    .default([
      'autofs',
      'binfmt_misc',
      'bpf',
      'cgroup',
      'cgroup2',
      'configfs',
      'debugfs',
      'devpts',
      'devtmpfs',
      'efivarfs',
      'fusectl',
      'hugetlbfs',
      'iso9660',
      'mqueue',
      'nsfs',
      'proc',
      'pstore',
      'ramfs',
      'rpc_pipefs',
      'securityfs',
      'selinuxfs',
      'squashfs',
      'sysfs',
      'tmpfs',
      'tracefs',
    ]),
  /** Interfaces left out of `net.*`. */
  exclude_interfaces: z.array(z.string()).default(['lo']),
  /** Service name → port: listening sockets and established connections per interval. */
  services: z
    .record(
      z.string().regex(/^[a-z0-9_-]+$/, 'expected a service name of a-z, 0-9, _ and -'),
      z.number().int().min(1).max(65535),
    )
    .default({ ...DEFAULT_SERVICE_PORTS }),
  /** Events and alerts counted per interval, per host (`events.<category>[.<outcome>]`, `alerts.<rule id>`). */
  event_rates: z
    .strictObject({
      /** Event categories to count; `*` = every category. */
      categories: z.array(z.string().min(1)).default(['*']),
      /** Rule ids whose alerts are counted; `*` = every rule, [] = none. */
      rules: z.array(z.string().min(1)).default(['*']),
      /** Distinct (host, metric) keys kept; the least recently seen is dropped past it. */
      max_keys: z.number().int().positive().default(10_000),
    })
    .prefault({}),
});

/** The process-table monitor: process start and exit events (docs/reference/metrics.md). */
export const processesSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How often the table is read and diffed; shorter-lived processes can be missed. */
  interval: duration.prefault('5s'),
  proc_root: z.string().default('/proc'),
  passwd: z.string().default('/etc/passwd'),
  /** Process names (or executable paths) that must run: an event when the last one is gone. */
  watch: z.array(z.string().min(1)).default([]),
  /** CPU time after which a process is reported once as runaway. */
  runaway_cpu_time: duration.prefault('1d'),
  /** Longest command line kept (characters). */
  max_command_line: z.number().int().positive().default(4096),
  /** Most processes tracked; past it, new ones are counted, not tracked. */
  max_processes: z.number().int().positive().default(100_000),
});

/** Learned time-of-week baselines and anomaly classes (docs/reference/anomaly.md). */
export const anomalySchema = z.strictObject({
  /** Learn from `event.kind: metric` events and emit anomaly events. */
  enabled: z.boolean().default(true),
  /** Width of a time-of-week slot (5m → 2,016 slots a week). */
  slot: duration.prefault('5m'),
  /** How many weeks a slot remembers (exponential forgetting). */
  memory_weeks: z.number().positive().max(520).default(8),
  /** A metric is not judged before it has been learned this long. */
  learning: duration.prefault('7d'),
  /** Lowest class that becomes an event: dev1 is a third of all samples. */
  emit: z.enum(['dev1', 'dev2', 'anomaly']).default('dev2'),
  /** A class stays active this long after it last fired; it is emitted again only once expired. */
  hold: duration.prefault('30m'),
  /** Absolute difference below which a 2σ deviation is a microanomaly, by metric name. */
  micro_thresholds: z.record(z.string(), z.number().nonnegative()).default({}),
  /** σ never below this share of the mean's magnitude, so a flat metric is not judged by noise. */
  min_stddev_share: z.number().nonnegative().default(0.01),
  entropy: z
    .strictObject({
      /** Normalized entropy (0..1) below which one source dominates. */
      low: z.number().min(0).max(1).default(0.3),
      /** Normalized entropy above which many sources share evenly. */
      high: z.number().min(0).max(1).default(0.95),
      min_connections: z.number().int().nonnegative().default(10),
      min_sources: z.number().int().positive().default(8),
    })
    .prefault({}),
  /** Most (host, metric) baselines kept (~28 KiB each with 5m slots). */
  max_metrics: z.number().int().positive().default(20_000),
  /** How often learned state is written to the store. */
  save_interval: duration.prefault('5m'),
});

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
      overrides: z.array(ruleOverrideSchema).default([]),
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
  /** File integrity monitoring; off while `paths` is empty. */
  fim: z
    .strictObject({
      hash: z.enum(['sha256', 'sha512', 'blake2b512']).default('sha256'),
      paths: z.array(fimPathSchema).default([]),
      /** Watch with inotify between scans. */
      realtime: z.boolean().default(true),
      /** Quiet time before a burst of realtime changes is checked. */
      debounce: duration.prefault(200),
      /** Full check of every path, catching what realtime missed. */
      scan_interval: duration.prefault('1h'),
      /** Hashing threads; default: the number of cores. */
      workers: z.number().int().positive().max(64).optional(),
    })
    .prefault({}),
  metrics: metricsSchema.prefault({}),
  processes: processesSchema.prefault({}),
  anomaly: anomalySchema.prefault({}),
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
export type FimConfig = z.output<typeof configSchema>['fim'];
export type FimPathConfig = z.output<typeof fimPathSchema>;
export type MetricsConfig = z.output<typeof metricsSchema>;
export type ProcessesConfig = z.output<typeof processesSchema>;
export type AnomalyConfig = z.output<typeof anomalySchema>;
