import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listDecoders } from '../../src/decoders/index.js';
import { VigilError } from '../../src/errors.js';
import { decodeAll, makeStage, pick } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/decoders/', import.meta.url));
const USER_DIR = join(FIXTURES, 'user');
const INVALID_DIR = join(FIXTURES, 'invalid');

describe('YAML decoder files', () => {
  it('every built-in decoder loads and has a unique name', () => {
    const list = listDecoders();
    const names = list.map((d) => d.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of [
      'sshd-failed',
      'pam-auth-failure',
      'sudo-command',
      'su-failed',
      'useradd-new-user',
      'kernel-segfault',
      'auditd',
      'netfilter',
      'plain',
    ]) {
      assert.ok(names.includes(n), n);
    }
  });

  it('a user decoder replaces the built-in one of the same name', () => {
    const { stage } = makeStage({ decoderDirs: [USER_DIR] });
    const [e] = decodeAll(stage, [
      {
        text: 'Mar  2 10:00:00 h sshd[1]: Accepted publickey for ops from 192.0.2.7 port 51000 ssh2',
      },
    ]);
    assert.deepStrictEqual(
      pick(e!, [
        'vigil.decoder',
        'event.category',
        'event.action',
        'user.name',
        'source.ip',
        'source.port',
        'labels',
      ]),
      {
        'vigil.decoder': 'sshd-accepted',
        'event.category': ['authentication'],
        'event.action': 'ssh_login_local',
        'user.name': 'ops',
        'source.ip': '192.0.2.7',
        labels: { site: 'hq-publickey' },
      },
    );
    const info = listDecoders([USER_DIR]).filter((d) => d.name === 'sshd-accepted');
    assert.equal(info.length, 1);
    assert.equal(info[0]!.file, join(USER_DIR, 'local.yml'));
  });

  it('a user decoder adds a program; numbers are coerced; templates mix text and captures', () => {
    const { stage } = makeStage({ decoderDirs: [USER_DIR] });
    const events = decodeAll(stage, [
      { text: 'Mar  2 10:00:00 h myapp-worker[3]: login failed user=zed ip=203.0.113.8 port=4444' },
      { text: 'Mar  2 10:00:00 h other[3]: login failed user=zed ip=203.0.113.8 port=4444' },
      { text: 'Mar  2 10:00:00 h cron[3]: AUDIT-TAG hello' },
    ]);
    assert.deepStrictEqual(
      pick(events[0]!, ['vigil.decoder', 'event.action', 'user.name', 'source.port', 'related']),
      {
        'vigil.decoder': 'myapp-login',
        'event.action': 'myapp_login_failed',
        'user.name': 'zed',
        'source.port': 4444,
        related: { ip: ['203.0.113.8'], user: ['zed'] },
      },
    );
    assert.equal(events[1]!.vigil.decoder, 'syslog', 'only tried for its programs');
    assert.deepStrictEqual(pick(events[2]!, ['vigil.decoder', 'event.action', 'labels']), {
      'vigil.decoder': 'any-tagged',
      'event.action': 'tagged',
      labels: { tag: 'yes' },
    });
  });

  describe('invalid decoder files are rejected with file, decoder and reason', () => {
    // One directory per case, holding one file headed by `# expect-error: <text>`.
    for (const dir of readdirSync(INVALID_DIR).sort()) {
      it(dir, () => {
        const file = join(INVALID_DIR, dir, `${dir}.yml`);
        const expected = /^# expect-error: (.*)$/m.exec(readFileSync(file, 'utf8'))![1]!;
        assert.throws(
          () => makeStage({ decoderDirs: [join(INVALID_DIR, dir)] }),
          (err: unknown) => {
            assert.ok(err instanceof VigilError);
            assert.equal(err.code, 'VIGIL_ERR_DECODER_INVALID');
            assert.equal(err.file, file);
            assert.ok(err.message.startsWith(`${join(INVALID_DIR, dir)}/`), err.message);
            assert.ok(
              err.message.includes(expected),
              `${err.message}\n  should include\n${expected}`,
            );
            return true;
          },
        );
      });
    }
  });

  it('a missing decoder directory is an error naming it', () => {
    assert.throws(() => makeStage({ decoderDirs: [join(FIXTURES, 'nope')] }), {
      name: 'VigilError',
      code: 'VIGIL_ERR_DECODER_INVALID',
      message: new RegExp(`^${join(FIXTURES, 'nope')}: decoder directory cannot be read: ENOENT`),
    });
  });
});
