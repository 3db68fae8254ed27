import fs from 'node:fs';
import path from 'node:path';
import type { Alert } from '../event/types.js';

export interface AlertLogOptions {
  file: string;
  /** Rotate when the file would grow past this many bytes. */
  maxSize: number;
  /** Rotated files kept: file.1 (newest) … file.N. */
  keep: number;
}

/**
 * The alert log: one alert per line, appended synchronously (alerts are few
 * and must not be lost to a crash after they were raised), rotated by size
 * like logrotate's `rotate N`.
 */
export class AlertLog {
  private readonly opts: AlertLogOptions;
  private fd: number;
  private size: number;

  constructor(opts: AlertLogOptions) {
    this.opts = opts;
    fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    this.fd = fs.openSync(opts.file, 'a', 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(alerts: readonly Alert[]): void {
    if (alerts.length === 0) return;
    const text = alerts.map((a) => JSON.stringify(a) + '\n').join('');
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.opts.maxSize) this.rotate();
    fs.writeSync(this.fd, text);
    this.size += bytes;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    const { file, keep } = this.opts;
    if (keep === 0) {
      fs.rmSync(file, { force: true });
    } else {
      fs.rmSync(`${file}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      }
      fs.renameSync(file, `${file}.1`);
    }
    this.fd = fs.openSync(file, 'a', 0o640);
    this.size = 0;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
