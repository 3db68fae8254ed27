import type Database from 'better-sqlite3';

/*
 * Schema history, oldest first; never edit a migration that has shipped, add
 * one. The schema version is SQLite's user_version, and migrations run in one
 * IMMEDIATE transaction, so two processes opening a new store at once (a
 * `vigil start` and a `vigil search`) cannot both apply the same step.
 *
 * Events keep their whole ECS document as JSON (fields are read with
 * json_extract) plus the time every query filters on. Full text lives in a
 * contentless FTS5 table keyed by the event id: the message is already in the
 * document, so FTS keeps only its index.
 */
const MIGRATIONS: ReadonlyArray<{
  name: string;
  sql: string;
  /** A step SQL alone cannot say (the names it acts on are found at run time). */
  run?: (db: Database.Database) => void;
}> = [
  {
    name: '0001_initial',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events(ts);
      CREATE VIRTUAL TABLE events_fts USING fts5(
        message, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
      );
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        rule_id TEXT NOT NULL,
        level TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX alerts_ts ON alerts(ts);
      CREATE INDEX alerts_rule ON alerts(rule_id, ts);
      CREATE TABLE checkpoints (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated INTEGER NOT NULL
      );
      CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated INTEGER NOT NULL
      );
    `,
  },
  {
    // Named lists that rules read (the `inlist` modifier) and reactions and
    // `vigil lists` write; an entry may expire.
    name: '0002_lists',
    sql: `
      CREATE TABLE list_entries (
        list TEXT NOT NULL,
        value TEXT NOT NULL,
        added INTEGER NOT NULL,
        expires INTEGER,
        origin TEXT NOT NULL,
        PRIMARY KEY (list, value)
      );
      CREATE INDEX list_entries_expires ON list_entries(expires) WHERE expires IS NOT NULL;
    `,
  },
  {
    // The file integrity baseline: one row per file, keyed by the raw path
    // bytes (names need not be UTF-8), with its recorded state, the keyed MAC
    // the signed seal sums over, and every reported or accepted change. Until
    // 0005 a full init swapped in a new fim_entries whose dir index had a
    // staging table's name: 0005 finds that index by its table.
    name: '0003_fim',
    sql: `
      CREATE TABLE fim_entries (
        path BLOB PRIMARY KEY,
        dir BLOB NOT NULL,
        state TEXT NOT NULL,
        mac BLOB NOT NULL,
        updated INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX fim_entries_dir ON fim_entries(dir);
      CREATE TABLE fim_history (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        path BLOB NOT NULL,
        change TEXT NOT NULL,
        status TEXT NOT NULL,
        attributes TEXT NOT NULL,
        old TEXT,
        new TEXT
      );
      CREATE INDEX fim_history_path ON fim_history(path, id);
      CREATE TABLE fim_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Learned time-of-week baselines: one row per (host, metric), the slot
    // arrays packed in a blob (src/anomaly/persist.ts).
    name: '0004_anomaly',
    sql: `
      CREATE TABLE anomaly_metrics (
        key TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        metric TEXT NOT NULL,
        updated INTEGER NOT NULL,
        state BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX anomaly_metrics_metric ON anomaly_metrics(metric);
    `,
  },
  {
    // A directory's entries are a range of the path key (src/fim/baseline.ts
    // reads them so), which makes the dir column and its index, a second
    // B-tree every init wrote, redundant. The index may carry the name a
    // staging table gave it: it is found by its table.
    name: '0005_fim_entries_by_path',
    sql: '',
    run: (db) => {
      const indexes = db
        .prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'fim_entries' AND sql IS NOT NULL",
        )
        .pluck()
        .all() as string[];
      for (const name of indexes) db.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`);
      db.exec('ALTER TABLE fim_entries DROP COLUMN dir');
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema up to date; returns the names of the migrations applied. */
export function migrate(db: Database.Database): string[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === SCHEMA_VERSION) return [];
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `store schema version ${current} is newer than this vigil knows (${SCHEMA_VERSION}): upgrade vigil`,
    );
  }
  const apply = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    const applied: string[] = [];
    for (let i = version; i < SCHEMA_VERSION; i++) {
      const m = MIGRATIONS[i]!;
      if (m.sql) db.exec(m.sql);
      m.run?.(db);
      applied.push(MIGRATIONS[i]!.name);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return applied;
  });
  return apply.immediate();
}
