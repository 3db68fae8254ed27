import { isIP } from 'node:net';
import type { Event } from '../event/types.js';

/*
 * Kernel netfilter (iptables/nftables LOG target) lines:
 *   [uptime] PREFIX IN=eth0 OUT= MAC=.. SRC=1.2.3.4 DST=5.6.7.8 LEN=40 ... PROTO=TCP SPT=1 DPT=22 ...
 * A keyword parse: every `KEY=value` token, flags (`DF`, `SYN`) ignored.
 */

const DENY_WORDS = ['DROP', 'REJECT', 'DENY', 'BLOCK'];

/** Cheap test: the message carries the netfilter keywords. */
export function looksLikeNetfilter(message: string): boolean {
  return message.includes('IN=') && message.includes(' SRC=') && message.includes(' DST=');
}

/** Decodes a netfilter message (uptime prefix already removed). Returns false when it is not one. */
export function decodeNetfilter(message: string, event: Event): boolean {
  const inAt = message.indexOf('IN=');
  if (inAt < 0) return false;
  const prefix = message.slice(0, inAt).trim();
  // Only these keys are used; the first occurrence of each wins (ICMP errors
  // repeat SRC/DST for the inner packet).
  let src: string | undefined;
  let dst: string | undefined;
  let sptText: string | undefined;
  let dptText: string | undefined;
  let proto: string | undefined;
  let lenText: string | undefined;
  let inText: string | undefined;
  let outText: string | undefined;
  let pos = inAt;
  while (pos < message.length) {
    let end = message.indexOf(' ', pos);
    if (end < 0) end = message.length;
    const eq = message.indexOf('=', pos);
    if (eq > pos && eq < end) {
      const n = eq - pos;
      const c = message.charCodeAt(pos);
      if (n === 3) {
        if (c === 83 && message.startsWith('SRC', pos)) src ??= message.slice(eq + 1, end);
        else if (c === 68 && message.startsWith('DST', pos)) dst ??= message.slice(eq + 1, end);
        else if (c === 83 && message.startsWith('SPT', pos)) sptText ??= message.slice(eq + 1, end);
        else if (c === 68 && message.startsWith('DPT', pos)) dptText ??= message.slice(eq + 1, end);
        else if (c === 76 && message.startsWith('LEN', pos)) lenText ??= message.slice(eq + 1, end);
        else if (c === 79 && message.startsWith('OUT', pos)) outText ??= message.slice(eq + 1, end);
      } else if (n === 2) {
        if (c === 73 && message.charCodeAt(pos + 1) === 78) inText ??= message.slice(eq + 1, end);
      } else if (n === 5) {
        if (c === 80 && message.startsWith('PROTO', pos)) proto ??= message.slice(eq + 1, end);
      }
    }
    pos = end + 1;
  }
  if (src === undefined || dst === undefined || !isIP(src) || !isIP(dst)) return false;
  event.source = { ip: src };
  event.destination = { ip: dst };
  const spt = Number(sptText);
  const dpt = Number(dptText);
  if (sptText !== undefined && Number.isInteger(spt)) event.source.port = spt;
  if (dptText !== undefined && Number.isInteger(dpt)) event.destination.port = dpt;
  const net: NonNullable<Event['network']> = {};
  if (proto) net.transport = proto.toLowerCase();
  const len = Number(lenText);
  if (lenText !== undefined && Number.isFinite(len)) net.bytes = len;
  const inIf = inText ?? '';
  const outIf = outText ?? '';
  if (inIf && !outIf) net.direction = 'ingress';
  else if (outIf && !inIf) net.direction = 'egress';
  event.network = net;
  const labels: Record<string, string> = {};
  if (prefix) labels.netfilter_prefix = prefix;
  if (inIf) labels.in_interface = inIf;
  if (outIf) labels.out_interface = outIf;
  if (prefix || inIf || outIf) event.labels = { ...event.labels, ...labels };
  const upper = prefix.toUpperCase();
  const denied = DENY_WORDS.some((w) => upper.includes(w));
  const allowed = !denied && upper.includes('ACCEPT');
  event.event.category = ['network'];
  event.event.type = denied
    ? ['connection', 'denied']
    : allowed
      ? ['connection', 'allowed']
      : ['connection'];
  event.event.action = denied ? 'firewall_drop' : allowed ? 'firewall_accept' : 'firewall_log';
  return true;
}
