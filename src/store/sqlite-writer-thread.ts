import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection, createBatchWriter, type EncodedBatch } from './sqlite-write.js';

/*
 * Worker entry: owns the writing connection so inserts run on the second core
 * while the main thread reads and decodes. Replies to every batch with
 * {id} or {id, error}.
 */
const db = new Database((workerData as { file: string }).file);
configureConnection(db);
const write = createBatchWriter(db);

parentPort!.on('message', (msg: { id: number; batch: EncodedBatch } | { close: true }) => {
  if ('close' in msg) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    write(msg.batch);
    parentPort!.postMessage({ id: msg.id });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
