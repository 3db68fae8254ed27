import type { Event, RawRecord } from '../event/types.js';
import type { Counters } from '../event/counters.js';

/**
 * The source contract. A source reads records from somewhere and hands them
 * to `emit`; it never decodes and never stores. Rules every source keeps:
 * - `run` returns when `signal` aborts (after handing over what it has read);
 * - `emit` is awaited: it applies backpressure, and a record handed to it with
 *   a `checkpoint` becomes durable together with the events it produced;
 * - no retry loops that hide failure: report through `ctx.notice` and counters.
 */
export interface Source {
  readonly id: string;
  readonly kind: string;
  /** One line per thing monitored, printed by `vigil start`. */
  describe(): string[];
  run(signal: AbortSignal, emit: Emit): Promise<void>;
}

export type Emit = (records: RawRecord[]) => Promise<void>;

export interface SourceContext {
  /** Checkpoint values committed by earlier runs, by key. */
  checkpoints: ReadonlyMap<string, string>;
  /** A message for the operator (what is watched, what cannot be read and why). */
  notice(message: string): void;
  counters: Counters;
  /** Longest record handed on; longer ones are cut and marked with `error`. */
  maxRecordSize: number;
}

/** Can this source run on this host? `why` says what is missing. */
export type CanRun = { ok: true } | { ok: false; why: string };

/**
 * A monitor produces structured events itself rather than text records: file
 * integrity changes, host metrics, process starts and exits, anomalies. It
 * hands them to `submit`, which skips the decoders and goes straight to
 * detection and the store (with the same backpressure as `Emit`).
 */
export interface Monitor {
  readonly id: string;
  readonly kind: string;
  /** One line per thing monitored, printed by `vigil start`. */
  describe(): string[];
  run(signal: AbortSignal, submit: Submit): Promise<void>;
}

export type Submit = (events: Event[]) => Promise<void>;
