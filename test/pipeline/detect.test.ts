import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ensureBenchLog } from '../../bench/generate.js';
import { writeVariantRules } from '../../bench/rules/variants.js';
import { BUILTIN_RULES_DIR, loadDetection } from '../../src/cli/detection.js';
import { parseConfig } from '../../src/config/load.js';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import type { Alert, Event } from '../../src/event/types.js';
import type { Detector } from '../../src/pipeline/detect.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { EventView, matches, SigmaDetector, type LoadedRules } from '../../src/rules/index.js';
import { tmpDir } from '../helpers/tmp.js';

/*
 * Detection through the pipeline on the benchmark's generated log: the rule
 * index (logsource plans, keys chosen by load, `or` filed under every
 * alternative) must find exactly what testing every rule finds, and the
 * brute-force correlation must alert exactly the generator's ground truth.
 */

const BRUTEFORCE_ID = '52265373-df4d-4088-ad43-601fabdfffcd';

function decodeFile(file: string): Event[] {
  const stage = createDecoderStage({
    hostName: 'test',
    timezone: parseTimeZone('UTC')!,
    maxRecordSize: 65536,
    decoderDirs: [],
    counters: new Counters(),
  });
  const received = new Date('2026-11-23T12:00:00.000Z');
  const out: Event[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (text) out.push(...stage.decode({ source: 'test', received, text }));
  }
  out.push(...stage.flush());
  return out;
}

/** Rules as `vigil scan` loads them (default config); fails the test on any rule error. */
function rules(paths: string[] = [BUILTIN_RULES_DIR]): LoadedRules {
  const { loaded } = loadDetection(parseConfig({ timezone: 'UTC' }, 'test'), { paths });
  assert.deepEqual(
    loaded.errors.map((e) => e.message),
    [],
  );
  return loaded;
}

/** Alerts of a detector over the events, as comparable lines. */
function alertLines(det: SigmaDetector, events: readonly Event[]): string[] {
  const out: string[] = [];
  const raise = (a: Alert) =>
    out.push(`${a['@timestamp']} ${a.rule.id} ${JSON.stringify(a.group ?? {})} ${a.count}`);
  for (const e of events) det.process(e, raise);
  det.flush(raise);
  return out;
}

test('the rule index finds what testing every rule finds (built-in set + 200 variants)', async (t) => {
  const dir = tmpDir(t);
  const { file } = await ensureBenchLog(dir, 6000);
  const variants = writeVariantRules(path.join(dir, 'variants'), 200);
  const loaded = rules([BUILTIN_RULES_DIR, variants]);
  const events = decodeFile(file);
  const opts = { correlations: loaded.correlations };
  const indexed = new SigmaDetector(loaded.rules, opts);
  const plain = new SigmaDetector(loaded.rules, { ...opts, index: false });
  let matched = 0;
  for (const e of events) {
    // every rule whose logsource predicate holds, tested one by one (no plan, no index)
    const view = new EventView(e);
    const want = loaded.rules
      .filter((r) => r.entry.applies(e) && matches(r, view))
      .map((r) => r.id);
    assert.deepEqual(
      indexed.match(e).map((r) => r.id),
      want,
      e.event.original,
    );
    assert.deepEqual(
      plain.match(e).map((r) => r.id),
      want,
      e.event.original,
    );
    matched += want.length;
  }
  assert.ok(matched > events.length / 4, `only ${matched} matches`);
  const fresh = () => [
    new SigmaDetector(loaded.rules, opts),
    new SigmaDetector(loaded.rules, { ...opts, index: false }),
  ];
  const [a, b] = fresh();
  assert.deepEqual(alertLines(a!, events), alertLines(b!, events));
});

test('ssh-bruteforce-source alerts exactly the ground truth of the generated log', async (t) => {
  const dir = tmpDir(t);
  const { file, truth } = await ensureBenchLog(dir, 30_000);
  assert.ok(truth.bruteforce.length >= 3, 'the log has planted brute force');
  assert.ok(
    truth.planted.some((s) => !s.bruteforce),
    'and near misses',
  );
  const loaded = rules();
  const alerted = new Set<string>();
  const counters = new Counters();
  const pipeline = new Pipeline({
    decoder: createDecoderStage({
      hostName: 'test',
      timezone: parseTimeZone('UTC')!,
      maxRecordSize: 65536,
      decoderDirs: [],
      counters,
    }),
    detectors: [new SigmaDetector(loaded.rules, { correlations: loaded.correlations })],
    counters,
    batchSize: 500,
    batchInterval: 10_000,
    onAlerts: (list) => {
      for (const a of list) if (a.rule.id === BRUTEFORCE_ID) alerted.add(a.group!['source.ip']!);
    },
  });
  const received = new Date('2026-11-23T12:00:00.000Z');
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  for (let i = 0; i < lines.length; i += 1000) {
    await pipeline.ingest(
      lines.slice(i, i + 1000).map((text) => ({ source: 'test', received, text })),
    );
  }
  await pipeline.flush();
  assert.deepEqual([...alerted].sort(), truth.bruteforce);
});

test('correlation windows read event time right across hours and in other forms', () => {
  const loaded = rules();
  const det = new SigmaDetector(loaded.rules, { correlations: loaded.correlations });
  const fail = (ts: string, ip: string): Event => ({
    '@timestamp': ts,
    event: {
      kind: 'event',
      category: ['authentication'],
      action: 'ssh_login',
      outcome: 'failure',
    },
    process: { name: 'sshd' },
    source: { ip },
    user: { name: `u-${ts}` },
    vigil: { source: 'test' },
  });
  // 6 failures within 300 s (bounds included) crossing an hour, in mixed forms.
  const inside = [
    '2026-11-01T09:58:00.000Z',
    '2026-11-01T09:59:59.999Z',
    '2026-11-01T10:00:00.000Z',
    '2026-11-01T11:01:00.000+01:00',
    '2026-11-01T10:02:30.000Z',
    '2026-11-01T10:03:00.000Z',
  ];
  // 6 failures 301 s apart end to end, crossing the next hour.
  const outside = [
    '2026-11-01T10:58:00.000Z',
    '2026-11-01T10:59:00.000Z',
    '2026-11-01T11:00:00.000Z',
    '2026-11-01T11:01:00.000Z',
    '2026-11-01T11:02:00.000Z',
    '2026-11-01T11:03:01.000Z',
  ];
  const ips: string[] = [];
  const raise = (a: Alert) => {
    if (a.rule.id === BRUTEFORCE_ID) ips.push(a.group!['source.ip']!);
  };
  for (const ts of inside) det.process(fail(ts, '192.0.2.1'), raise);
  for (const ts of outside) det.process(fail(ts, '192.0.2.2'), raise);
  det.flush(raise);
  assert.deepEqual(ips, ['192.0.2.1']);
});

test('without a store every alert reaches onAlerts exactly once and none is held', async () => {
  class EveryFailure implements Detector {
    readonly name = 'every-failure';
    process(event: Event, raise: (alert: Alert) => void): void {
      if (event.event.outcome !== 'failure') return;
      raise({
        '@timestamp': event['@timestamp'],
        rule: { id: `fail-${event.source?.port}`, title: 'failure', level: 'low' },
        severity: 3,
        first_seen: event['@timestamp'],
        last_seen: event['@timestamp'],
        count: 1,
      });
    }
    flush(raise: (alert: Alert) => void): void {
      raise({
        '@timestamp': '2026-11-01T00:00:00.000Z',
        rule: { id: 'flush', title: 'flush', level: 'low' },
        severity: 3,
        first_seen: '2026-11-01T00:00:00.000Z',
        last_seen: '2026-11-01T00:00:00.000Z',
        count: 1,
      });
    }
  }
  const counters = new Counters();
  const seen: string[] = [];
  const pipeline = new Pipeline({
    decoder: createDecoderStage({
      hostName: 'h',
      timezone: parseTimeZone('UTC')!,
      maxRecordSize: 65536,
      decoderDirs: [],
      counters,
    }),
    detectors: [new EveryFailure()],
    counters,
    batchSize: 2,
    batchInterval: 10_000,
    onAlerts: (list) => seen.push(...list.map((a) => a.rule.id)),
  });
  const received = new Date('2026-11-23T12:00:00.000Z');
  for (let port = 1000; port < 1010; port++) {
    await pipeline.ingest([
      {
        source: 's',
        received,
        text: `Nov  1 10:00:00 h sshd[1]: Failed password for root from 192.0.2.9 port ${port} ssh2`,
      },
    ]);
  }
  pipeline.raiseAlerts([
    {
      '@timestamp': '2026-11-01T00:00:00.000Z',
      rule: { id: 'tick', title: 'tick', level: 'low' },
      severity: 3,
      first_seen: '2026-11-01T00:00:00.000Z',
      last_seen: '2026-11-01T00:00:00.000Z',
      count: 1,
    },
  ]);
  await pipeline.flush();
  assert.deepEqual(seen, [
    ...Array.from({ length: 10 }, (_, i) => `fail-${1000 + i}`),
    'tick',
    'flush',
  ]);
  // Nothing is kept for a store that is not there (a long scan stays flat).
  assert.equal((pipeline as unknown as { alerts: Alert[] }).alerts.length, 0);
});
