/**
 * The contract between stages. Field names follow Elastic Common Schema (ECS);
 * `vigil.*` holds what is ours. Decoders only ever produce this shape, rules
 * only ever read it, the store only ever persists it.
 */

export type EventKind = 'event' | 'alert' | 'metric' | 'state' | 'pipeline_error' | 'signal';
export type EventOutcome = 'success' | 'failure' | 'unknown';

export interface EcsEventFields {
  kind: EventKind;
  category?: string[];
  type?: string[];
  action?: string;
  outcome?: EventOutcome;
  /** The raw record as received, kept verbatim (after UTF-8 repair). */
  original?: string;
  /** When vigil first saw the record (ISO 8601). */
  ingested?: string;
  dataset?: string;
  module?: string;
  severity?: number;
  reason?: string;
}

export interface SyslogFields {
  facility?: { code?: number; name?: string };
  severity?: { code?: number; name?: string };
  priority?: number;
  hostname?: string;
  appname?: string;
  procid?: string;
  msgid?: string;
  version?: string;
  structured_data?: Record<string, Record<string, string>>;
}

export interface Event {
  '@timestamp': string;
  message?: string;
  event: EcsEventFields;
  host?: { name?: string; hostname?: string; ip?: string[] };
  source?: { ip?: string; port?: number; domain?: string; address?: string };
  destination?: { ip?: string; port?: number; domain?: string; address?: string };
  user?: {
    name?: string;
    id?: string;
    terminal?: string;
    target?: { name?: string; id?: string };
    effective?: { name?: string; id?: string };
  };
  group?: { name?: string; id?: string };
  process?: {
    name?: string;
    pid?: number;
    ppid?: number;
    executable?: string;
    command_line?: string;
    working_directory?: string;
    exit_code?: number;
    title?: string;
    /** When the process started / was seen gone (ISO 8601). */
    start?: string;
    end?: string;
    parent?: { pid?: number; name?: string; executable?: string };
    /** Not ECS (ECS has no cumulative CPU time): user + system CPU seconds used. */
    cpu?: { time?: number };
  };
  file?: {
    path?: string;
    name?: string;
    directory?: string;
    /** file, dir, symlink, fifo, socket, char, block. */
    type?: string;
    /** Octal permission bits with setuid/setgid/sticky (`4755`). */
    mode?: string;
    uid?: string;
    gid?: string;
    owner?: string;
    group?: string;
    inode?: string;
    size?: number;
    mtime?: string;
    ctime?: string;
    /** Content hashes by algorithm (`sha256`, `sha512`, `blake2b512`). */
    hash?: Record<string, string>;
    /** A symlink's target. */
    target_path?: string;
  };
  log?: { file?: { path?: string }; syslog?: SyslogFields; level?: string; logger?: string };
  network?: { transport?: string; protocol?: string; direction?: string; bytes?: number };
  related?: { ip?: string[]; user?: string[]; hosts?: string[] };
  service?: { name?: string };
  url?: { original?: string; path?: string; query?: string };
  http?: {
    version?: string;
    request?: { method?: string; referrer?: string };
    response?: { status_code?: number; body?: { bytes?: number } };
  };
  user_agent?: { original?: string };
  error?: { message?: string; code?: string };
  /** Decoded auditd record group: one event per audit serial. */
  auditd?: {
    sequence?: number;
    result?: string;
    records?: Array<{ type: string; data: Record<string, string> }>;
    data?: Record<string, string>;
  };
  /**
   * A sampled measurement (event.kind: metric). `name` is the stable key a
   * baseline is learned under (e.g. `load.1m`, `fs.used_pct./var`);
   * `distribution` carries counts by key where the metric has one (inbound
   * connections by source address for a service port), for entropy.
   */
  metric?: {
    name: string;
    value: number;
    unit?: string;
    distribution?: Record<string, number>;
  };
  /**
   * A learned-baseline verdict (event.dataset: vigil.anomaly, event.action:
   * the class). `class` is cfengine's name (`load_1m_high_anomaly`,
   * `entropy_ssh_in_low`); mean/stddev are the slot's, `sigma` the distance.
   */
  anomaly?: {
    class: string;
    /** Every class the sample raised, weakest first. */
    classes: string[];
    level: 'dev1' | 'dev2' | 'anomaly' | 'microanomaly' | 'levelshift' | 'entropy';
    direction: 'high' | 'low';
    metric: string;
    value: number;
    mean: number;
    stddev: number;
    sigma: number;
    /** Time-of-week slot (0 = Monday 00:00 UTC) and its label (`Tue 14:05`). */
    slot: number;
    slot_label: string;
    /** Entropy classes: normalized entropy 0..1, sources seen, and the volume's own class. */
    entropy?: number;
    sources?: number;
    volume?: 'high' | 'normal' | 'low';
  };
  /** Free-form key/values a decoder keeps that ECS has no name for. */
  labels?: Record<string, string>;
  vigil: VigilFields;
}

export interface VigilFields {
  /** Id of the source that produced the record (config `sources[].id`). */
  source: string;
  /** Name of the decoder that produced this event. */
  decoder?: string;
  /** Byte offset just past the record in its file, where the source is a file. */
  offset?: number;
  /** Set when the record could not be decoded, or was cut; the original is kept. */
  error?: string;
  /** Agent that shipped the event (later: transport). */
  agent?: string;
  /** File integrity: what changed and how it was judged (the file itself is in `file`). */
  fim?: FimFields;
}

export interface FimFields {
  /** added, changed, removed; `tampered` when the baseline failed its check. */
  change: 'added' | 'changed' | 'removed' | 'tampered';
  /** reported (waits for review), auto_accepted, purged, accepted. */
  status?: string;
  level?: 'high' | 'medium';
  /** The policy path the file falls under. */
  rule?: string;
  /** Changed attributes: type, mode, inode, nlink, uid, gid, size, mtime, ctime, xattrs, hash, error. */
  attributes?: string[];
  /** Old → new of each changed attribute, as text. */
  diff?: Record<string, { old?: string; new?: string }>;
  setuid_gained?: boolean;
  setgid_gained?: boolean;
  error?: string;
  problems?: string[];
}

export type AlertLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** A detection result. Rules arrive in the detection issue; the store is ready now. */
export interface Alert {
  id?: string;
  '@timestamp': string;
  rule: { id: string; title: string; level: AlertLevel; tags?: string[] };
  /** Wazuh-like numeric ordering of levels, 0–15. */
  severity: number;
  message?: string;
  group?: Record<string, string>;
  events?: string[];
  first_seen: string;
  last_seen: string;
  count: number;
  host?: { name?: string };
  source?: { ip?: string };
  user?: { name?: string };
}

/**
 * What a source hands to the pipeline: one record of bytes-turned-text plus
 * where it came from. Sources never decode.
 */
export interface RawRecord {
  /** Source id (config). */
  source: string;
  text: string;
  /** When the record was received. */
  received: Date;
  /** File path the record was read from. */
  path?: string;
  /** Byte offset just past this record in `path`, for checkpoints. */
  offset?: number;
  /** Checkpoint key and value that become durable when this record is stored. */
  checkpoint?: { key: string; value: string };
  /** Format hint from the source's config or nature (`auto` when absent). */
  format?: string;
  /** Address of the sender, for network sources. */
  peer?: string;
  /** Pre-parsed header fields, for sources like journald that carry them. */
  fields?: PreParsedFields;
  /** Set by the source when the record was damaged before decoding. */
  error?: string;
}

export interface PreParsedFields {
  timestamp?: Date;
  hostname?: string;
  program?: string;
  pid?: number;
  facility?: number;
  severity?: number;
  message?: string;
}
