import type { VigilConfig } from '../config/schema.js';
import { createDecoderStage } from '../decoders/index.js';
import type { DecoderStage } from '../decoders/types.js';
import type { Counters } from '../event/counters.js';
import { parseTimeZone } from '../event/timezone.js';

/** The decode stage as the config describes it. */
export function buildDecoder(config: VigilConfig, counters: Counters): DecoderStage {
  return createDecoderStage({
    hostName: config.host.name,
    timezone: parseTimeZone(config.timezone)!,
    maxRecordSize: config.limits.max_record_size,
    decoderDirs: config.decoders.dirs,
    counters,
  });
}
