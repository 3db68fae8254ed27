import type { Counters } from '../event/counters.js';
import type { Alert, Event, RawRecord } from '../event/types.js';
import type { DecoderStage } from '../decoders/types.js';
import type { Store } from '../store/types.js';
import type { Detector } from './detect.js';

export interface PipelineOptions {
  decoder: DecoderStage;
  detectors: Detector[];
  /** Where batches go; a scan without --store has none. */
  store?: Store;
  counters: Counters;
  /** Events per store transaction. */
  batchSize: number;
  /** Longest time an event waits before its batch is written. */
  batchInterval: number;
  /** Observers of every decoded event and alert (scan summaries, JSONL output). */
  onEvents?: (events: Event[]) => void;
  onAlerts?: (alerts: Alert[]) => void;
}

/**
 * decode → detect → store. Sources call `ingest` (it is their `emit`); a
 * record's checkpoint is written in the same transaction as the events decoded
 * from it, which is what makes a restart after kill -9 lose nothing and repeat
 * nothing.
 */
export class Pipeline {
  private readonly opts: PipelineOptions;
  private events: Event[] = [];
  private alerts: Alert[] = [];
  private checkpoints = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writeError: Error | undefined;
  private readonly raise = (alert: Alert): void => {
    this.alerts.push(alert);
  };

  constructor(opts: PipelineOptions) {
    this.opts = opts;
  }

  /** Hands records to the pipeline; resolves once they are accepted (backpressure). */
  readonly ingest = async (records: RawRecord[]): Promise<void> => {
    const decoder = this.opts.decoder;
    const decoded: Event[] = [];
    for (const record of records) {
      const out = decoder.decode(record);
      for (const e of out) decoded.push(e);
      if (record.checkpoint) this.checkpoints.set(record.checkpoint.key, record.checkpoint.value);
    }
    this.accept(decoded);
    if (this.events.length >= this.opts.batchSize) await this.flushBatch();
    else this.arm();
  };

  /**
   * Hands already-structured events (file integrity changes, metrics, process
   * starts and exits, anomalies) to detection and the store, skipping the
   * decoders. Same backpressure as `ingest`.
   */
  readonly submit = async (events: Event[]): Promise<void> => {
    this.accept(events);
    if (this.events.length >= this.opts.batchSize) await this.flushBatch();
    else this.arm();
  };

  private accept(decoded: Event[]): void {
    if (decoded.length === 0) return;
    const before = this.alerts.length;
    for (const event of decoded) {
      for (const detector of this.opts.detectors) detector.process(event, this.raise);
      // Without a store nothing needs the batch; holding it only feeds the GC.
      if (this.opts.store) this.events.push(event);
    }
    this.opts.counters.add('pipeline', 'events', decoded.length);
    this.opts.onEvents?.(decoded);
    if (this.alerts.length > before) {
      this.opts.counters.add('pipeline', 'alerts', this.alerts.length - before);
      this.opts.onAlerts?.(this.alerts.slice(before));
      // Likewise alerts: once observed, only a store needs them.
      if (!this.opts.store) this.alerts = [];
    }
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Input went quiet: hand over what the decoder holds (an auditd serial
      // whose closing record has not come) so it is stored with its checkpoint.
      this.accept(this.opts.decoder.flush());
      // A failure is kept in writeError and thrown to the next ingest or flush.
      this.flushBatch().catch(() => undefined);
    }, this.opts.batchInterval);
    this.timer.unref();
  }

  /**
   * Writes what is pending as one transaction. Up to two batches are in
   * flight while the next is decoded (the store may write on another
   * thread); a failed write surfaces on the next call.
   */
  private async flushBatch(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writeError) throw this.writeError;
    const batch = { events: this.events, alerts: this.alerts, checkpoints: this.checkpoints };
    const store = this.opts.store;
    if (
      !store ||
      (batch.events.length === 0 && batch.alerts.length === 0 && batch.checkpoints.size === 0)
    ) {
      return;
    }
    this.events = [];
    this.alerts = [];
    this.checkpoints = new Map();
    const counters = this.opts.counters;
    // Hand this batch over before waiting for the previous one, so a store
    // that writes on another thread always has the next batch queued.
    const previous = this.writing;
    this.writing = store.write(batch).then(
      () => {
        counters.add('store', 'events_written', batch.events.length);
        counters.add('store', 'batches');
      },
      (err: unknown) => {
        counters.add('store', 'write_errors');
        this.writeError ??= err as Error;
      },
    );
    await previous;
    if (this.writeError) throw this.writeError;
  }

  /** Alerts raised outside an event (a detector's clock tick): stored with the next batch. */
  raiseAlerts(alerts: Alert[]): void {
    if (alerts.length === 0) return;
    if (this.opts.store) for (const a of alerts) this.alerts.push(a);
    this.opts.counters.add('pipeline', 'alerts', alerts.length);
    this.opts.onAlerts?.(alerts);
    this.arm();
  }

  /** End of input or shutdown: drain held records (auditd groups), run detector flushes, write. */
  async flush(): Promise<void> {
    this.accept(this.opts.decoder.flush());
    const before = this.alerts.length;
    for (const detector of this.opts.detectors) detector.flush?.(this.raise);
    if (this.alerts.length > before) this.opts.onAlerts?.(this.alerts.slice(before));
    if (!this.opts.store) this.alerts = [];
    await this.flushBatch();
    await this.writing;
    if (this.writeError) throw this.writeError;
  }
}
