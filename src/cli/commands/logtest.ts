import type { RecordFormat } from '../../config/schema.js';
import { EXIT } from '../../errors.js';
import { Counters } from '../../event/counters.js';
import type { Event, RawRecord } from '../../event/types.js';
import { createSource } from '../../sources/index.js';
import { loadFromOptions, printJson, type GlobalOptions } from '../context.js';
import type { RuleExplanation } from '../../rules/index.js';
import { loadDetection } from '../detection.js';
import { loadLists } from '../lists.js';
import { buildDecoder } from '../runtime.js';

export interface LogtestOptions extends GlobalOptions {
  format?: RecordFormat;
}

/** Which rules an event matched, and through which selections: the "why" of an alert. */
function showRules(explained: RuleExplanation[]): void {
  const relevant = explained.filter((x) => x.matched || x.filteredBy.length > 0);
  if (relevant.length === 0) {
    process.stdout.write('rules: none matched\n\n');
    return;
  }
  process.stdout.write('rules:\n');
  for (const x of relevant) {
    const why =
      x.filteredBy.length > 0
        ? `excluded by filter ${x.filteredBy.join(', ')}`
        : `selections ${x.selections.join(', ')}`;
    const mark = x.matched ? 'match' : 'no   ';
    process.stdout.write(`  ${mark}  ${x.rule.level}  ${x.rule.title} [${x.rule.id}]  ${why}\n`);
  }
  process.stdout.write('\n');
}

function show(events: Event[], json: boolean | undefined): void {
  for (const e of events) {
    if (json) {
      printJson(e);
      continue;
    }
    const flat: Array<[string, string]> = [];
    const walk = (prefix: string, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, sub] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, sub);
      } else flat.push([prefix, Array.isArray(v) ? v.join(', ') : String(v)]);
    };
    walk('', e);
    const width = Math.max(...flat.map(([k]) => k.length));
    process.stdout.write(
      `decoder: ${e.vigil.decoder ?? '-'}${e.vigil.error ? `  (error: ${e.vigil.error})` : ''}\n`,
    );
    for (const [k, v] of flat) {
      if (k === 'event.original') continue;
      process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    }
    process.stdout.write('\n');
  }
}

/**
 * `vigil logtest [LINE]`: decode one line (or each line of stdin) and show
 * the event, like wazuh-logtest. Exit 1 when a line decoded with an error.
 */
export async function logtest(line: string | undefined, opts: LogtestOptions): Promise<number> {
  const { config, file: configFile } = loadFromOptions(opts);
  const counters = new Counters();
  const decoder = buildDecoder(config, counters);
  const detection = loadDetection(config, {
    lists: await loadLists(config, undefined),
    configFile,
  });
  for (const e of detection.loaded.errors)
    process.stderr.write(`vigil: rule error: ${e.message}\n`);
  let errors = 0;
  const one = (record: RawRecord) => {
    const events = [...decoder.decode(record), ...decoder.flush()];
    errors += events.filter((e) => e.vigil.error).length;
    show(events, opts.json);
    if (!opts.json) for (const e of events) showRules(detection.detector.explain(e));
  };
  if (line !== undefined) {
    one({ source: 'logtest', text: line, received: new Date(), format: opts.format ?? 'auto' });
  } else {
    if (process.stdin.isTTY)
      process.stderr.write('vigil logtest: type a log line (Ctrl-D to end)\n');
    // The stdin source bounds line length and repairs UTF-8 as every source does.
    const stdin = createSource(
      { type: 'stdin', id: 'logtest', format: opts.format ?? 'auto' },
      {
        checkpoints: new Map(),
        notice: (m) => process.stderr.write(`vigil: ${m}\n`),
        counters,
        maxRecordSize: config.limits.max_record_size,
      },
    );
    await stdin.run(new AbortController().signal, async (records) => {
      for (const r of records) {
        if (r.text.length > 0) one(r);
      }
    });
  }
  return errors > 0 ? EXIT.FINDINGS : EXIT.OK;
}
