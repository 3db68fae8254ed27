import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { VigilError } from '../errors.js';
import { configSchema, type VigilConfig } from './schema.js';

export interface LoadOptions {
  /** Config file; when undefined, no file is read and defaults apply. */
  file?: string | undefined;
  /** Overrides `data_dir` from the file (CLI `--data-dir`, VIGIL_DATA_DIR). */
  dataDir?: string | undefined;
}

export interface LoadedConfig {
  config: VigilConfig;
  /** The file it came from, or undefined for built-in defaults. */
  file: string | undefined;
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of p) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** One line per problem: `key.path: what was expected`. */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.map((issue) => {
    let msg = issue.message;
    if (issue.code === 'unrecognized_keys') {
      msg = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    } else {
      const disc = /^Invalid discriminator value\. Expected (.+)$/.exec(msg);
      if (disc) msg = `expected one of ${disc[1]!.replace(/'/g, '').split(' | ').join(', ')}`;
    }
    return `${formatPath(issue.path)}: ${msg.replace(/^Invalid input: /, '')}`;
  });
}

/** Validates an already-parsed document; throws VigilError with every problem listed. */
export function parseConfig(doc: unknown, file: string): VigilConfig {
  const result = configSchema.safeParse(doc ?? {});
  if (!result.success) {
    const lines = formatIssues(result.error.issues);
    throw new VigilError(
      'VIGIL_ERR_CONFIG_INVALID',
      `invalid config ${file}:\n${lines.map((l) => `  ${l}`).join('\n')}`,
      { file },
    );
  }
  return result.data;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  let config: VigilConfig;
  const file = opts.file ? path.resolve(opts.file) : undefined;
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new VigilError(
        'VIGIL_ERR_CONFIG_READ',
        `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { file, cause: err },
      );
    }
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const lines = doc.errors.map((e) => `  ${e.message.split('\n')[0]}`);
      throw new VigilError(
        'VIGIL_ERR_CONFIG_YAML',
        `invalid YAML in ${file}:\n${lines.join('\n')}`,
        {
          file,
        },
      );
    }
    config = parseConfig(doc.toJS(), file);
  } else {
    config = parseConfig({}, '(defaults)');
  }
  if (opts.dataDir) config.data_dir = opts.dataDir;
  config.data_dir = path.resolve(config.data_dir);
  return { config, file };
}
