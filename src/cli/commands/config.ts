import YAML from 'yaml';
import { z } from 'zod';
import { configSchema } from '../../config/schema.js';
import { EXIT } from '../../errors.js';
import { loadFromOptions, printJson, type GlobalOptions } from '../context.js';

/** `vigil config check`: validates the config; exit 2 with every problem listed when invalid. */
export async function configCheck(opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const sources = loaded.config.sources?.length ?? 0;
  if (opts.json) {
    printJson({ ok: true, file: loaded.file ?? null, sources });
  } else {
    process.stdout.write(
      `${loaded.file ?? '(no config file: built-in defaults)'}: ok` +
        (loaded.file ? `, ${sources} source${sources === 1 ? '' : 's'}` : '') +
        '\n',
    );
  }
  return EXIT.OK;
}

/** `vigil config show`: the effective config, defaults filled in. */
export async function configShow(opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  if (opts.json) printJson(loaded.config);
  else {
    process.stdout.write(`# effective config from ${loaded.file ?? 'built-in defaults'}\n`);
    process.stdout.write(YAML.stringify(loaded.config));
  }
  return EXIT.OK;
}

/** `vigil config schema`: the config's JSON Schema, for editors (yaml-language-server). */
export async function configSchemaCommand(): Promise<number> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
  return EXIT.OK;
}
