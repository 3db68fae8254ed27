import type { VigilConfig } from '../config/schema.js';
import type { Counters } from '../event/counters.js';
import type { Event } from '../event/types.js';
import { VigilError } from '../errors.js';
import type { Monitor, Submit } from '../sources/types.js';
import { encodeState } from './attributes.js';
import {
  closeSession,
  compareTree,
  init,
  openSession,
  plan,
  trustedKey,
  type CheckResult,
  type FimSession,
} from './engine.js';
import { changeEvent, tamperEvent } from './events.js';
import type { Change } from './judge.js';
import { RealtimeWatcher } from './realtime.js';
import type { FimKey } from './signer.js';

export interface FimMonitorContext {
  config: VigilConfig;
  storeFile: string;
  counters: Counters;
  notice(message: string): void;
}

/**
 * File integrity inside `vigil start`: builds the baseline on first run,
 * then checks every path on `scan_interval` and, between checks, the paths
 * inotify reports. Each new change becomes one event; a baseline that fails
 * verification becomes a tamper event and is not compared against until it
 * verifies again.
 */
export class FimMonitor implements Monitor {
  readonly id = 'fim';
  readonly kind = 'fim';
  private session: FimSession | undefined;
  private key: FimKey | undefined;
  private queue: Promise<void> = Promise.resolve();
  // What each reported path was last announced as, so realtime bursts and
  // scheduled checks announce a pending change once per process.
  private readonly announced = new Map<string, string>();
  private tamperAnnounced = false;

  constructor(private readonly ctx: FimMonitorContext) {}

  describe(): string[] {
    const f = this.ctx.config.fim;
    return f.paths.map(
      (p) =>
        `${p.path} (${typeof p.attributes === 'string' ? p.attributes : p.attributes.join('+')}, ${f.hash}${f.realtime ? ', realtime' : ''}, full check every ${Math.round(f.scan_interval / 1000)}s)`,
    );
  }

  async run(signal: AbortSignal, submit: Submit): Promise<void> {
    const { config, counters } = this.ctx;
    const s = openSession(config, this.ctx.storeFile);
    this.session = s;
    let watcher: RealtimeWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!s.baseline.seal() && s.baseline.entries === 0) {
        this.ctx.notice('fim: no baseline yet: building it (this first scan reports nothing)');
        const r = await init(s, config.data_dir);
        this.ctx.notice(`fim: baseline of ${r.entries} entries built`);
        for (const e of r.errors) this.ctx.notice(`fim: ${e}`);
      }
      const enqueue = (task: () => Promise<void>): void => {
        this.queue = this.queue.then(task).catch((err: unknown) => {
          counters.add('fim', 'failures');
          this.ctx.notice(`fim: ${(err as Error).message}`);
        });
      };
      const check = (paths?: string[]) => async () => {
        if (signal.aborted) return;
        // The seal pass reads every entry: scheduled checks make it; a
        // realtime burst relies on the last one and on the per-entry MACs
        // checked as it reads.
        if ((!paths || !this.key || this.tamperAnnounced) && !(await this.trust(submit))) return;
        const events: Event[] = [];
        let r: CheckResult;
        try {
          r = await compareTree(s, this.key!, {
            mode: 'check',
            signal,
            ...(paths ? { paths, shallow: true } : {}),
            onChange: (c) => {
              const e = this.announce(c);
              if (e) events.push(e);
            },
          });
        } catch (err) {
          // An entry that fails its MAC mid-walk: the changes gathered so
          // far came from a baseline that is not to be trusted.
          await this.tampered(err, submit);
          return;
        }
        counters.add('fim', paths ? 'realtime_checks' : 'scheduled_checks');
        counters.add('fim', 'files', r.stats.visited);
        counters.add('fim', 'allowed', r.allowed);
        counters.add('fim', 'errors', r.stats.errors);
        if (events.length > 0) {
          counters.add('fim', 'changes', events.length);
          await submit(events);
        }
      };
      enqueue(check());
      if (config.fim.realtime) {
        const { policy } = plan(config, s.baseline);
        watcher = new RealtimeWatcher({
          rules: policy.rules,
          debounce: config.fim.debounce,
          onPaths: async (paths) => {
            // Paths outside every rule (a watcher's parent directory) are not ours.
            const ours = paths.filter((p) => policy.ruleFor(p) !== undefined);
            if (ours.length > 0) enqueue(check(ours));
            await this.queue;
          },
          onWarning: (m) => {
            counters.add('fim', 'watch_warnings');
            this.ctx.notice(`fim: ${m}`);
          },
        });
        await watcher.start();
        this.ctx.notice(`fim: realtime watching of ${policy.rules.length} path(s) ready`);
      }
      timer = setInterval(() => enqueue(check()), config.fim.scan_interval);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      if (timer) clearInterval(timer);
      await watcher?.close();
      await this.queue;
      await closeSession(s);
    }
  }

  /** Verifies the baseline before it is used; a failure is announced once and stops comparisons. */
  private async trust(submit: Submit): Promise<boolean> {
    try {
      this.key = trustedKey(this.session!, this.ctx.config.data_dir);
      this.tamperAnnounced = false;
      return true;
    } catch (err) {
      await this.tampered(err, submit);
      return false;
    }
  }

  private async tampered(err: unknown, submit: Submit): Promise<void> {
    if (!(err instanceof VigilError) || err.code !== 'VIGIL_ERR_FIM_TAMPERED') throw err;
    this.ctx.counters.add('fim', 'tamper_detected');
    if (this.tamperAnnounced) return;
    this.tamperAnnounced = true;
    this.ctx.notice(`fim: ${err.message}`);
    await submit([tamperEvent([err.message], this.ctx.config.host.name, this.id)]);
  }

  private announce(c: Change): Event | undefined {
    const k = c.bytes.toString('latin1');
    const fp = `${c.kind}:${c.new ? encodeState(c.new) : ''}`;
    if (c.status === 'reported') {
      if (this.announced.get(k) === fp) return undefined;
      this.announced.set(k, fp);
    } else {
      this.announced.delete(k);
    }
    return changeEvent(c, this.ctx.config.host.name, this.id);
  }
}
