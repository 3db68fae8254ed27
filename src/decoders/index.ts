import { DecoderSet, type DecoderInfo } from './declarative.js';
import { BUILTIN_TS_DECODERS, Decoder } from './stage.js';
import type { DecodeOptions, DecoderStage } from './types.js';

/*
 * The decode stage's public surface. One line per piece; no logic here.
 */

export type { DecodeOptions, DecoderStage } from './types.js';
export type { DecoderInfo } from './declarative.js';
export { BUILTIN_DECODER_DIR } from './declarative.js';
export { detectFormat, type Format } from './stage.js';

/**
 * Builds the decode stage: loads the YAML decoders of `opts.decoderDirs`
 * (tried first, and replacing built-in decoders of the same name) and of the
 * built-in directory. Throws VigilError `VIGIL_ERR_DECODER_INVALID` naming the
 * file and decoder for an invalid decoder file.
 */
export function createDecoderStage(opts: DecodeOptions): DecoderStage {
  return new Decoder(opts, DecoderSet.load(opts.decoderDirs));
}

/**
 * Every decoder the stage would use, in match order: the declarative ones
 * (user directories first) followed by the built-in TypeScript ones.
 * Throws like `createDecoderStage` for an invalid decoder file.
 */
export function listDecoders(decoderDirs: readonly string[] = []): DecoderInfo[] {
  const set = DecoderSet.load(decoderDirs);
  return [
    ...set.info,
    ...BUILTIN_TS_DECODERS.map((name) => ({
      name,
      file: '(built-in)',
      programs: undefined,
      description: undefined,
    })),
  ];
}
