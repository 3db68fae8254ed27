import type { CounterSnapshot } from '../event/counters.js';
import type { Alert, Event } from '../event/types.js';

/**
 * The storage interface every caller uses. SQLite is the embedded default;
 * a PostgreSQL implementation plugs in behind the same methods.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores events, alerts and the checkpoints they advance, atomically. */
  write(batch: WriteBatch): Promise<void>;
  /** Every checkpoint committed so far, by key. */
  checkpoints(): Promise<Map<string, string>>;
  searchEvents(query: EventQuery): Promise<StoredEvent[]>;
  countEvents(query?: Omit<EventQuery, 'limit'>): Promise<number>;
  searchAlerts(query: { since?: Date; limit: number }): Promise<Alert[]>;
  saveCounters(snapshot: CounterSnapshot, meta: RunMeta): Promise<void>;
  loadCounters(): Promise<{ updated: Date; counters: CounterSnapshot; meta: RunMeta } | undefined>;
  info(): Promise<StoreInfo>;
  applyRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  /** Live list entries (all lists, or one), expired ones left out. */
  listEntries(list?: string, now?: Date): Promise<ListEntry[]>;
  /** Adds or refreshes entries; `expires` undefined keeps them until removed. */
  listAdd(
    list: string,
    values: readonly string[],
    opts: { expires?: Date; origin: string; now?: Date },
  ): Promise<void>;
  /** Removes entries; returns how many existed. */
  listRemove(list: string, values: readonly string[]): Promise<number>;
  /** Deletes expired entries; returns how many. */
  listPurge(now?: Date): Promise<number>;
  close(): Promise<void>;
}

export interface WriteBatch {
  events: Event[];
  alerts: Alert[];
  /** Newest checkpoint value per key; committed in the same transaction. */
  checkpoints: Map<string, string>;
}

export interface FieldFilter {
  /** Dotted ECS path (`source.ip`, `event.outcome`). */
  field: string;
  value: string;
}

export interface EventQuery {
  /** Full-text query over message (FTS5 syntax: words, "phrases", AND/OR/NOT, prefix*). */
  text?: string;
  since?: Date;
  until?: Date;
  fields?: FieldFilter[];
  limit: number;
}

export interface StoredEvent {
  id: number;
  event: Event;
}

/** What the running `vigil start` records about itself, for `vigil status`. */
export interface RunMeta {
  pid: number;
  started: string;
  sources: Array<{ id: string; kind: string; describe: string[] }>;
}

export interface StoreInfo {
  path: string;
  bytes: number;
  events: number;
  alerts: number;
  oldest?: string;
  newest?: string;
}

export interface ListEntry {
  list: string;
  value: string;
  added: Date;
  expires?: Date;
  /** Who added it: `cli`, a reaction, a config file. */
  origin: string;
}

export interface RetentionPolicy {
  maxAgeMs: number;
  maxBytes: number;
  now?: Date;
}

export interface RetentionResult {
  deletedByAge: number;
  deletedBySize: number;
}
