import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/*
 * inotify watch limit reached: realtime FIM warns once, clearly, and the
 * scheduled checks still find the changes realtime cannot see. The limit is
 * lowered for real, in a user namespace of the monitor's own (Linux keeps
 * inotify limits per user namespace), so nothing else on the machine is
 * touched.
 */

const LIMIT = 4;

function canLowerLimit(): boolean {
  const r = spawnSync('unshare', [
    '--user',
    '--map-root-user',
    'sh',
    '-c',
    `echo ${LIMIT} > /proc/sys/user/max_inotify_watches && cat /proc/sys/user/max_inotify_watches`,
  ]);
  return r.status === 0 && r.stdout.toString().trim() === String(LIMIT);
}

test('fim: past the inotify watch limit, a warning and scheduled checks', async (t) => {
  if (!canLowerLimit()) {
    t.skip('cannot lower the inotify watch limit in a user namespace (unshare --user)');
    return;
  }
  const dir = tmpDir(t);
  const root = path.join(dir, 'watched');
  const dirs = Array.from({ length: 12 }, (_, i) =>
    path.join(root, `d${String(i).padStart(2, '0')}`),
  );
  for (const d of dirs) {
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'file'), 'original\n');
  }
  const child = spawn(
    'unshare',
    [
      '--user',
      '--map-root-user',
      'sh',
      '-c',
      `echo ${LIMIT} > /proc/sys/user/max_inotify_watches && exec "$@"`,
      'sh',
      process.execPath,
      '--import',
      import.meta.resolve('tsx'),
      path.join(import.meta.dirname, 'watch-limit-child.ts'),
      root,
      path.join(dir, 'data'),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const lines: { notice?: string; path?: string; type?: string }[] = [];
  let stderr = '';
  let rest = '';
  child.stdout.on('data', (b: Buffer) => {
    const parts = (rest + b.toString()).split('\n');
    rest = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p));
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  t.after(async () => {
    child.stdin.end();
    await exited;
  });

  await waitFor(
    'watcher',
    () => lines.some((l) => /realtime watching/.test(l.notice ?? '')),
    30_000,
  );
  const warnings = lines.filter((l) => /inotify watch limit is reached/.test(l.notice ?? ''));
  assert.equal(warnings.length, 1, stderr + JSON.stringify(lines));
  assert.match(
    warnings[0]!.notice!,
    /ENOSPC; raise fs\.inotify\.max_user_watches\)\. Scheduled checks still cover every path/,
  );

  // The last directory got no watch: the scheduled check (every second here) reports its change.
  const changed = path.join(dirs.at(-1)!, 'file');
  fs.writeFileSync(changed, 'changed\n');
  await waitFor('change event', () => lines.some((l) => l.path === changed), 30_000);
  assert.equal(lines.find((l) => l.path === changed)!.type, 'change');
  child.stdin.end();
  assert.equal(await exited, 0, stderr);
});
