import type { Alert, Event } from '../event/types.js';

/**
 * The seam for the detection stage: every decoded event passes through each
 * detector in order; a detector may raise alerts. Detectors are synchronous on
 * the hot path and keep their own bounded state.
 */
export interface Detector {
  readonly name: string;
  process(event: Event, raise: (alert: Alert) => void): void;
  /** Called at the end of input (scan) and at shutdown: raise what is pending. */
  flush?(raise: (alert: Alert) => void): void;
}

/**
 * A detector whose implementation can be replaced while events flow (rule
 * hot reload): the swap happens between two events, never inside one.
 */
export class SwappableDetector implements Detector {
  readonly name: string;
  private current: Detector;

  constructor(initial: Detector) {
    this.current = initial;
    this.name = initial.name;
  }

  get active(): Detector {
    return this.current;
  }

  swap(next: Detector): void {
    this.current = next;
  }

  process(event: Event, raise: (alert: Alert) => void): void {
    this.current.process(event, raise);
  }

  flush(raise: (alert: Alert) => void): void {
    this.current.flush?.(raise);
  }
}
