/**
 * The error catalogue: every error vigil reports to a user has a stable code,
 * a message and the exit status the CLI uses for it. docs/reference/errors.md
 * lists the same codes (a test checks they agree).
 */
export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, RUNTIME: 3 } as const;

export const ERROR_CODES = {
  VIGIL_ERR_CONFIG_READ: { exit: EXIT.USAGE, summary: 'the config file cannot be read' },
  VIGIL_ERR_CONFIG_YAML: { exit: EXIT.USAGE, summary: 'the config file is not valid YAML' },
  VIGIL_ERR_CONFIG_INVALID: { exit: EXIT.USAGE, summary: 'the config does not match the schema' },
  VIGIL_ERR_DECODER_INVALID: { exit: EXIT.USAGE, summary: 'a decoder file is invalid' },
  VIGIL_ERR_USAGE: { exit: EXIT.USAGE, summary: 'the command line is wrong' },
  VIGIL_ERR_SEARCH_QUERY: { exit: EXIT.USAGE, summary: 'the search query cannot be parsed' },
  VIGIL_ERR_INPUT_READ: { exit: EXIT.RUNTIME, summary: 'an input file cannot be read' },
  VIGIL_ERR_STORE_OPEN: { exit: EXIT.RUNTIME, summary: 'the store cannot be opened' },
  VIGIL_ERR_SOURCE_BIND: { exit: EXIT.RUNTIME, summary: 'a network source cannot listen' },
  VIGIL_ERR_FIM_KEY: { exit: EXIT.RUNTIME, summary: 'the FIM signing key is unsafe or unreadable' },
  VIGIL_ERR_FIM_BASELINE: {
    exit: EXIT.USAGE,
    summary: 'there is no FIM baseline or policy to use',
  },
  VIGIL_ERR_FIM_TAMPERED: {
    exit: EXIT.RUNTIME,
    summary: 'the FIM baseline fails its signature check',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  constructor(code: ErrorCode, message: string, opts: { file?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VigilError';
    this.code = code;
    this.file = opts.file;
  }
  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}
