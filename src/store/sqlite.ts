import fs from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Generated, type SqlBool, type Expression } from 'kysely';
import { VigilError } from '../errors.js';
import type { CounterSnapshot } from '../event/counters.js';
import { ARRAY_FIELDS, NUMERIC_FIELDS } from '../event/fields.js';
import type { Alert, Event } from '../event/types.js';
import { openDatabase } from './open.js';
import { createBatchWriter, encodeBatch, type EncodedBatch } from './sqlite-write.js';
import { SqliteWriterThread } from './sqlite-writer.js';
import type {
  EventQuery,
  ListEntry,
  RetentionPolicy,
  RetentionResult,
  RunMeta,
  Store,
  StoreInfo,
  StoredEvent,
  WriteBatch,
} from './types.js';

interface Tables {
  events: { id: Generated<number>; ts: number; doc: string };
  alerts: { id: Generated<number>; ts: number; rule_id: string; level: string; doc: string };
  checkpoints: { key: string; value: string; updated: number };
  state: { key: string; value: string; updated: number };
  list_entries: {
    list: string;
    value: string;
    added: number;
    expires: number | null;
    origin: string;
  };
}

const FIELD_NAME = /^(@timestamp|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_@][A-Za-z0-9_]*)*)$/;

function jsonPath(field: string): string {
  return (
    '$' +
    field
      .split('.')
      .map((p) => `."${p}"`)
      .join('')
  );
}

/** Sigma-like wildcards in a field filter: `*` any run, `?` one character. */
function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly kysely: Kysely<Tables>;
  private readonly writeLocal: ((batch: EncodedBatch) => void) | undefined;
  private readonly writer: SqliteWriterThread | undefined;

  private constructor(file: string, db: Database.Database, writerThread: boolean) {
    this.path = file;
    this.db = db;
    this.kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: db }) });
    this.writer = writerThread ? new SqliteWriterThread(file) : undefined;
    this.writeLocal = writerThread ? undefined : createBatchWriter(db);
  }

  /**
   * Opens (creating when needed) the database and brings its schema up to
   * date. With `writerThread`, inserts run on a worker thread so that storing
   * overlaps decoding (used by `vigil start` and `vigil scan --store`).
   */
  static async open(file: string, opts: { writerThread?: boolean } = {}): Promise<SqliteStore> {
    const db = openDatabase(file);
    return new SqliteStore(file, db, opts.writerThread ?? false);
  }

  async write(batch: WriteBatch): Promise<void> {
    const encoded = encodeBatch(batch);
    if (this.writer) await this.writer.write(encoded);
    else this.writeLocal!(encoded);
  }

  async checkpoints(): Promise<Map<string, string>> {
    const rows = await this.kysely.selectFrom('checkpoints').select(['key', 'value']).execute();
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  private eventFilters(query: Omit<EventQuery, 'limit'>): Expression<SqlBool>[] {
    const where: Expression<SqlBool>[] = [];
    if (query.since) where.push(sql<SqlBool>`ts >= ${query.since.getTime()}`);
    if (query.until) where.push(sql<SqlBool>`ts < ${query.until.getTime()}`);
    if (query.text) {
      where.push(
        sql<SqlBool>`id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ${query.text})`,
      );
    }
    for (const { field, value } of query.fields ?? []) {
      if (!FIELD_NAME.test(field)) {
        throw new VigilError(
          'VIGIL_ERR_SEARCH_QUERY',
          `not a field name: "${field}" (expected a dotted ECS path such as source.ip)`,
        );
      }
      const p = jsonPath(field);
      if (ARRAY_FIELDS.has(field)) {
        where.push(
          sql<SqlBool>`EXISTS (SELECT 1 FROM json_each(doc, ${p}) WHERE value = ${value})`,
        );
      } else if (NUMERIC_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(value)) {
        where.push(sql<SqlBool>`json_extract(doc, ${p}) = ${Number(value)}`);
      } else if (hasWildcard(value)) {
        const glob = value.replace(/[[\]]/g, (c) => `[${c}]`);
        where.push(sql<SqlBool>`CAST(json_extract(doc, ${p}) AS TEXT) GLOB ${glob}`);
      } else {
        where.push(sql<SqlBool>`CAST(json_extract(doc, ${p}) AS TEXT) = ${value}`);
      }
    }
    return where;
  }

  private wrapQueryError(err: unknown, query: Omit<EventQuery, 'limit'>): never {
    const msg = (err as Error).message ?? String(err);
    // SQLite reports FTS5 query errors as plain SqliteErrors; with a text query
    // in play, any of these is the query's fault, not the store's.
    if (
      query.text !== undefined &&
      /fts5|MATCH|syntax error|unterminated|unknown special query|no such column/i.test(msg)
    ) {
      throw new VigilError(
        'VIGIL_ERR_SEARCH_QUERY',
        `cannot parse search query "${query.text}": ${msg}`,
      );
    }
    throw err;
  }

  async searchEvents(query: EventQuery): Promise<StoredEvent[]> {
    const where = this.eventFilters(query);
    try {
      let q = this.kysely.selectFrom('events').select(['id', 'doc']);
      for (const w of where) q = q.where(w);
      const rows = await q.orderBy('ts', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((r) => ({ id: r.id, event: JSON.parse(r.doc) as Event }));
    } catch (err) {
      return this.wrapQueryError(err, query);
    }
  }

  async countEvents(query: Omit<EventQuery, 'limit'> = {}): Promise<number> {
    const where = this.eventFilters(query);
    try {
      let q = this.kysely.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n'));
      for (const w of where) q = q.where(w);
      const row = await q.executeTakeFirstOrThrow();
      return Number(row.n);
    } catch (err) {
      return this.wrapQueryError(err, query);
    }
  }

  async searchAlerts(query: { since?: Date; limit: number }): Promise<Alert[]> {
    let q = this.kysely.selectFrom('alerts').select('doc');
    if (query.since) q = q.where('ts', '>=', query.since.getTime());
    const rows = await q.orderBy('ts', 'desc').limit(query.limit).execute();
    return rows.map((r) => JSON.parse(r.doc) as Alert);
  }

  async saveCounters(snapshot: CounterSnapshot, meta: RunMeta): Promise<void> {
    const value = JSON.stringify({ counters: snapshot, meta });
    const now = Date.now();
    await this.kysely
      .insertInto('state')
      .values({ key: 'run', value, updated: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated: now }))
      .execute();
  }

  async loadCounters(): Promise<
    { updated: Date; counters: CounterSnapshot; meta: RunMeta } | undefined
  > {
    const row = await this.kysely
      .selectFrom('state')
      .select(['value', 'updated'])
      .where('key', '=', 'run')
      .executeTakeFirst();
    if (!row) return undefined;
    const parsed = JSON.parse(row.value) as { counters: CounterSnapshot; meta: RunMeta };
    return { updated: new Date(row.updated), counters: parsed.counters, meta: parsed.meta };
  }

  /** Bytes in use by live pages (free pages are reused, so the file stays bounded). */
  private usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  async info(): Promise<StoreInfo> {
    const ev = await this.kysely
      .selectFrom('events')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min('ts').as('oldest'),
        eb.fn.max('ts').as('newest'),
      ])
      .executeTakeFirstOrThrow();
    const al = await this.kysely
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    let bytes = 0;
    for (const suffix of ['', '-wal']) {
      try {
        bytes += fs.statSync(this.path + suffix).size;
      } catch {
        // the WAL exists only while a connection has written
      }
    }
    const out: StoreInfo = { path: this.path, bytes, events: Number(ev.n), alerts: Number(al.n) };
    if (ev.oldest !== null) out.oldest = new Date(Number(ev.oldest)).toISOString();
    if (ev.newest !== null) out.newest = new Date(Number(ev.newest)).toISOString();
    return out;
  }

  private deleteEventsUpTo(maxId: number): number {
    const tx = this.db.transaction(() => {
      this.db.prepare('DELETE FROM events_fts WHERE rowid <= ?').run(maxId);
      return this.db.prepare('DELETE FROM events WHERE id <= ?').run(maxId).changes;
    });
    return tx();
  }

  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const now = (policy.now ?? new Date()).getTime();
    const result: RetentionResult = { deletedByAge: 0, deletedBySize: 0 };
    const cutoff = now - policy.maxAgeMs;
    const lastOld = this.db
      .prepare('SELECT max(id) AS id FROM events WHERE ts < ?')
      .get(cutoff) as { id: number | null };
    if (lastOld.id !== null) result.deletedByAge = this.deleteEventsUpTo(lastOld.id);
    this.db.prepare('DELETE FROM alerts WHERE ts < ?').run(cutoff);
    // Delete the oldest tenth at a time until live pages fit the budget.
    for (let round = 0; round < 50 && this.usedBytes() > policy.maxBytes; round++) {
      const count = (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      if (count === 0) break;
      const step = Math.max(1, Math.ceil(count / 10));
      const row = this.db
        .prepare('SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?')
        .get(step - 1) as { id: number };
      result.deletedBySize += this.deleteEventsUpTo(row.id);
    }
    if (result.deletedByAge + result.deletedBySize > 0) this.db.pragma('wal_checkpoint(PASSIVE)');
    return result;
  }

  async listEntries(list?: string, now = new Date()): Promise<ListEntry[]> {
    let q = this.kysely
      .selectFrom('list_entries')
      .selectAll()
      .where((eb) => eb.or([eb('expires', 'is', null), eb('expires', '>', now.getTime())]));
    if (list !== undefined) q = q.where('list', '=', list);
    const rows = await q.orderBy('list').orderBy('value').execute();
    return rows.map((r) => ({
      list: r.list,
      value: r.value,
      added: new Date(r.added),
      ...(r.expires !== null ? { expires: new Date(r.expires) } : {}),
      origin: r.origin,
    }));
  }

  async listAdd(
    list: string,
    values: readonly string[],
    opts: { expires?: Date; origin: string; now?: Date },
  ): Promise<void> {
    if (values.length === 0) return;
    const added = (opts.now ?? new Date()).getTime();
    const expires = opts.expires ? opts.expires.getTime() : null;
    await this.kysely
      .insertInto('list_entries')
      .values(values.map((value) => ({ list, value, added, expires, origin: opts.origin })))
      .onConflict((oc) =>
        oc.columns(['list', 'value']).doUpdateSet((eb) => ({
          added: eb.ref('excluded.added'),
          expires: eb.ref('excluded.expires'),
          origin: eb.ref('excluded.origin'),
        })),
      )
      .execute();
  }

  async listRemove(list: string, values: readonly string[]): Promise<number> {
    if (values.length === 0) return 0;
    const res = await this.kysely
      .deleteFrom('list_entries')
      .where('list', '=', list)
      .where('value', 'in', [...values])
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async listPurge(now = new Date()): Promise<number> {
    const res = await this.kysely
      .deleteFrom('list_entries')
      .where('expires', 'is not', null)
      .where('expires', '<=', now.getTime())
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async close(): Promise<void> {
    await this.writer?.close();
    await this.kysely.destroy();
    // Kysely closes the connection only if it ever ran a query through it.
    if (this.db.open) this.db.close();
  }
}
