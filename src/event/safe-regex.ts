import v8 from 'node:v8';
import RE2 from 're2';

/*
 * Regexes from decoders, rules and config are untrusted: they must run in
 * linear time. RE2 guarantees that, but its exec() with captures costs ~4 µs
 * a call through the addon against ~0.2 µs for V8. V8 has a linear-time
 * engine of its own and, with the flag below, falls back to it when a match
 * backtracks excessively. We accept a pattern on V8 only when V8's linear
 * engine can run it (it compiles with the `l` flag); otherwise (case-insensitive,
 * unicode) it runs on RE2; a pattern neither can run linearly is rejected.
 */
v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

export type RegexFlags = { ignoreCase?: boolean; multiline?: boolean; dotAll?: boolean };

export interface SafeRegex {
  readonly source: string;
  readonly engine: 'v8-linear-fallback' | 're2';
  test(input: string): boolean;
  /** Named captures of the first match, or null. */
  exec(input: string): Record<string, string | undefined> | null;
}

export class UnsafeRegexError extends Error {
  readonly pattern: string;
  constructor(pattern: string, why: string) {
    super(`regex /${pattern}/ cannot run in linear time or does not compile: ${why}`);
    this.name = 'UnsafeRegexError';
    this.pattern = pattern;
  }
}

/** Python/RE2-style named groups `(?P<name>` are accepted and mean `(?<name>`. */
function normalize(pattern: string): string {
  return pattern.replace(/\(\?P</g, '(?<');
}

const EMPTY: Record<string, string | undefined> = Object.freeze({}) as Record<
  string,
  string | undefined
>;

export function compileSafeRegex(pattern: string, flags: RegexFlags = {}): SafeRegex {
  const source = normalize(pattern);
  let f = '';
  if (flags.multiline) f += 'm';
  if (flags.dotAll) f += 's';
  if (flags.ignoreCase) f += 'i';
  let linearOk = true;
  try {
    new RegExp(source, f + 'l');
  } catch {
    linearOk = false;
  }
  if (linearOk) {
    const re = new RegExp(source, f);
    return {
      source,
      engine: 'v8-linear-fallback',
      test: (input) => re.test(input),
      exec: (input) => {
        const m = re.exec(input);
        if (!m) return null;
        return m.groups ?? EMPTY;
      },
    };
  }
  let re2: RE2;
  try {
    re2 = new RE2(source, f + 'u');
  } catch (err) {
    throw new UnsafeRegexError(pattern, (err as Error).message);
  }
  return {
    source,
    engine: 're2',
    test: (input) => re2.test(input),
    exec: (input) => {
      const m = re2.exec(input);
      if (!m) return null;
      return (m.groups as Record<string, string | undefined> | undefined) ?? EMPTY;
    },
  };
}
