import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceSchema } from '../../src/config/schema.js';
import { VigilError } from '../../src/errors.js';
import {
  FileSource,
  JournaldSource,
  StdinSource,
  SyslogSource,
  canRun,
  createSource,
  isSourceKind,
  sourceIds,
} from '../../src/sources/index.js';
import { testContext } from './helpers.js';

describe('source registry', () => {
  const configs = [
    sourceSchema.parse({ type: 'file', paths: ['/var/log/auth.log'] }),
    sourceSchema.parse({ type: 'file', id: 'web', paths: ['/var/log/nginx/*.log'] }),
    sourceSchema.parse({ type: 'file', paths: ['/var/log/syslog'] }),
    sourceSchema.parse({ type: 'syslog' }),
    sourceSchema.parse({ type: 'journald' }),
    sourceSchema.parse({ type: 'stdin' }),
  ];

  it('gives ids: config id, else <type>-<n> per type in order', () => {
    assert.deepEqual(sourceIds(configs), [
      'file-1',
      'web',
      'file-3',
      'syslog-1',
      'journald-1',
      'stdin-1',
    ]);
    assert.throws(
      () => sourceIds([configs[1]!, configs[1]!]),
      (err: unknown) =>
        err instanceof VigilError &&
        err.code === 'VIGIL_ERR_CONFIG_INVALID' &&
        err.message === 'sources[1]: id "web" is already used by sources[0]',
    );
  });

  it('creates each kind', () => {
    const { ctx } = testContext();
    const made = configs.map((c, i) => createSource(c, ctx, i + 1));
    assert.ok(made[0] instanceof FileSource);
    assert.ok(made[3] instanceof SyslogSource);
    assert.ok(made[4] instanceof JournaldSource);
    assert.ok(made[5] instanceof StdinSource);
    assert.deepEqual(
      made.map((s) => [s.id, s.kind]),
      [
        ['file-1', 'file'],
        ['web', 'file'],
        ['file-3', 'file'],
        ['syslog-4', 'syslog'],
        ['journald-5', 'journald'],
        ['stdin-6', 'stdin'],
      ],
    );
    assert.equal(createSource(configs[0]!, ctx).id, 'file-1');
  });

  it('tells an unknown kind apart from one that cannot run here', () => {
    assert.equal(isSourceKind('file'), true);
    assert.equal(isSourceKind('pcap'), false);
    assert.deepEqual(canRun({ type: 'pcap' }), {
      ok: false,
      why: 'unknown source kind "pcap" (known: file, syslog, journald, stdin)',
    });
    assert.deepEqual(canRun(configs[0]!), { ok: true });
    assert.deepEqual(
      canRun(sourceSchema.parse({ type: 'journald', journalctl: '/nonexistent/journalctl' })),
      {
        ok: false,
        why: 'journalctl not found at /nonexistent/journalctl',
      },
    );
  });
});
