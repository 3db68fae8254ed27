import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { exited, vigil, vigilSpawn, waitFor } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test(
  '`vigil start` receives syslog over UDP and TCP, stores it, and search/status see it',
  { timeout: 90_000 },
  async (t) => {
    const dir = tmpDir(t);
    const port = await freePort();
    const config = path.join(dir, 'vigil.yml');
    fs.writeFileSync(
      config,
      [
        `data_dir: ${path.join(dir, 'data')}`,
        'sources:',
        '  - type: syslog',
        '    id: net',
        `    udp: 127.0.0.1:${port}`,
        `    tcp: 127.0.0.1:${port}`,
        // The searches below count full-text hits: the process monitor would
        // store their own command lines (`search --count COMMAND`) too.
        'processes: { enabled: false }',
        'store:',
        '  batch: { interval: 50ms }',
        '',
      ].join('\n'),
    );
    const child = vigilSpawn(['start', '--config', config]);
    t.after(() => child.kill('SIGKILL'));
    await waitFor('listening', () => child.output().includes(`tcp 127.0.0.1:${port}`));

    const udp = dgram.createSocket('udp4');
    const udpMsg =
      '<38>Nov 23 10:00:01 gw sshd[77]: Failed password for invalid user oracle from 203.0.113.9 port 4242 ssh2';
    await waitFor('udp accepted', async () => {
      await new Promise<void>((r) => udp.send(udpMsg, port, '127.0.0.1', () => r()));
      const res = vigil([
        'search',
        '--count',
        '--field',
        'source.ip=203.0.113.9',
        '--config',
        config,
      ]);
      return res.stdout.trim() !== '0' && res.status === 0;
    });
    udp.close();

    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const octet =
      '<86>1 2026-11-23T10:00:02.000Z db1 sudo - - - alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls';
    sock.write(`${Buffer.byteLength(octet)} ${octet}`);
    sock.end();
    await waitFor(
      'tcp stored',
      () => vigil(['search', '--count', 'COMMAND', '--config', config]).stdout.trim() === '1',
    );

    const hit = JSON.parse(vigil(['search', '--json', 'COMMAND', '--config', config]).stdout);
    assert.equal(hit.host.name, 'db1');
    assert.equal(hit.process.name, 'sudo');
    assert.equal(hit.user.name, 'alice');
    assert.equal(hit.vigil.source, 'net');

    await waitFor('counters saved', () => {
      const st = JSON.parse(vigil(['status', '--json', '--config', config]).stdout);
      return st.running === true && (st.run?.counters?.['source:net']?.records ?? 0) >= 2;
    });
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, child.output());
    const after = JSON.parse(vigil(['status', '--json', '--config', config]).stdout);
    assert.equal(after.running, false);
    assert.ok(after.store.events >= 2);
  },
);
