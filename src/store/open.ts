import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { VigilError } from '../errors.js';
import { migrate } from './migrations.js';
import { configureConnection } from './sqlite-write.js';

/**
 * A connection to the store file, created with its directory when new, with
 * vigil's connection settings and the schema migrated. Every part of vigil
 * that keeps state in the store (events, the FIM baseline, anomaly
 * baselines) opens it here, so they agree on settings and schema and a
 * failure says which file and why.
 */
export function openDatabase(file: string): Database.Database {
  let db: Database.Database;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    db = new Database(file);
    configureConnection(db);
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_STORE_OPEN',
      `cannot open store ${file}: ${(err as Error).message}`,
      {
        file,
        cause: err,
      },
    );
  }
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw new VigilError(
      'VIGIL_ERR_STORE_OPEN',
      `cannot migrate store ${file}: ${(err as Error).message}`,
      { file, cause: err },
    );
  }
  return db;
}
