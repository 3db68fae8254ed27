import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { PolicyRule } from './policy.js';

export interface RealtimeOptions {
  rules: readonly PolicyRule[];
  /** Quiet time after the first change of a burst before the burst is checked. */
  debounce: number;
  /** Checks the changed paths; bursts are handed over one at a time. */
  onPaths(paths: string[]): Promise<void>;
  /** inotify limits and other watch failures, once each. */
  onWarning(message: string): void;
}

/**
 * Realtime change detection over inotify (chokidar, one watch per
 * directory). It only says where to look: every burst of paths goes through
 * the same compare as a scheduled check, so what realtime misses (a watch
 * limit, a name chokidar cannot represent) the next scheduled check finds.
 */
export class RealtimeWatcher {
  private readonly watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly warned = new Set<string>();

  constructor(private readonly opts: RealtimeOptions) {}

  async start(): Promise<void> {
    const ready: Array<Promise<void>> = [];
    for (const rule of this.opts.rules) {
      const w = chokidar.watch(rule.root, {
        ignoreInitial: true,
        followSymlinks: rule.followSymlinks,
        ...(Number.isFinite(rule.maxDepth) ? { depth: Math.max(0, rule.maxDepth - 1) } : {}),
        // Unknown type (no stats yet): only excludes apply, as for a directory.
        ignored: (p, stats) => {
          const rel = path.relative(rule.root, p);
          return (
            rel !== '' &&
            !rel.startsWith('..') &&
            rule.excluded(rel, stats ? stats.isDirectory() : true)
          );
        },
      });
      w.on('all', (_event, p) => this.add(p));
      w.on('error', (err) => this.error(rule.root, err as NodeJS.ErrnoException));
      ready.push(new Promise((r) => w.once('ready', () => r())));
      this.watchers.push(w);
    }
    await Promise.all(ready);
  }

  private add(p: string): void {
    this.pending.add(p);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const paths = [...this.pending];
      this.pending = new Set();
      this.running = this.running.then(() => this.opts.onPaths(paths));
    }, this.opts.debounce);
  }

  private error(root: string, err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'ERROR';
    if (this.warned.has(code)) return;
    this.warned.add(code);
    if (code === 'ENOSPC' || code === 'EMFILE') {
      this.opts.onWarning(
        `realtime FIM under ${root} is incomplete: the inotify watch limit is reached (${code}; raise fs.inotify.max_user_watches). Scheduled checks still cover every path`,
      );
    } else {
      this.opts.onWarning(`realtime FIM under ${root}: ${err.message}`);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.running;
  }
}
