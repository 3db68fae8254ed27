import fs from 'node:fs';
import path from 'node:path';
import { hostDefaultSources } from '../../config/host-defaults.js';
import type { SourceConfig } from '../../config/schema.js';
import { EXIT } from '../../errors.js';
import { Counters } from '../../event/counters.js';
import { AlertLog } from '../../alerts/jsonl-log.js';
import type { Alert, Event } from '../../event/types.js';
import { SwappableDetector } from '../../pipeline/detect.js';
import type { SigmaDetector } from '../../rules/index.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { canRun, createSource, sourceIds } from '../../sources/index.js';
import type { Source } from '../../sources/types.js';
import type { RunMeta } from '../../store/types.js';
import { loadFromOptions, openStore, storePath, type GlobalOptions } from '../context.js';
import { loadDetection, reportRules } from '../detection.js';
import { loadLists } from '../lists.js';
import { createMonitors } from '../monitors.js';
import { RuleReloader } from '../reload.js';
import { buildDecoder } from '../runtime.js';
import { PID_FILE } from './status.js';

const COUNTER_SAVE_INTERVAL = 5000;
const TICK_INTERVAL = 10_000;

function say(line: string): void {
  process.stderr.write(`vigil: ${line}\n`);
}

/**
 * `vigil start`: collect, decode, (detect,) store on this host until SIGINT or
 * SIGTERM, then flush everything and exit 0.
 */
export async function start(opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const { config } = loaded;
  fs.mkdirSync(config.data_dir, { recursive: true });
  const store = await openStore(loaded);
  const counters = new Counters();
  const decoder = buildDecoder(config, counters);

  let sourceConfigs: SourceConfig[];
  if (config.sources) {
    sourceConfigs = config.sources;
  } else {
    const defaults = hostDefaultSources();
    sourceConfigs = defaults.sources;
    for (const s of defaults.skipped) say(`not watching ${s.what}: ${s.why}`);
  }

  const checkpoints = await store.checkpoints();
  const ids = sourceIds(sourceConfigs);
  const sources: Source[] = [];
  for (const [i, sc] of sourceConfigs.entries()) {
    const can = canRun(sc);
    if (!can.ok) {
      say(`skipping source ${ids[i]}: ${can.why}`);
      continue;
    }
    sources.push(
      createSource(
        { ...sc, id: ids[i] },
        {
          checkpoints,
          notice: (m) => say(m),
          counters,
          maxRecordSize: config.limits.max_record_size,
        },
      ),
    );
  }

  const lists = await loadLists(config, store);
  const detection = loadDetection(config, { lists, configFile: loaded.file });
  reportRules(detection);
  const sigma = new SwappableDetector(detection.detector);
  const alertLogPath =
    config.rules.alert_log.path === false
      ? undefined
      : path.resolve(config.rules.alert_log.path ?? path.join(config.data_dir, 'alerts.jsonl'));
  const alertLog = alertLogPath
    ? new AlertLog({
        file: alertLogPath,
        maxSize: config.rules.alert_log.max_size,
        keep: config.rules.alert_log.keep,
      })
    : undefined;
  if (alertLogPath) say(`alert log ${alertLogPath}`);

  const subscribers: Array<(events: Event[]) => void> = [];
  const alertSubscribers: Array<(alerts: Alert[]) => void> = [];
  const monitors = createMonitors({
    config,
    store,
    counters,
    notice: (m) => say(m),
    subscribe: (fn) => subscribers.push(fn),
    subscribeAlerts: (fn) => alertSubscribers.push(fn),
  });
  const pipeline = new Pipeline({
    decoder,
    detectors: [sigma],
    store,
    counters,
    batchSize: config.store.batch.size,
    batchInterval: config.store.batch.interval,
    onAlerts: (alerts) => {
      alertLog?.write(alerts);
      for (const fn of alertSubscribers) fn(alerts);
    },
    ...(subscribers.length > 0
      ? { onEvents: (events: Event[]) => subscribers.forEach((fn) => fn(events)) }
      : {}),
  });
  const reloader = new RuleReloader(detection.paths, () => {
    const next = loadDetection(config, {
      paths: detection.paths,
      lists,
      configFile: loaded.file,
    });
    if (next.loaded.errors.length > 0) {
      for (const e of next.loaded.errors) say(`rule error: ${e.message}`);
      say(
        `rules not reloaded: ${next.loaded.errors.length} error(s); the previous set stays active`,
      );
      counters.add('rules', 'reload_failures');
      return;
    }
    // Correlations whose definition did not change keep their windows.
    next.detector.adopt(sigma.active as SigmaDetector);
    sigma.swap(next.detector);
    counters.add('rules', 'reloads');
    say(
      `rules reloaded: ${next.loaded.rules.length} active, ${next.loaded.inactive.length} inactive`,
    );
  });

  const meta: RunMeta = {
    pid: process.pid,
    started: new Date().toISOString(),
    sources: [...sources, ...monitors].map((s) => ({
      id: s.id,
      kind: s.kind,
      describe: s.describe(),
    })),
  };
  say(`store ${storePath(loaded)}`);
  for (const s of meta.sources) {
    for (const d of s.describe) say(`watching ${s.id} (${s.kind}): ${d}`);
  }
  if (sources.length + monitors.length === 0)
    say('no source can run: nothing to watch (see `vigil config show`)');

  const pidFile = path.join(config.data_dir, PID_FILE);
  fs.writeFileSync(pidFile, `${process.pid}\n`);

  const abort = new AbortController();
  const stop = (signal: string) => {
    if (abort.signal.aborted) return;
    say(`${signal}: stopping`);
    abort.abort();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    say('SIGHUP: reloading rules');
    reloader.reloadNow();
  });

  const saveCounters = () => store.saveCounters(counters.snapshot(), meta);
  // Live lists change under us (`vigil lists add`, reactions): re-read them
  // with the counters, and drop what has expired.
  const refreshLists = async () => {
    await store.listPurge();
    lists.replaceLive(await store.listEntries());
  };
  const recordDetectionMemory = () => {
    for (const m of (sigma.active as SigmaDetector).memory()) {
      const scope = `correlation:${m.id}`;
      counters.set(scope, 'groups', m.groups);
      counters.set(scope, 'entries', m.entries);
      counters.set(scope, 'approx_bytes', m.approxBytes);
      counters.set(scope, 'fired', m.fired);
      counters.set(scope, 'evicted', m.evicted);
    }
  };
  const counterTimer = setInterval(() => {
    recordDetectionMemory();
    void saveCounters();
    void refreshLists();
  }, COUNTER_SAVE_INTERVAL);
  // Live input can go quiet; the wall clock then moves correlation time so
  // that an absence ("no MARK for 20 minutes") still fires.
  const tickTimer = setInterval(() => {
    const raised: Alert[] = [];
    (sigma.active as SigmaDetector).tick(Date.now(), (a) => raised.push(a));
    if (raised.length > 0) pipeline.raiseAlerts(raised);
  }, TICK_INTERVAL);
  const retention = async () => {
    const r = await store.applyRetention({
      maxAgeMs: config.store.retention.max_age,
      maxBytes: config.store.retention.max_size,
    });
    if (r.deletedByAge + r.deletedBySize > 0) {
      say(
        `retention: deleted ${r.deletedByAge} events past max_age, ${r.deletedBySize} over max_size`,
      );
    }
  };
  await retention();
  const retentionTimer = setInterval(() => void retention(), config.store.retention.check_interval);
  await saveCounters();

  let failures = 0;
  const failed = (id: string) => (err: unknown) => {
    say(`source ${id} stopped: ${(err as Error).message}`);
    counters.add(`source:${id}`, 'failures');
    failures++;
  };
  await Promise.all([
    ...sources.map((s) => s.run(abort.signal, pipeline.ingest).catch(failed(s.id))),
    ...monitors.map((m) => m.run(abort.signal, pipeline.submit).catch(failed(m.id))),
  ]);
  const running = sources.length + monitors.length;
  const allFailed = running > 0 && failures === running;
  if (!abort.signal.aborted && !allFailed && failures > 0) {
    // Some sources failed, the rest ended on their own: keep the process up
    // until told to stop, so the failure is seen in `vigil status`.
    await new Promise<void>((resolve) =>
      abort.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
  clearInterval(counterTimer);
  clearInterval(tickTimer);
  clearInterval(retentionTimer);
  reloader.close();
  await pipeline.flush();
  alertLog?.close();
  await saveCounters();
  await store.close();
  fs.rmSync(pidFile, { force: true });
  const events = counters.get('pipeline', 'events');
  const alerts = counters.get('pipeline', 'alerts');
  say(`stopped; ${events} events and ${alerts} alerts stored this run`);
  if (allFailed) {
    say('every source failed');
    return EXIT.RUNTIME;
  }
  return EXIT.OK;
}
