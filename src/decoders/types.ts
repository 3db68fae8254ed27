import type { Counters } from '../event/counters.js';
import type { Event, RawRecord } from '../event/types.js';
import type { TimeZone } from '../event/timezone.js';

export interface DecodeOptions {
  /** host.name for records that carry none. */
  hostName: string;
  /** Zone for timestamps that carry none (RFC 3164). */
  timezone: TimeZone;
  /** Records longer than this are cut and marked with vigil.error. */
  maxRecordSize: number;
  /** Extra YAML decoder directories, tried before the built-in ones. */
  decoderDirs: string[];
  counters: Counters;
}

/**
 * The decode stage: raw records in, normalized events out. Never throws on
 * input: a record it cannot decode becomes an event with `vigil.error` set and
 * `event.original` kept. Some formats group several records into one event
 * (auditd: one event per serial), so decode may return zero events now and
 * more later; `flush` hands over whatever is still held.
 */
export interface DecoderStage {
  decode(record: RawRecord): Event[];
  flush(): Event[];
}

/** The message part of a record once the syslog (or other) header is parsed. */
export interface HeaderResult {
  timestamp?: Date;
  hostname?: string;
  program?: string;
  pid?: number;
  message: string;
}
