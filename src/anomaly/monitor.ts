import type { AnomalyConfig } from '../config/schema.js';
import type { Counters } from '../event/counters.js';
import type { Event } from '../event/types.js';
import type { Monitor, Submit } from '../sources/types.js';
import { AnomalyEngine } from './engine.js';
import { AnomalyStateStore } from './persist.js';

export interface AnomalyMonitorOptions {
  config: AnomalyConfig;
  storeFile: string;
  counters: Counters;
  notice(message: string): void;
}

/**
 * The engine inside `vigil start`: it sees every accepted batch (through
 * `observeEvents`), queues the anomaly events the metric events raise, and
 * submits them from `run`; learned state is loaded at start, saved every
 * `save_interval` and on stop. A baseline deleted from the store meanwhile
 * (`vigil anomaly reset`) is dropped here too instead of being written back.
 */
export class AnomalyMonitor implements Monitor {
  readonly id = 'anomaly';
  readonly kind = 'anomaly';
  readonly engine: AnomalyEngine;
  private readonly store: AnomalyStateStore;
  private queue: Event[] = [];
  private wake: (() => void) | undefined;
  private readonly persisted = new Set<string>();

  constructor(private readonly opts: AnomalyMonitorOptions) {
    this.engine = new AnomalyEngine(opts.config);
    this.store = new AnomalyStateStore(opts.storeFile);
    const { states, skipped } = this.store.load(opts.config);
    for (const s of states) {
      this.engine.adopt(s);
      this.persisted.add(s.key);
    }
    if (skipped > 0) {
      opts.notice(
        `anomaly: ${skipped} stored baseline(s) learned with another slot width: relearning`,
      );
    }
  }

  describe(): string[] {
    const c = this.opts.config;
    return [
      `baselines of metric events: ${this.engine.states.size} learned, slot ${c.slot / 60_000} min, memory ${c.memory_weeks} weeks, events from ${c.emit}`,
    ];
  }

  /** Subscriber for the pipeline's accepted batches; anomaly events are not fed back in. */
  readonly observeEvents = (events: Event[]): void => {
    const out = this.engine.observe(events);
    if (out.length === 0) return;
    this.queue.push(...out);
    this.wake?.();
  };

  async run(signal: AbortSignal, submit: Submit): Promise<void> {
    const save = (): void => {
      this.dropReset();
      const n = this.store.save(this.engine.states.values());
      for (const s of this.engine.states.values()) this.persisted.add(s.key);
      this.opts.counters.add('anomaly', 'saved', n);
      this.opts.counters.set('anomaly', 'metrics', this.engine.states.size);
      this.opts.counters.set('anomaly', 'state_bytes', this.engine.stateBytes());
      this.opts.counters.set('anomaly', 'garbage', this.engine.counters.garbage);
      this.opts.counters.set('anomaly', 'samples', this.engine.counters.samples);
    };
    const timer = setInterval(save, this.opts.config.save_interval);
    try {
      while (!signal.aborted) {
        if (this.queue.length > 0) {
          const batch = this.queue;
          this.queue = [];
          this.opts.counters.add('anomaly', 'events', batch.length);
          await submit(batch);
          continue;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        this.wake = undefined;
      }
      if (this.queue.length > 0) await submit(this.queue.splice(0));
    } finally {
      clearInterval(timer);
      save();
      this.store.close();
    }
  }

  private dropReset(): void {
    const stored = new Set(this.store.rows().map((r) => r.key));
    for (const key of this.persisted) {
      if (!stored.has(key)) {
        this.engine.forget(key);
        this.persisted.delete(key);
      }
    }
  }
}
