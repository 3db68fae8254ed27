import fs from 'node:fs';

const DEBOUNCE_MS = 300;

/**
 * Watches rule files and directories and calls `reload` once a burst of
 * changes has settled (an editor's save is several events). The reload
 * callback compiles the new set first and swaps only if it is sound.
 */
export class RuleReloader {
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly reload: () => void;

  constructor(paths: readonly string[], reload: () => void) {
    this.reload = reload;
    for (const p of paths) {
      try {
        const recursive = fs.statSync(p).isDirectory();
        const w = fs.watch(p, { recursive, persistent: false }, () => this.schedule());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // A path that cannot be watched is still reloaded on SIGHUP.
      }
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  reloadNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.reload();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}
