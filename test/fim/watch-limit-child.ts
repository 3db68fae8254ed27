import path from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { Counters } from '../../src/event/counters.js';
import { FimMonitor } from '../../src/fim/monitor.js';

/*
 * The FIM monitor of watch-limit.test.ts, run in a user namespace whose
 * inotify watch limit the test lowered: prints each notice and each change
 * event as a JSON line until stdin closes.
 */
const [root, data] = process.argv.slice(2) as [string, string];
const config = configSchema.parse({
  data_dir: data,
  host: { name: 'testhost' },
  fim: { workers: 1, debounce: 50, scan_interval: 1000, paths: [{ path: root }] },
});
const print = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
const abort = new AbortController();
process.stdin.on('end', () => abort.abort());
process.stdin.resume();
await new FimMonitor({
  config,
  storeFile: path.join(data, 'vigil.db'),
  counters: new Counters(),
  notice: (m) => print({ notice: m }),
}).run(abort.signal, async (events) => {
  for (const e of events) print({ path: e.file?.path, type: e.event.type?.[0] });
});
