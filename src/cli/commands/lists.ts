import { parseDuration } from '../../config/units.js';
import { EXIT, VigilError } from '../../errors.js';
import {
  loadFromOptions,
  openExistingStore,
  openStore,
  printJson,
  type GlobalOptions,
} from '../context.js';
import { staticLists } from '../lists.js';

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new VigilError('VIGIL_ERR_USAGE', `list name "${name}": expected letters, digits, _ . -`);
  }
}

/** `vigil lists [NAME]`: every entry, static (config) and live (store), with expiry and origin. */
export async function listsShow(name: string | undefined, opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const rows: Array<{ list: string; value: string; origin: string; expires: string | null }> = [];
  for (const [list, values] of staticLists(loaded.config)) {
    if (name !== undefined && list !== name) continue;
    for (const value of values)
      rows.push({ list, value, origin: `config ${loaded.file ?? ''}`.trim(), expires: null });
  }
  let store;
  try {
    store = await openExistingStore(loaded);
  } catch {
    store = undefined;
  }
  if (store) {
    for (const e of await store.listEntries(name)) {
      rows.push({
        list: e.list,
        value: e.value,
        origin: e.origin,
        expires: e.expires?.toISOString() ?? null,
      });
    }
    await store.close();
  }
  rows.sort((a, b) => a.list.localeCompare(b.list) || a.value.localeCompare(b.value));
  if (opts.json) {
    for (const r of rows) printJson(r);
  } else {
    for (const r of rows) {
      process.stdout.write(
        `${r.list}  ${r.value}  (${r.origin}${r.expires ? `, expires ${r.expires}` : ''})\n`,
      );
    }
    if (rows.length === 0) process.stdout.write(name ? `list ${name} is empty\n` : 'no lists\n');
  }
  return EXIT.OK;
}

/** `vigil lists add NAME VALUE... [--ttl 1h]`: live entries a running vigil picks up within seconds. */
export async function listsAdd(
  name: string,
  values: string[],
  opts: GlobalOptions & { ttl?: string },
): Promise<number> {
  checkName(name);
  let expires: Date | undefined;
  if (opts.ttl !== undefined) {
    const ms = parseDuration(opts.ttl);
    if (ms === undefined)
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `--ttl: expected a duration like 30m, 12h, 7d; got "${opts.ttl}"`,
      );
    expires = new Date(Date.now() + ms);
  }
  const store = await openStore(loadFromOptions(opts));
  try {
    await store.listAdd(name, values, { origin: 'cli', ...(expires ? { expires } : {}) });
  } finally {
    await store.close();
  }
  process.stdout.write(
    `added ${values.length} to ${name}${expires ? ` until ${expires.toISOString()}` : ''}\n`,
  );
  return EXIT.OK;
}

/** `vigil lists remove NAME VALUE...`. */
export async function listsRemove(
  name: string,
  values: string[],
  opts: GlobalOptions,
): Promise<number> {
  checkName(name);
  const store = await openExistingStore(loadFromOptions(opts));
  let n: number;
  try {
    n = await store.listRemove(name, values);
  } finally {
    await store.close();
  }
  process.stdout.write(`removed ${n} from ${name}\n`);
  return n > 0 ? EXIT.OK : EXIT.FINDINGS;
}
