import fs from 'node:fs';
import type { VigilConfig } from '../config/schema.js';
import { VigilError } from '../errors.js';
import { ListRegistry, parseListFile } from '../rules/lists.js';
import type { Store } from '../store/types.js';

/** Static lists from the config: inline values plus the file's lines. */
export function staticLists(config: VigilConfig): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, def] of Object.entries(config.lists)) {
    const values = [...def.values];
    if (def.file) {
      let text: string;
      try {
        text = fs.readFileSync(def.file, 'utf8');
      } catch (err) {
        throw new VigilError(
          'VIGIL_ERR_CONFIG_READ',
          `lists.${name}.file: cannot read ${def.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          { file: def.file },
        );
      }
      values.push(...parseListFile(text));
    }
    out.set(name, values);
  }
  return out;
}

/** The lists rules read: static ones from the config, live ones from the store. */
export async function loadLists(
  config: VigilConfig,
  store: Store | undefined,
): Promise<ListRegistry> {
  const lists = new ListRegistry();
  for (const [name, values] of staticLists(config)) lists.setStatic(name, values);
  if (store) lists.replaceLive(await store.listEntries());
  return lists;
}
