import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventView, matches } from '../../src/rules/compile.js';
import { applyModifiers, MODIFIERS } from '../../src/rules/modifiers.js';
import { compileError, compileYaml, ev, selRule } from './helpers.js';
import type { Event } from '../../src/event/types.js';

/** Does a rule with this selection match each event? */
function run(selection: string, events: Event[], opts = {}): boolean[] {
  const rule = compileYaml(selRule(selection), opts);
  return events.map((e) => matches(rule, new EventView(e)));
}

const msg = (message: string): Event => ev({ message });
const cmd = (command_line: string): Event => ev({ process: { command_line } });

describe('plain values and wildcards', () => {
  test('plain value is a case-insensitive full match', () => {
    assert.deepEqual(run("message: 'Foo Bar'", [msg('foo bar'), msg('FOO BAR'), msg('foo bar!')]), [
      true,
      true,
      false,
    ]);
  });
  test('* and ? wildcards', () => {
    assert.deepEqual(
      run("message: 'a*c?e'", [msg('ac1e'), msg('abbbcxe'), msg('ace'), msg('acxxe')]),
      [true, true, false, false],
    );
  });
  test('escaped wildcards are literal; other backslashes stay', () => {
    assert.deepEqual(run("message: 'a\\*b\\?'", [msg('a*b?'), msg('axb?'), msg('a*bx')]), [
      true,
      false,
      false,
    ]);
    assert.deepEqual(
      run("message: 'C:\\Windows\\*'", [msg('C:\\Windows*'), msg('C:\\Windows\\x')]),
      [true, false],
    );
    assert.deepEqual(run("message: 'end\\\\*'", [msg('end\\'), msg('end\\tail'), msg('end')]), [
      true,
      true,
      false,
    ]);
  });
  test('list of values is OR', () => {
    assert.deepEqual(run('message: [a, b]', [msg('a'), msg('b'), msg('c')]), [true, true, false]);
    // Plain literals, case-insensitive, against one value, a list field and numbers.
    const events = [
      msg('Sshd-Session'),
      msg('SSHD'),
      msg('sshd-sessionx'),
      ev({ message: 'x', source: { port: 22 } }),
      ev({ event: { kind: 'event', category: ['file', 'Session'] } }),
    ];
    assert.deepEqual(run("message: [sshd, SSHD-session, '22', Session]", events), [
      true,
      true,
      false,
      false,
      false,
    ]);
    assert.deepEqual(run("source.port: [ssh, '22']", events), [false, false, false, true, false]);
    assert.deepEqual(run('event.category: [process, session]', events), [
      false,
      false,
      false,
      false,
      true,
    ]);
    // Wildcards, cased and numbers keep their own tests beside plain values.
    assert.deepEqual(run('message: [sshd-*, other]', events), [true, false, true, false, false]);
    assert.deepEqual(run('message|cased: [SSHD, sshd]', events), [
      false,
      true,
      false,
      false,
      false,
    ]);
    assert.deepEqual(run('source.port: [21, 22]', events), [false, false, false, true, false]);
  });
  test('null means absent; empty string means empty', () => {
    assert.deepEqual(
      run('user.name: null', [ev(), ev({ user: { name: 'x' } }), ev({ user: { name: '' } })]),
      [true, false, false],
    );
    assert.deepEqual(
      run("user.name: ''", [ev(), ev({ user: { name: 'x' } }), ev({ user: { name: '' } })]),
      [false, false, true],
    );
  });
  test('numbers match numbers and their text; booleans match their text', () => {
    assert.deepEqual(
      run('source.port: 22', [ev({ source: { port: 22 } }), ev({ source: { port: 2222 } })]),
      [true, false],
    );
    assert.deepEqual(
      run('labels.x: 40000', [ev({ labels: { x: '40000' } }), ev({ labels: { x: '4000' } })]),
      [true, false],
    );
    assert.deepEqual(
      run('labels.x: true', [ev({ labels: { x: 'True' } }), ev({ labels: { x: 'no' } })]),
      [true, false],
    );
  });
  test('a list field matches when any element does', () => {
    assert.deepEqual(
      run('event.category: process', [
        ev({ event: { kind: 'event', category: ['file', 'process'] } }),
      ]),
      [true],
    );
  });
});

describe('contains / startswith / endswith / all / cased', () => {
  test('contains, startswith, endswith', () => {
    const events = [cmd('/usr/bin/IPTABLES -t nat'), cmd('iptables'), cmd('x iptables')];
    assert.deepEqual(run("process.command_line|contains: 'iptables -T'", events), [
      true,
      false,
      false,
    ]);
    assert.deepEqual(run("process.command_line|startswith: 'iptables'", events), [
      false,
      true,
      false,
    ]);
    assert.deepEqual(run("process.command_line|endswith: 'IPTables'", events), [false, true, true]);
  });
  test('contains keeps inner wildcards', () => {
    assert.deepEqual(run("process.command_line|contains: 'a*z'", [cmd('xxaYYzxx'), cmd('zxa')]), [
      true,
      false,
    ]);
  });
  test('all turns the list into AND', () => {
    const sel = 'process.command_line|contains|all: [curl, "| sh"]';
    assert.deepEqual(run(sel, [cmd('curl x | sh'), cmd('curl x'), cmd('wget | sh')]), [
      true,
      false,
      false,
    ]);
  });
  test('cased compares case-sensitively', () => {
    assert.deepEqual(run("message|cased: 'Error'", [msg('Error'), msg('error')]), [true, false]);
    assert.deepEqual(run("message|contains|cased: 'Error'", [msg('an Error'), msg('an error')]), [
      true,
      false,
    ]);
  });
});

describe('exists / neq', () => {
  test('exists', () => {
    const events = [ev({ user: { name: 'a' } }), ev()];
    assert.deepEqual(run('user.name|exists: true', events), [true, false]);
    assert.deepEqual(run('user.name|exists: false', events), [false, true]);
  });
  test('neq: the field differs from the value (absent counts as different)', () => {
    const events = [ev({ user: { name: 'root' } }), ev({ user: { name: 'alice' } }), ev()];
    assert.deepEqual(run('user.name|neq: ROOT', events), [false, true, true]);
    assert.deepEqual(run('user.name|neq|all: [root, alice]', events), [false, false, true]);
  });
  test('exists needs a boolean', () => {
    assert.equal(
      compileError(selRule('user.name|exists: yes')).message,
      'test.yml: rule r1 "t": detection.sel.user.name|exists: modifier \'exists\' expects true or false, got a string ("yes")',
    );
  });
});

describe('re', () => {
  test('regex is case-sensitive, unanchored; i/m/s sub-modifiers', () => {
    assert.deepEqual(run("message|re: 'ab+c'", [msg('xabbcx'), msg('ABC')]), [true, false]);
    assert.deepEqual(run("message|re|i: 'ab+c'", [msg('ABC')]), [true]);
    assert.deepEqual(run("message|re: '^b$'", [msg('a\nb')]), [false]);
    assert.deepEqual(run("message|re|m: '^b$'", [msg('a\nb')]), [true]);
    assert.deepEqual(run("message|re: 'a.b'", [msg('a\nb')]), [false]);
    assert.deepEqual(run("message|re|s: 'a.b'", [msg('a\nb')]), [true]);
  });
  test('a pathological pattern runs in linear time', () => {
    const start = process.hrtime.bigint();
    assert.deepEqual(run("message|re: '(a+)+$'", [msg('a'.repeat(50_000) + '!')]), [false]);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
  test('a backreference is a load error naming file, rule and key', () => {
    const e = compileError(
      "title: Back ref\nid: 9d1c\nlogsource: {product: linux}\ndetection:\n  sel:\n    message|re: '(a)\\1'\n  condition: sel\n",
      {},
      'rules/bad.yml',
    );
    assert.equal(e.kind, 'regex');
    assert.equal(e.file, 'rules/bad.yml');
    assert.equal(e.ruleId, '9d1c');
    assert.equal(e.title, 'Back ref');
    assert.equal(e.key, 'detection.sel.message|re');
    assert.match(
      e.message,
      /^rules\/bad\.yml: rule 9d1c "Back ref": detection\.sel\.message\|re: regex \/\(a\)\\1\/ cannot run in linear time/,
    );
  });
  test('i without re is an error', () => {
    assert.equal(
      compileError(selRule("message|i: 'x'")).why,
      "modifier 'i' expects a regular expression (after 're'), got a string (\"x\")",
    );
  });
});

describe('cidr', () => {
  test('IPv4', () => {
    const events = ['10.1.2.3', '11.0.0.1', 'fe80::1', 'junk'].map((ip) => ev({ source: { ip } }));
    assert.deepEqual(run("source.ip|cidr: '10.0.0.0/8'", events), [true, false, false, false]);
    assert.deepEqual(run("source.ip|cidr: ['192.168.0.0/16', '11.0.0.1/32']", events), [
      false,
      true,
      false,
      false,
    ]);
  });
  test('IPv6', () => {
    const events = ['2001:db8::1', '2001:db9::1', '10.0.0.1', '::ffff:10.0.0.1'].map((ip) =>
      ev({ source: { ip } }),
    );
    assert.deepEqual(run("source.ip|cidr: '2001:db8::/32'", events), [true, false, false, false]);
    assert.deepEqual(run("source.ip|cidr: '::ffff:0:0/96'", events), [false, false, false, true]);
  });
  test('a bad network is an error', () => {
    assert.equal(
      compileError(selRule("source.ip|cidr: '10.0.0.0/33'")).why,
      '"10.0.0.0/33" is not a CIDR network (bad prefix length)',
    );
  });
});

describe('base64 / base64offset / utf16 / windash', () => {
  test('base64', () => {
    assert.deepEqual(applyModifiers(['base64'], 'hello', { all: false, neq: false }), [
      { kind: 'string', parts: ['aGVsbG8='], cased: true, binary: false },
    ]);
    assert.deepEqual(
      run("message|base64|contains: 'curl'", [msg('echo Y3VybA== | base64 -d'), msg('Y3VYBA==')]),
      [true, false],
    );
  });
  test('base64offset gives the three offsets', () => {
    const vals = applyModifiers(['base64offset', 'contains'], '/bin/bash', {
      all: false,
      neq: false,
    });
    const texts = vals.map((v) =>
      v.kind === 'string' ? v.parts.filter((p) => typeof p === 'string').join('') : '',
    );
    assert.deepEqual(texts, ['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2']);
    for (const prefix of ['', 'x', 'xy']) {
      const encoded = Buffer.from(prefix + '/bin/bash -i').toString('base64');
      assert.deepEqual(
        run("message|base64offset|contains: '/bin/bash'", [msg(`echo ${encoded}`)]),
        [true],
        prefix,
      );
    }
  });
  test('utf16le / wide / utf16be / utf16 then base64', () => {
    const b64 = (names: string[]): string[] =>
      applyModifiers([...names, 'base64'], 'ab', { all: false, neq: false }).map((v) =>
        v.kind === 'string' ? (v.parts[0] as string) : '',
      );
    assert.deepEqual(b64(['utf16le']), [Buffer.from('a\0b\0', 'latin1').toString('base64')]);
    assert.deepEqual(b64(['wide']), b64(['utf16le']));
    assert.deepEqual(b64(['utf16be']), [Buffer.from('\0a\0b', 'latin1').toString('base64')]);
    assert.deepEqual(b64(['utf16']), [Buffer.from('\xff\xfea\0b\0', 'latin1').toString('base64')]);
  });
  test('windash: each dash form at the start of a flag', () => {
    const vals = applyModifiers(['windash', 'contains'], ' -exec x-y', { all: false, neq: false });
    assert.deepEqual(
      vals.map((v) =>
        v.kind === 'string' ? v.parts.filter((p) => typeof p === 'string').join('') : '',
      ),
      [' -exec x-y', ' /exec x-y', ' \u2013exec x-y', ' \u2014exec x-y', ' \u2015exec x-y'],
    );
    assert.deepEqual(
      run("process.command_line|windash|contains: ' -enc '", [
        cmd('ps /enc x'),
        cmd('ps \u2014enc x'),
        cmd('ps enc x'),
      ]),
      [true, true, false],
    );
  });
  test('base64 refuses wildcards', () => {
    assert.equal(
      compileError(selRule("message|base64: 'a*'")).why,
      "modifier 'base64' cannot encode a value with wildcards or placeholders",
    );
  });
});

describe('comparisons and time parts', () => {
  test('lt / lte / gt / gte on numbers and numeric text', () => {
    const events = [1023, 1024, 1025].map((port) => ev({ source: { port } }));
    assert.deepEqual(run('source.port|lt: 1024', events), [true, false, false]);
    assert.deepEqual(run('source.port|lte: 1024', events), [true, true, false]);
    assert.deepEqual(run('source.port|gt: 1024', events), [false, false, true]);
    assert.deepEqual(run('source.port|gte: 1024', events), [false, true, true]);
    assert.deepEqual(
      run('labels.uid|lt: 1000', [ev({ labels: { uid: '0' } }), ev({ labels: { uid: 'x' } })]),
      [true, false],
    );
  });
  test('a comparison needs a number', () => {
    assert.equal(
      compileError(selRule("source.port|gt: 'many'")).why,
      'modifier \'gt\' expects a number, got a string ("many")',
    );
  });
  test('minute / hour / day / week / month / year of @timestamp (UTC)', () => {
    const at = (t: string): Event => ev({ '@timestamp': t });
    const e = at('2026-03-15T22:07:00.000Z'); // Sunday, ISO week 11
    assert.deepEqual(run("'@timestamp|minute': 7", [e]), [true]);
    assert.deepEqual(run("'@timestamp|hour': 22", [e]), [true]);
    assert.deepEqual(run("'@timestamp|day': 15", [e]), [true]);
    assert.deepEqual(run("'@timestamp|week': 11", [e]), [true]);
    assert.deepEqual(run("'@timestamp|month': 3", [e]), [true]);
    assert.deepEqual(run("'@timestamp|year': 2026", [e]), [true]);
    assert.deepEqual(run("'@timestamp|hour': 21", [e]), [false]);
    assert.deepEqual(run("'@timestamp|hour|gte': 22", [e, at('2026-03-15T08:00:00Z')]), [
      true,
      false,
    ]);
    assert.deepEqual(
      run("'@timestamp|hour': [0, 1, 2, 3, 4, 5]", [at('2026-03-15T03:59:59Z'), e]),
      [true, false],
    );
  });
});

describe('fieldref / expand', () => {
  test('fieldref compares with another field', () => {
    const events = [
      ev({ user: { name: 'Bob', target: { name: 'bob' } } }),
      ev({ user: { name: 'bob', target: { name: 'root' } } }),
    ];
    assert.deepEqual(run('user.name|fieldref: user.target.name', events), [true, false]);
    assert.deepEqual(run('user.name|fieldref|cased: user.target.name', events), [false, false]);
    assert.deepEqual(
      run('process.command_line|fieldref|contains: process.name', [
        ev({ process: { name: 'nc', command_line: '/bin/nc -l' } }),
      ]),
      [true],
    );
  });
  test('expand fills placeholders from the compile options', () => {
    const placeholders = { admins: ['root', 'admin'] };
    const events = [
      ev({ user: { name: 'root' } }),
      ev({ user: { name: 'admin' } }),
      ev({ user: { name: 'bob' } }),
    ];
    assert.deepEqual(run("user.name|expand: '%admins%'", events, { placeholders }), [
      true,
      true,
      false,
    ]);
    assert.deepEqual(
      run("message|expand|contains: 'user %admins% logged'", [msg('x user admin logged in')], {
        placeholders,
      }),
      [true],
    );
  });
  test('an undefined placeholder is an error', () => {
    const e = compileError(selRule("user.name|expand: '%admins%'"));
    assert.equal(e.kind, 'placeholder');
    assert.equal(e.key, 'detection.sel.user.name|expand');
    assert.equal(
      e.why,
      'placeholder %admins% has no values (define it in the placeholders config)',
    );
  });
});

describe('registry', () => {
  test('every modifier of the specification is registered, with aliases', () => {
    const names = [
      'contains',
      'startswith',
      'endswith',
      'all',
      'cased',
      'exists',
      'neq',
      're',
      'i',
      'm',
      's',
      'cidr',
      'base64',
      'base64offset',
      'utf16le',
      'utf16be',
      'utf16',
      'wide',
      'windash',
      'lt',
      'lte',
      'gt',
      'gte',
      'minute',
      'hour',
      'day',
      'week',
      'month',
      'year',
      'fieldref',
      'expand',
    ];
    for (const n of names) assert.ok(MODIFIERS.has(n), n);
    assert.equal(MODIFIERS.get('wide')!.name, 'wide');
    assert.equal(MODIFIERS.get('ignorecase')!.name, 'i');
  });
  test('an unknown modifier is an error with its key', () => {
    const e = compileError(selRule("message|bogus: 'x'"));
    assert.equal(e.kind, 'modifier');
    assert.equal(
      e.message,
      'test.yml: rule r1 "t": detection.sel.message|bogus: unknown modifier \'bogus\'',
    );
  });
});
