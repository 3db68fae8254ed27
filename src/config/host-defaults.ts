import fs from 'node:fs';
import path from 'node:path';
import type { SourceConfig } from './schema.js';

/** Logs `vigil start` watches on a host with no config, when readable. */
export const DEFAULT_LOG_FILES = [
  '/var/log/auth.log',
  '/var/log/secure',
  '/var/log/syslog',
  '/var/log/messages',
  '/var/log/audit/audit.log',
];

export interface HostDefaults {
  sources: SourceConfig[];
  /** Why a default was left out: path → reason. */
  skipped: Array<{ what: string; why: string }>;
}

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Sources for a host with no config; what cannot be used is reported, not fatal. */
export function hostDefaultSources(): HostDefaults {
  const skipped: HostDefaults['skipped'] = [];
  const readable: string[] = [];
  for (const file of DEFAULT_LOG_FILES) {
    try {
      fs.accessSync(file, fs.constants.R_OK);
      readable.push(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      skipped.push({
        what: file,
        why:
          code === 'ENOENT'
            ? 'does not exist'
            : code === 'EACCES'
              ? 'permission denied'
              : String(code),
      });
    }
  }
  const sources: SourceConfig[] = [];
  if (readable.length > 0) {
    sources.push({
      type: 'file',
      id: 'host-logs',
      paths: readable,
      exclude: [],
      start_at: 'end',
      format: 'auto',
      poll_interval: 1000,
      read_compressed: false,
    });
  }
  const journalctl = findOnPath('journalctl');
  if (journalctl && fs.existsSync('/run/systemd/journal')) {
    sources.push({ type: 'journald', id: 'journald', units: [], start_at: 'end', journalctl });
  } else {
    skipped.push({
      what: 'journald',
      why: journalctl
        ? 'no running journal (/run/systemd/journal is absent)'
        : 'journalctl is not installed',
    });
  }
  sources.push({
    type: 'syslog',
    id: 'syslog',
    udp: { host: '127.0.0.1', port: 5514 },
    tcp: { host: '127.0.0.1', port: 5514 },
    max_message_size: 64 * 1024,
    max_connections: 256,
    idle_timeout: 300_000,
    format: 'auto',
  });
  return { sources, skipped };
}

export { findOnPath };
