/** The `logsource` of a rule: which kind of events it is written for. */
export interface LogSource {
  readonly product?: string;
  readonly category?: string;
  readonly service?: string;
  readonly definition?: string;
  /** Any other keys, kept as written. */
  readonly custom: Readonly<Record<string, string>>;
}

export const LOGSOURCE_KEYS = ['product', 'category', 'service'] as const;
export type LogSourceKey = (typeof LOGSOURCE_KEYS)[number];

/** `product=linux service=sshd`, for messages and listings. */
export function logSourceText(ls: LogSource): string {
  const parts: string[] = [];
  for (const k of LOGSOURCE_KEYS) if (ls[k] !== undefined) parts.push(`${k}=${ls[k]}`);
  return parts.length > 0 ? parts.join(' ') : '(empty)';
}
