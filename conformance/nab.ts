/*
 * NAB conformance: runs vigil's online detector over the Numenta Anomaly
 * Benchmark series in ../shared/corpora/nab, writes the results in NAB's own
 * layout (so NAB's scorer can check them too) and scores them with our
 * implementation of NAB's method (src/anomaly/nab-score.ts).
 *
 *   node --import tsx conformance/nab.ts [corpus-dir] [results-dir]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NabDetector } from '../src/anomaly/nab-detector.js';
import {
  NAB_PROFILES,
  scoreCorpus,
  windowsToIndices,
  type ScoredFile,
} from '../src/anomaly/nab-score.js';
import { parseSeriesCsv, parseTimestamp } from '../src/anomaly/series.js';

const DETECTOR = 'vigil';
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export function nabConformance(
  corpus = resolve(ROOT, '../shared/corpora/nab'),
  results = join(ROOT, 'conformance/out/nab'),
): void {
  const dataDir = join(corpus, 'data');
  if (!existsSync(dataDir)) {
    console.log(`nab: corpus not found at ${corpus}; skipped`);
    return;
  }
  const labels = JSON.parse(
    readFileSync(join(corpus, 'labels/combined_windows.json'), 'utf8'),
  ) as Record<string, Array<[string, string]>>;
  const scored: ScoredFile[] = [];
  let points = 0;
  let ms = 0;
  for (const category of readdirSync(dataDir).sort()) {
    for (const file of readdirSync(join(dataDir, category)).sort()) {
      if (!file.endsWith('.csv')) continue;
      const key = `${category}/${file}`;
      const series = parseSeriesCsv(readFileSync(join(dataDir, category, file), 'utf8'));
      const limits = (labels[key] ?? []).map(
        ([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as const,
      );
      const windows = windowsToIndices(series.timestamps, limits);
      const detector = new NabDetector();
      const scores = new Float64Array(series.values.length);
      const t0 = performance.now();
      for (let i = 0; i < scores.length; i++) {
        scores[i] = detector.update(series.timestamps[i]!, series.values[i]!);
      }
      ms += performance.now() - t0;
      points += scores.length;
      scored.push({ name: key, scores, windows });
      writeResult(results, category, file, series, scores, windows);
    }
  }
  console.log(
    `\nNAB (${corpus}): ${scored.length} files, ${points.toLocaleString('en-US')} points, ` +
      `${scored.reduce((n, f) => n + f.windows.length, 0)} windows; detector ${Math.round(points / (ms / 1000)).toLocaleString('en-US')} points/s`,
  );
  console.log(`results in NAB layout: ${join(results, DETECTOR)}`);
  console.log(
    `${'profile'.padEnd(20)} ${'score'.padStart(6)}  threshold  raw      null     perfect  tp/windows  fp`,
  );
  const summary: string[] = ['profile,score,threshold,raw,null,perfect,tp,fn,fp'];
  for (const profile of Object.keys(NAB_PROFILES)) {
    const r = scoreCorpus(scored, profile);
    console.log(
      `${profile.padEnd(20)} ${r.normalized.toFixed(1).padStart(6)}  ${r.threshold.toFixed(4).padStart(9)}  ${r.raw.toFixed(2).padStart(7)}  ${r.nullRaw.toFixed(2).padStart(7)}  ${r.perfect.toFixed(0).padStart(7)}  ${`${r.tp}/${r.tp + r.fn}`.padStart(10)}  ${r.fp}`,
    );
    summary.push(
      [
        profile,
        r.normalized.toFixed(2),
        r.threshold,
        r.raw,
        r.nullRaw,
        r.perfect,
        r.tp,
        r.fn,
        r.fp,
      ].join(','),
    );
    const perFile = [
      'file,raw,tp,fn,fp',
      ...r.perFile.map((f) => [f.name, f.raw.toFixed(4), f.tp, f.fn, f.fp].join(',')),
    ];
    writeFileSync(
      join(results, DETECTOR, `${DETECTOR}_${profile}_scores.csv`),
      perFile.join('\n') + '\n',
    );
  }
  writeFileSync(join(results, DETECTOR, `${DETECTOR}_summary.csv`), summary.join('\n') + '\n');
  console.log(
    'score: NAB normalized, 100·(raw − null)/(perfect − null); threshold swept per profile over these files.',
  );
}

function writeResult(
  results: string,
  category: string,
  file: string,
  series: ReturnType<typeof parseSeriesCsv>,
  scores: Float64Array,
  windows: ReturnType<typeof windowsToIndices>,
): void {
  const dir = join(results, DETECTOR, category);
  mkdirSync(dir, { recursive: true });
  const label = new Uint8Array(scores.length);
  for (const w of windows) label.fill(1, w.start, w.end + 1);
  const rows = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < scores.length; i++) {
    rows.push(
      `${series.rawTimestamps[i]},${series.values[i]},${scores[i]!.toFixed(6)},${label[i]}`,
    );
  }
  writeFileSync(join(dir, `${DETECTOR}_${basename(file)}`), rows.join('\n') + '\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  nabConformance(process.argv[2], process.argv[3]);
}
