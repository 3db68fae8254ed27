import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, pick } from './helpers.js';

describe('kernel: netfilter', () => {
  it('decodes an iptables LOG line (wazuh iptables.ini)', () => {
    const e = decode(
      'Aug 17 10:03:37 myhostname kernel: [4475569.016000] IN= OUT=lo SRC=192.168.2.11 DST=192.168.2.12 LEN=52 TOS=0x10 PREC=0x00 TTL=64 ID=49546 DF PROTO=TCP SPT=43068 DPT=22 WINDOW=8192 RES=0x00 ACK URGP=0',
    );
    assert.deepStrictEqual(
      pick(e, [
        'vigil.decoder',
        'event.category',
        'event.type',
        'event.action',
        'source',
        'destination',
        'network',
        'related',
        'labels',
        'process.name',
      ]),
      {
        'vigil.decoder': 'netfilter',
        'event.category': ['network'],
        'event.type': ['connection'],
        'event.action': 'firewall_log',
        source: { ip: '192.168.2.11', port: 43068 },
        destination: { ip: '192.168.2.12', port: 22 },
        network: { transport: 'tcp', bytes: 52, direction: 'egress' },
        related: { ip: ['192.168.2.11', '192.168.2.12'] },
        labels: { out_interface: 'lo' },
        'process.name': 'kernel',
      },
    );
  });

  it('reads the log prefix, also glued to IN= (wazuh iptables.ini)', () => {
    const e = decode(
      'Nov 18 13:39:49 OpenWRT kernel: [10051.313745] DROP(src wan)IN=eth0 OUT= MAC=c2:56:27:73:33:cf:c4:f0:81:b0:93:24:08:00 SRC=205.205.205.205 DST=192.168.8.100 LEN=44 TOS=0x00 PREC=0x00 TTL=31 ID=8549 PROTO=TCP SPT=40952 DPT=23 WINDOW=64144 RES=0x00 ',
    );
    assert.deepStrictEqual(
      pick(e, ['event.type', 'event.action', 'destination.port', 'network.direction', 'labels']),
      {
        'event.type': ['connection', 'denied'],
        'event.action': 'firewall_drop',
        'destination.port': 23,
        'network.direction': 'ingress',
        labels: { netfilter_prefix: 'DROP(src wan)', in_interface: 'eth0' },
      },
    );
  });

  it('ICMP without ports', () => {
    const e = decode(
      'Aug 17 10:03:37 myhostname kernel: SFW2-INext-DROP-DEFLT IN=eth0 OUT= MAC=00:08:02:da:c8:51:00:0f:f7:74:31:8a:08:00 SRC=1.2.3.36 DST=1.2.3.194 LEN=28 TOS=0x00 PREC=0x00 TTL=44 ID=60200 PROTO=ICMP TYPE=8 CODE=0 ID=10466 SEQ=21229',
    );
    assert.deepStrictEqual(
      pick(e, ['source', 'destination', 'network.transport', 'event.action']),
      {
        source: { ip: '1.2.3.36' },
        destination: { ip: '1.2.3.194' },
        'network.transport': 'icmp',
        'event.action': 'firewall_drop',
      },
    );
  });
});

describe('kernel: YAML decoders', () => {
  const F = [
    'vigil.decoder',
    'event.category',
    'event.type',
    'event.action',
    'process.name',
    'process.pid',
    'labels',
  ];
  it('segfault', () => {
    const e = decode(
      'Mar  2 10:00:00 h kernel: [ 1234.5678] nginx[4242]: segfault at 0 ip 00007f0000001000 sp 00007ffd00000000 error 4 in libc.so.6[7f0000000000+1c0000]',
    );
    assert.deepStrictEqual(pick(e, F), {
      'vigil.decoder': 'kernel-segfault',
      'event.category': ['process'],
      'event.type': ['end', 'error'],
      'event.action': 'segfault',
      'process.name': 'nginx',
      'process.pid': 4242,
      labels: { fault_address: '0', instruction_pointer: '00007f0000001000' },
    });
  });

  it('OOM kill', () => {
    const e = decode(
      'Mar  2 10:00:00 h kernel: Out of memory: Killed process 1234 (java) total-vm:100kB, anon-rss:50kB',
    );
    assert.deepStrictEqual(pick(e, F), {
      'vigil.decoder': 'kernel-oom-kill',
      'event.category': ['process'],
      'event.type': ['end'],
      'event.action': 'oom_kill',
      'process.name': 'java',
      'process.pid': 1234,
    });
  });

  it('USB device (wazuh kernel_usb.ini)', () => {
    const e = decode(
      'Mar 15 23:14:34 manager kernel: [ 195.634715] usb 1-1: New USB device found, idVendor=0bda, idProduct=568a, bcdDevice=65.10',
    );
    assert.deepStrictEqual(pick(e, F), {
      'vigil.decoder': 'kernel-usb-connected',
      'event.category': ['host'],
      'event.type': ['info'],
      'event.action': 'usb_device_connected',
      'process.name': 'kernel',
      labels: { usb_port: '1-1', usb_vendor: '0bda', usb_product: '568a' },
    });
  });

  it('an unknown kernel message stays a plain syslog event', () => {
    const e = decode(
      'Jun 14 15:16:01 combo kernel: Linux version 2.6.5-1.358 (bhcompile@bugs.build.redhat.com)',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'vigil.error', 'event.category', 'message']), {
      'vigil.decoder': 'syslog',
      message: 'Linux version 2.6.5-1.358 (bhcompile@bugs.build.redhat.com)',
    });
  });
});
