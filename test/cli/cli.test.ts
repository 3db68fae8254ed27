import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { vigil } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

// Short excerpt of loghub OpenSSH_2k.log (shared/corpora/loghub/OpenSSH).
const AUTH = `Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!
Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186
Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2
Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2
Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2
`;

test('--help and unknown commands', () => {
  const help = vigil(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: vigil/);
  assert.match(help.stdout, /start\s+collect, decode and store/);
  const bad = vigil(['frobnicate']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});

test('config check: ok, and an invalid config exits 2 naming file, key path and expectation', (t) => {
  const dir = tmpDir(t);
  const good = path.join(dir, 'good.yml');
  fs.writeFileSync(good, 'sources:\n  - type: file\n    paths: [/var/log/auth.log]\n');
  const ok = vigil(['config', 'check', '--config', good]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `${good}: ok, 1 source\n`);
  const bad = path.join(dir, 'bad.yml');
  fs.writeFileSync(bad, 'sources:\n  - type: syslog\n    udp: 70000\n    tpc: 1\n');
  const res = vigil(['config', 'check'], { env: { VIGIL_CONFIG: bad } });
  assert.equal(res.status, 2);
  assert.equal(
    res.stderr,
    `vigil: invalid config ${bad}:\n  sources[0].udp: expected host:port (e.g. 127.0.0.1:5514); got "70000"\n  sources[0]: unknown key "tpc"\n`,
  );
});

test('config show --json prints the effective config with defaults', (t) => {
  const dir = tmpDir(t);
  const res = vigil(['config', 'show', '--json', '--data-dir', dir], { cwd: dir });
  assert.equal(res.status, 0, res.stderr);
  const cfg = JSON.parse(res.stdout);
  assert.equal(cfg.data_dir, dir);
  assert.equal(cfg.limits.max_record_size, 65536);
  assert.equal(cfg.store.retention.max_age, 30 * 86_400_000);
});

test('scan: summary, JSONL events, --store then search and status', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'auth.log');
  fs.writeFileSync(file, AUTH);
  const events = path.join(dir, 'events.jsonl');
  const res = vigil([
    'scan',
    file,
    '--no-rules',
    '--events',
    events,
    '--store',
    '--data-dir',
    path.join(dir, 'data'),
  ]);
  assert.equal(res.status, 0, res.stderr);
  assert.match(
    res.stdout,
    /^scanned 5 records in [\d.]+ s \(\d+ records\/s\): 5 events, 0 with errors, 0 alerts$/m,
  );
  assert.match(res.stdout, /by outcome:\n\s+failure\s+3\n/);
  const lines = fs
    .readFileSync(events, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.equal(lines[3].source.ip, '52.80.34.196');
  assert.equal(lines[3].user.name, 'root');

  const found = vigil([
    'search',
    'Failed',
    '--field',
    'user.name=root',
    '--json',
    '--data-dir',
    path.join(dir, 'data'),
  ]);
  assert.equal(found.status, 0, found.stderr);
  const hits = found.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(hits.length, 1);
  assert.equal(hits[0].source.port, 36060);

  const none = vigil(['search', 'nothinglikethis', '--data-dir', path.join(dir, 'data')]);
  assert.equal(none.status, 1);
  assert.equal(none.stdout, '');

  const count = vigil([
    'search',
    '--count',
    '--field',
    'event.outcome=failure',
    '--data-dir',
    path.join(dir, 'data'),
  ]);
  assert.equal(count.stdout, '3\n');

  const badQuery = vigil(['search', '"unterminated', '--data-dir', path.join(dir, 'data')]);
  assert.equal(badQuery.status, 2);
  assert.match(badQuery.stderr, /cannot parse search query/);

  const st = vigil(['status', '--json', '--data-dir', path.join(dir, 'data')]);
  assert.equal(st.status, 0, st.stderr);
  const s = JSON.parse(st.stdout);
  assert.equal(s.running, false);
  assert.equal(s.store.events, 5);
});

test('search without a store says so and exits 3', (t) => {
  const dir = tmpDir(t);
  const res = vigil(['search', 'x', '--data-dir', dir]);
  assert.equal(res.status, 3);
  assert.match(res.stderr, /no store at .*vigil\.db: run `vigil start`/);
});

test('scan reads stdin; garbage and binary input become counted error events, not a crash', (t) => {
  const dir = tmpDir(t);
  const garbage = Buffer.concat([
    Buffer.from('{"not json\n'),
    Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]),
    Buffer.from('x'.repeat(70_000) + '\n'),
    Buffer.from(AUTH),
  ]);
  const file = path.join(dir, 'garbage.log');
  fs.writeFileSync(file, garbage);
  const res = vigil(['scan', '--json', '--no-rules', file]);
  assert.equal(res.status, 0, res.stderr);
  const summary = JSON.parse(res.stdout.trim().split('\n').at(-1)!);
  assert.equal(summary.records, 8);
  assert.equal(summary.events, 8);
  assert.ok(summary.errors >= 2, `errors counted: ${summary.errors}`);

  const piped = vigil(['scan', '--json', '--no-rules', '-'], { input: AUTH });
  assert.equal(JSON.parse(piped.stdout).events, 5);
});

test('logtest decodes one line into the normalized event', () => {
  const res = vigil([
    'logtest',
    '--json',
    'Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2',
  ]);
  assert.equal(res.status, 0, res.stderr);
  const e = JSON.parse(res.stdout);
  assert.deepEqual(
    {
      category: e.event.category,
      action: e.event.action,
      outcome: e.event.outcome,
      user: e.user.name,
      ip: e.source.ip,
      port: e.source.port,
      program: e.process.name,
      pid: e.process.pid,
      host: e.host.name,
    },
    {
      category: ['authentication'],
      action: 'ssh_login',
      outcome: 'failure',
      user: 'root',
      ip: '52.80.34.196',
      port: 36060,
      program: 'sshd',
      pid: 24206,
      host: 'LabSZ',
    },
  );
  const text = vigil(['logtest'], {
    input:
      'Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2\n',
  });
  assert.match(text.stdout, /^decoder: \S+/);
  assert.match(text.stdout, /source\.ip\s+52\.80\.34\.196/);
});

test('config schema prints a JSON Schema that rejects unknown keys', () => {
  const res = vigil(['config', 'schema']);
  assert.equal(res.status, 0, res.stderr);
  const schema = JSON.parse(res.stdout);
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties).sort(), [
    'anomaly',
    'data_dir',
    'decoders',
    'fim',
    'host',
    'limits',
    'lists',
    'metrics',
    'processes',
    'rules',
    'sources',
    'store',
    'timezone',
  ]);
});

test('output into a pipe that closes early ends quietly (EPIPE)', () => {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
  const line =
    'Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2';
  // Far more output than a pipe buffers, so writes hit the closed pipe.
  const script = `yes '${line}' | head -n 20000 | node --import ${tsx} ${main} scan - --events - | head -c 10 >/dev/null; echo "vigil=\${PIPESTATUS[2]}" >&2`;
  const res = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  assert.match(res.stderr, /vigil=0\s*$/, res.stderr);
  assert.doesNotMatch(res.stderr, /EPIPE|Error/);
});
