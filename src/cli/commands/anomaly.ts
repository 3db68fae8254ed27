import fs from 'node:fs';
import { EXIT, VigilError } from '../../errors.js';
import type { MetricState } from '../../anomaly/engine.js';
import { NabDetector } from '../../anomaly/nab-detector.js';
import { AnomalyStateStore } from '../../anomaly/persist.js';
import { learnedWeek, reportRows, showRows, weekCsv, weekSvg } from '../../anomaly/report.js';
import { parseSeriesCsv } from '../../anomaly/series.js';
import { loadFromOptions, printJson, storePath, type GlobalOptions } from '../context.js';

function loadStates(opts: GlobalOptions): MetricState[] {
  const loaded = loadFromOptions(opts);
  const file = storePath(loaded);
  if (!fs.existsSync(file)) {
    throw new VigilError(
      'VIGIL_ERR_STORE_OPEN',
      `no store at ${file}: run \`vigil start\` with metrics first, or pass --data-dir`,
      { file },
    );
  }
  const store = new AnomalyStateStore(file);
  try {
    return store.load(loaded.config.anomaly).states;
  } finally {
    store.close();
  }
}

const num = (v: number): string => (Number.isFinite(v) ? String(v) : '-');

/** `vigil anomaly show`: each metric now against its slot. */
export async function anomalyShow(opts: GlobalOptions): Promise<number> {
  const rows = showRows(loadStates(opts));
  if (opts.json) {
    for (const r of rows) printJson(r);
    return EXIT.OK;
  }
  if (rows.length === 0) {
    process.stdout.write('no baselines learned yet (metrics are learned by `vigil start`)\n');
    return EXIT.OK;
  }
  const table = [['host', 'metric', 'value', 'average', 'stddev', 'σ', 'trend', 'classes']];
  for (const r of rows) {
    table.push([
      r.host,
      r.metric,
      num(r.value),
      num(r.mean),
      num(r.stddev),
      num(r.sigma),
      `${r.trend >= 0 ? '+' : ''}${r.trend}σ`,
      r.classes.join(' ') || '-',
    ]);
  }
  process.stdout.write(columns(table));
  return EXIT.OK;
}

/** `vigil anomaly report`: peaks of the last day and week, top sources and entropy. */
export async function anomalyReport(opts: GlobalOptions): Promise<number> {
  const rows = reportRows(loadStates(opts), Date.now());
  if (opts.json) {
    for (const r of rows) printJson(r);
    return EXIT.OK;
  }
  const out: string[] = [];
  const table = [['host', 'metric', 'peak 24h', 'at', 'peak 7d', 'at']];
  for (const r of rows) {
    table.push([
      r.host,
      r.metric,
      r.dayPeak ? String(r.dayPeak.value) : '-',
      r.dayPeak?.at ?? '-',
      r.weekPeak ? String(r.weekPeak.value) : '-',
      r.weekPeak?.at ?? '-',
    ]);
  }
  out.push(columns(table));
  const sources = rows.filter((r) => r.topSources);
  if (sources.length > 0) {
    out.push('\nsources by service (share of recent connections), entropy:\n');
    for (const r of sources) {
      const top = r.topSources!.map((s) => `${s.key} ${s.share}%`).join(', ');
      out.push(`  ${r.host} ${r.metric}: entropy ${r.entropyPct ?? '-'}%  ${top}\n`);
    }
  }
  process.stdout.write(out.join(''));
  return EXIT.OK;
}

/** `vigil anomaly export METRIC --csv|--svg`: the learned week. */
export async function anomalyExport(
  metric: string,
  opts: GlobalOptions & { csv?: boolean; svg?: boolean; host?: string; output?: string },
): Promise<number> {
  if (!!opts.csv === !!opts.svg) {
    throw new VigilError('VIGIL_ERR_USAGE', 'anomaly export: pass exactly one of --csv or --svg');
  }
  const states = loadStates(opts).filter(
    (s) => s.metric === metric && (opts.host === undefined || s.host === opts.host),
  );
  if (states.length === 0) {
    throw new VigilError('VIGIL_ERR_USAGE', `anomaly export: no learned baseline for ${metric}`);
  }
  if (states.length > 1) {
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `anomaly export: ${metric} is learned on ${states.length} hosts (${states.map((s) => s.host).join(', ')}): pass --host`,
    );
  }
  const s = states[0]!;
  const week = learnedWeek(s);
  const text = opts.csv ? weekCsv(week) : weekSvg(week, `${s.host} ${s.metric}`);
  if (opts.output && opts.output !== '-') fs.writeFileSync(opts.output, text);
  else process.stdout.write(text);
  return EXIT.OK;
}

/** `vigil anomaly reset METRIC [--host H]`: forget what was learned. */
export async function anomalyReset(
  metric: string,
  opts: GlobalOptions & { host?: string },
): Promise<number> {
  const loaded = loadFromOptions(opts);
  const store = new AnomalyStateStore(storePath(loaded));
  try {
    const n = store.remove(metric, opts.host);
    process.stdout.write(
      n === 0
        ? `no baseline for ${metric}${opts.host ? ` on ${opts.host}` : ''}\n`
        : `forgot ${n} baseline(s) of ${metric}; a running vigil drops them at its next save\n`,
    );
    return n === 0 ? EXIT.FINDINGS : EXIT.OK;
  } finally {
    store.close();
  }
}

/**
 * `vigil anomaly replay FILE.csv`: the online detector over a NAB-style
 * series, one output row per input row (unreadable rows score 0).
 */
export async function anomalyReplay(
  file: string,
  opts: GlobalOptions & { output?: string },
): Promise<number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_INPUT_READ', `cannot read ${file}: ${(err as Error).message}`, {
      file,
      cause: err,
    });
  }
  const series = parseSeriesCsv(text);
  const detector = new NabDetector();
  const n = series.values.length;
  const parts: string[] = ['timestamp,value,anomaly_score\n'];
  let chunk = '';
  let unreadable = 0;
  for (let i = 0; i < n; i++) {
    const v = series.values[i]!;
    const at = series.timestamps[i]!;
    // A row without a readable time or value is not evidence: it is not learned.
    const readable = Number.isFinite(at) && Number.isFinite(v);
    if (!readable) unreadable++;
    const score = readable ? detector.update(at, v) : 0;
    chunk += `${series.rawTimestamps[i]},${Number.isFinite(v) ? v : ''},${score === 0 ? '0' : score.toFixed(6)}\n`;
    if (chunk.length > 1 << 16) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  if (opts.output && opts.output !== '-') fs.writeFileSync(opts.output, parts.join(''));
  else process.stdout.write(parts.join(''));
  if (unreadable > 0) {
    process.stderr.write(`${file}: ${unreadable} of ${n} rows unreadable, scored 0\n`);
  }
  return EXIT.OK;
}

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
