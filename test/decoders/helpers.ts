import assert from 'node:assert/strict';
import { createDecoderStage, type DecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { getField } from '../../src/event/fields.js';
import { eventIssues } from '../../src/event/schema.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import type { Event, RawRecord } from '../../src/event/types.js';

/** Shared test helpers for the decode stage: every event is checked against the Event schema. */

export const RECEIVED = new Date('2026-03-15T12:00:00.000Z');

export interface StageOptions {
  timezone?: string;
  maxRecordSize?: number;
  decoderDirs?: string[];
  hostName?: string;
}

export function makeStage(o: StageOptions = {}): { stage: DecoderStage; counters: Counters } {
  const counters = new Counters();
  const stage = createDecoderStage({
    hostName: o.hostName ?? 'testhost',
    timezone: parseTimeZone(o.timezone ?? 'UTC')!,
    maxRecordSize: o.maxRecordSize ?? 65536,
    decoderDirs: o.decoderDirs ?? [],
    counters,
  });
  return { stage, counters };
}

export function assertValid(events: Event[]): Event[] {
  for (const e of events) assert.deepEqual(eventIssues(e), [], JSON.stringify(e));
  return events;
}

/** Decodes records on a stage and flushes; returns all events, schema-checked. */
export function decodeAll(
  stage: DecoderStage,
  records: Array<Partial<RawRecord> & { text: string }>,
): Event[] {
  const out: Event[] = [];
  for (const r of records) out.push(...stage.decode({ source: 'test', received: RECEIVED, ...r }));
  out.push(...stage.flush());
  return assertValid(out);
}

let shared: DecoderStage | undefined;

/** Decodes one line with a shared default stage (UTC) and returns its single event. */
export function decode(text: string, extra: Partial<RawRecord> = {}): Event {
  shared ??= makeStage().stage;
  const events = decodeAll(shared, [{ text, ...extra }]);
  assert.equal(events.length, 1, `expected one event for ${text}`);
  return events[0]!;
}

/** The given dotted paths of an event, for exact comparison with deepStrictEqual. */
export function pick(event: Event, paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    const v = getField(event, p);
    if (v !== undefined) out[p] = v;
  }
  return out;
}

/** The fields most decoder tests compare. */
export const COMMON = [
  'vigil.decoder',
  'vigil.error',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'event.reason',
  'user.name',
  'user.target.name',
  'source.ip',
  'source.port',
  'source.domain',
  'process.name',
  'process.pid',
];
