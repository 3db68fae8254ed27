import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { syslogSourceSchema, type SyslogSourceConfig } from '../../src/config/schema.js';
import { VigilError } from '../../src/errors.js';
import { LINE_CUT } from '../../src/sources/lines.js';
import { SyslogSource, SyslogTcpFramer } from '../../src/sources/syslog.js';
import { sleep, start, testContext, waitFor, type Running } from './helpers.js';

function config(over: Record<string, unknown> = {}): SyslogSourceConfig {
  return syslogSourceSchema.parse({
    type: 'syslog',
    udp: '127.0.0.1:0',
    tcp: '127.0.0.1:0',
    ...over,
  });
}

async function listening(
  over: Record<string, unknown> = {},
  maxRecordSize = 65536,
): Promise<{
  src: SyslogSource;
  run: Running;
  t: ReturnType<typeof testContext>;
  tcp: number;
  udp: number;
}> {
  const t = testContext(new Map(), maxRecordSize);
  const src = new SyslogSource('sys', config(over), t.ctx);
  const run = start(src);
  const a = await src.ready;
  return { src, run, t, tcp: a.tcp?.port ?? 0, udp: a.udp?.port ?? 0 };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function write(s: net.Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));
}

const scope = 'source:sys';

describe('syslog source: UDP', () => {
  it('one datagram is one message, with the peer address', async () => {
    const { run, udp, t } = await listening({ format: 'syslog' });
    const client = dgram.createSocket('udp4');
    try {
      client.send('<34>Oct 11 22:14:15 mymachine su: fail\n', udp, '127.0.0.1');
      client.send('<13>second\nwith a newline inside', udp, '127.0.0.1');
      await waitFor(() => run.records.length === 2, 'two records');
      const r = run.records.find((x) => x.text.startsWith('<34>'))!;
      assert.equal(r.text, '<34>Oct 11 22:14:15 mymachine su: fail');
      assert.equal(r.peer, '127.0.0.1');
      assert.equal(r.format, 'syslog');
      assert.equal(r.source, 'sys');
      assert.ok(run.texts().includes('<13>second\nwith a newline inside'));
      assert.equal(t.counters.get(scope, 'records'), 2);
    } finally {
      client.close();
      await run.stop();
    }
  });

  it('cuts an oversized datagram', async () => {
    const { run, udp, t } = await listening({ max_message_size: 16 });
    const client = dgram.createSocket('udp4');
    try {
      client.send(`<13>${'x'.repeat(100)}`, udp, '127.0.0.1');
      await waitFor(() => run.records.length === 1, 'one record');
      assert.equal(run.records[0]!.text, `<13>${'x'.repeat(12)}`);
      assert.equal(run.records[0]!.error, 'record exceeds 16 bytes; cut');
      assert.equal(t.counters.get(scope, 'oversized'), 1);
    } finally {
      client.close();
      await run.stop();
    }
  });
});

describe('syslog source: TCP', () => {
  it('newline framing (LF, CRLF and NUL), last message handed over on close', async () => {
    const { run, tcp, t } = await listening();
    const s = await connect(tcp);
    try {
      await write(s, '<13>one\n<13>two\r\n<13>th');
      await write(s, 'ree\0<13>four');
      s.end();
      await waitFor(() => run.records.length === 4, 'four records');
      assert.deepEqual(run.texts(), ['<13>one', '<13>two', '<13>three', '<13>four']);
      assert.equal(run.records[0]!.peer, '127.0.0.1');
      assert.equal(t.counters.get(scope, 'connections'), 1);
    } finally {
      s.destroy();
      await run.stop();
    }
  });

  it('octet counting: split across packets, two frames in one write, mixed with LF framing', async () => {
    const { run, tcp } = await listening();
    const s = await connect(tcp);
    try {
      const m1 = '<13>first octet-counted message';
      await write(s, `${Buffer.byteLength(m1)} ${m1.slice(0, 10)}`);
      await sleep(30);
      await write(s, m1.slice(10));
      const m2 = '<14>has\na newline inside';
      const m3 = '<15>ünïcode';
      await write(s, `${Buffer.byteLength(m2)} ${m2}${Buffer.byteLength(m3)} ${m3}`);
      await write(s, '<16>then a plain line\n8 <17>last');
      await waitFor(() => run.records.length === 5, 'five records');
      assert.deepEqual(run.texts(), [m1, m2, m3, '<16>then a plain line', '<17>last']);
    } finally {
      s.destroy();
      await run.stop();
    }
  });

  it('cuts an oversized message; an endless line costs at most max_message_size', async () => {
    const { run, tcp, t } = await listening({ max_message_size: 32 });
    const s = await connect(tcp);
    try {
      await write(s, `<13>${'a'.repeat(100)}\n`);
      const big = `<13>${'b'.repeat(100)}`;
      await write(s, `${big.length} ${big}`);
      // An endless line: handed over cut before any newline arrives.
      for (let i = 0; i < 20; i++) await write(s, 'c'.repeat(10_000));
      await waitFor(() => run.records.length === 3, 'three records');
      await write(s, 'still the same line\n<13>after\n');
      await waitFor(() => run.records.length === 4, 'four records');
      assert.deepEqual(
        run.records.map((r) => [r.text, r.error]),
        [
          [`<13>${'a'.repeat(28)}`, 'record exceeds 32 bytes; cut'],
          [`<13>${'b'.repeat(28)}`, 'record exceeds 32 bytes; cut'],
          ['c'.repeat(32), 'record exceeds 32 bytes; cut'],
          ['<13>after', undefined],
        ],
      );
      assert.equal(t.counters.get(scope, 'oversized'), 3);
    } finally {
      s.destroy();
      await run.stop();
    }
  });

  it('rejects connections beyond max_connections', async () => {
    const { run, tcp, t } = await listening({ max_connections: 2 });
    const a = await connect(tcp);
    const b = await connect(tcp);
    await waitFor(() => t.counters.get(scope, 'connections') === 2, 'two connections');
    const c = await connect(tcp);
    try {
      const closed = await new Promise<boolean>((resolve) => {
        c.on('close', () => resolve(true));
        c.on('error', () => undefined);
        setTimeout(() => resolve(false), 2000);
      });
      assert.equal(closed, true);
      assert.equal(t.counters.get(scope, 'rejected_connections'), 1);
      await write(a, '<13>a still works\n');
      await waitFor(() => run.records.length === 1, 'one record');
      assert.equal(run.records[0]!.text, '<13>a still works');
    } finally {
      a.destroy();
      b.destroy();
      c.destroy();
      await run.stop();
    }
  });

  it('closes idle connections', async () => {
    const { run, tcp, t } = await listening({ idle_timeout: 100 });
    const s = await connect(tcp);
    try {
      const closed = await new Promise<boolean>((resolve) => {
        s.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 2000);
      });
      assert.equal(closed, true);
      assert.equal(t.counters.get(scope, 'idle_disconnects'), 1);
    } finally {
      s.destroy();
      await run.stop();
    }
  });
});

describe('syslog source: binding', () => {
  it('EADDRINUSE becomes VIGIL_ERR_SOURCE_BIND with the address', async () => {
    const first = await listening({ tcp: null });
    try {
      const t = testContext();
      const clash = new SyslogSource(
        'clash',
        config({ udp: `127.0.0.1:${first.udp}`, tcp: null }),
        t.ctx,
      );
      await assert.rejects(
        clash.run(new AbortController().signal, async () => undefined),
        (err: unknown) => {
          assert.ok(err instanceof VigilError);
          assert.equal(err.code, 'VIGIL_ERR_SOURCE_BIND');
          assert.equal(err.message, `cannot listen on udp 127.0.0.1:${first.udp}: address in use`);
          return true;
        },
      );
      await assert.rejects(clash.ready, VigilError);
    } finally {
      await first.run.stop();
    }
    const tcpFirst = await listening({ udp: null });
    try {
      const clash = new SyslogSource(
        'clash',
        config({ udp: null, tcp: `127.0.0.1:${tcpFirst.tcp}` }),
        testContext().ctx,
      );
      await assert.rejects(
        clash.run(new AbortController().signal, async () => undefined),
        {
          code: 'VIGIL_ERR_SOURCE_BIND',
          message: `cannot listen on tcp 127.0.0.1:${tcpFirst.tcp}: address in use`,
        },
      );
    } finally {
      await tcpFirst.run.stop();
    }
  });

  it('addresses() and describe() show what is bound', async () => {
    const { src, run, tcp, udp } = await listening();
    try {
      assert.deepEqual(src.addresses(), {
        udp: { address: '127.0.0.1', port: udp, family: 'IPv4' },
        tcp: { address: '127.0.0.1', port: tcp, family: 'IPv4' },
      });
      assert.deepEqual(src.describe(), [
        'syslog udp 127.0.0.1:0',
        'syslog tcp 127.0.0.1:0 (max 256 connections)',
      ]);
    } finally {
      await run.stop();
    }
  });
});

describe('SyslogTcpFramer', () => {
  it('treats digits not followed by a space as the start of a line', () => {
    const f = new SyslogTcpFramer(100);
    const out: Array<[string, number]> = [];
    f.push(Buffer.from('2024-01-01 host msg\n12 <13>twelve b'), (t, _e, fl) => out.push([t, fl]));
    f.push(Buffer.from('y'), (t, _e, fl) => out.push([t, fl]));
    assert.deepEqual(out, [
      ['2024-01-01 host msg', 0],
      ['<13>twelve b', 0],
    ]);
    const g = new SyslogTcpFramer(4);
    const cut: Array<[string, number]> = [];
    g.push(Buffer.from('10 0123456789'), (t, _e, fl) => cut.push([t, fl]));
    assert.deepEqual(cut, [['0123', LINE_CUT]]);
  });
});
