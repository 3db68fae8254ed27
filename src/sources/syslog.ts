/**
 * Syslog receiver: UDP (one datagram = one message) and TCP with both RFC 6587
 * framings, detected per message: octet counting (`LEN SP MSG`) when a frame
 * starts with a digit run followed by a space, otherwise non-transparent
 * framing ended by LF (or NUL). Every message is bounded by
 * `max_message_size`: longer ones are cut (record `error` set); a peer that
 * sends an endless line costs at most that many bytes.
 *
 * TCP: at most `max_connections` at once (extra ones are closed at once and
 * counted as `rejected_connections`); a connection idle for `idle_timeout` is
 * closed; an unterminated last message is handed over when the peer closes.
 *
 * Backpressure: records queue up for `emit`; while more than `QUEUE_LIMIT`
 * wait, TCP connections are paused and UDP datagrams are dropped (counted as
 * `dropped`).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { SyslogSourceConfig } from '../config/schema.js';
import type { RawRecord } from '../event/types.js';
import { VigilError } from '../errors.js';
import {
  LINE_CUT,
  LINE_INVALID_UTF8,
  LineSplitter,
  cutError,
  cutPoint,
  decodeBytes,
  type LineSink,
} from './lines.js';
import type { Emit, Source, SourceContext } from './types.js';

/** Records waiting for `emit` above which TCP is paused and UDP dropped. */
export const QUEUE_LIMIT = 10_000;
/** Most records handed to one `emit` call. */
const BATCH_RECORDS = 1000;
/** Longest octet-count prefix (digits) accepted. */
const MAX_LEN_DIGITS = 10;

export interface SyslogAddresses {
  udp?: { address: string; port: number; family: string };
  tcp?: { address: string; port: number; family: string };
}

const START = 0;
const LEN = 1;
const OCTET = 2;
const LINE = 3;

/**
 * One TCP connection's framing state. `push` chunks as they arrive; `flush`
 * when the peer closes. Sink gets text, the stream offset past the message and
 * flags (`LINE_CUT`, `LINE_INVALID_UTF8`).
 */
export class SyslogTcpFramer {
  private state = START;
  private len = 0;
  private lenDigits = 0;
  private remaining = 0;
  private frame: Buffer | undefined;
  private frameLen = 0;
  private position = 0;
  private readonly lines: LineSplitter;

  constructor(private readonly maxSize: number) {
    this.lines = new LineSplitter({ maxSize, nulTerminates: true, cutEarly: true });
  }

  push(chunk: Buffer, sink: LineSink): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      switch (this.state) {
        case START: {
          const b = chunk[pos]!;
          if (b === 10 || b === 13 || b === 0) {
            pos++; // empty line or trailer after an octet-counted frame
          } else if (b >= 0x31 && b <= 0x39) {
            this.state = LEN;
            this.len = 0;
            this.lenDigits = 0;
          } else {
            this.lines.reset(this.position + pos);
            this.state = LINE;
          }
          break;
        }
        case LEN: {
          const b = chunk[pos]!;
          if (b >= 0x30 && b <= 0x39 && this.lenDigits < MAX_LEN_DIGITS) {
            this.len = this.len * 10 + (b - 0x30);
            this.lenDigits++;
            pos++;
          } else if (b === 0x20) {
            pos++;
            this.state = OCTET;
            this.remaining = this.len;
            this.frameLen = 0;
            this.frame ??= Buffer.allocUnsafe(Math.min(this.maxSize, 64 * 1024));
          } else {
            // Not a length after all: the digits start a line.
            this.lines.reset(this.position + pos - this.lenDigits);
            this.state = LINE;
            this.lines.push(Buffer.from(String(this.len).padStart(this.lenDigits, '0')), sink);
          }
          break;
        }
        case OCTET: {
          const take = Math.min(this.remaining, n - pos);
          const keep = Math.min(take, this.maxSize - this.frameLen);
          if (keep > 0) {
            this.ensureFrame(this.frameLen + keep);
            chunk.copy(this.frame!, this.frameLen, pos, pos + keep);
            this.frameLen += keep;
          }
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) {
            this.emitFrame(this.position + pos, sink);
            this.state = START;
          }
          break;
        }
        default: {
          const t = this.lines.findTerminator(chunk, pos);
          const end = t < 0 ? n : t + 1;
          this.lines.push(pos === 0 && end === n ? chunk : chunk.subarray(pos, end), sink);
          pos = end;
          if (t >= 0) this.state = START;
        }
      }
    }
    this.position += n;
  }

  /** The peer closed: hand over an unterminated message. */
  flush(sink: LineSink): void {
    if (this.state === LINE) this.lines.flush(sink);
    else if (this.state === OCTET && this.frameLen > 0) this.emitFrame(this.position, sink);
    else if (this.state === LEN) sink(String(this.len), this.position, 0);
    this.state = START;
  }

  private ensureFrame(size: number): void {
    if (this.frame!.length >= size) return;
    const bigger = Buffer.allocUnsafe(
      Math.min(this.maxSize, Math.max(size, this.frame!.length * 2)),
    );
    this.frame!.copy(bigger, 0, 0, this.frameLen);
    this.frame = bigger;
  }

  private emitFrame(end: number, sink: LineSink): void {
    const frame = this.frame!;
    let e = this.frameLen;
    const cut = this.len > this.maxSize;
    if (cut) {
      e = cutPoint(frame, 0, e, this.maxSize);
    } else {
      // Senders often end an octet-counted frame with LF too.
      while (e > 0 && (frame[e - 1] === 10 || frame[e - 1] === 13 || frame[e - 1] === 0)) e--;
    }
    const [text, flags] = decodeBytes(frame, 0, e);
    this.frameLen = 0;
    sink(text, end, cut ? flags | LINE_CUT : flags);
  }
}

function bindMessage(proto: string, host: string, port: number, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const what: Record<string, string> = {
    EADDRINUSE: 'address in use',
    EACCES: 'permission denied',
    EADDRNOTAVAIL: 'address not available on this host',
    ENOTFOUND: 'host not found',
  };
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return `cannot listen on ${proto} ${where}: ${what[code] ?? (err as Error).message}`;
}

export class SyslogSource implements Source {
  readonly kind = 'syslog';
  /** Resolves with the bound addresses once listening; rejects when binding fails. */
  readonly ready: Promise<SyslogAddresses>;
  private resolveReady!: (a: SyslogAddresses) => void;
  private rejectReady!: (e: unknown) => void;
  private readonly scope: string;
  private bound: SyslogAddresses = {};
  private queue: RawRecord[] = [];
  private readonly paused = new Set<net.Socket>();
  private wakePump: (() => void) | undefined;

  constructor(
    readonly id: string,
    private readonly config: SyslogSourceConfig,
    private readonly ctx: SourceContext,
  ) {
    this.scope = `source:${id}`;
    this.ready = new Promise<SyslogAddresses>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // run() reports the error
  }

  /** Addresses actually bound (port 0 in the config picks a free port). */
  addresses(): SyslogAddresses {
    return this.bound;
  }

  private get maxSize(): number {
    return Math.min(this.config.max_message_size, this.ctx.maxRecordSize);
  }

  describe(): string[] {
    const out: string[] = [];
    const { udp, tcp } = this.config;
    if (udp) out.push(`syslog udp ${udp.host}:${udp.port}`);
    if (tcp) {
      out.push(
        `syslog tcp ${tcp.host}:${tcp.port} (max ${this.config.max_connections} connections)`,
      );
    }
    if (!udp && !tcp) out.push('syslog: neither udp nor tcp configured');
    return out;
  }

  async run(signal: AbortSignal, emit: Emit): Promise<void> {
    let udp: dgram.Socket | undefined;
    let tcp: net.Server | undefined;
    const conns = new Set<net.Socket>();
    try {
      if (this.config.udp) udp = await this.listenUdp(this.config.udp);
      if (this.config.tcp) tcp = await this.listenTcp(this.config.tcp, conns, signal);
    } catch (err) {
      udp?.close();
      tcp?.close();
      this.rejectReady(err);
      throw err;
    }
    this.resolveReady(this.bound);
    try {
      await this.pump(signal, emit);
    } finally {
      udp?.close();
      tcp?.close();
      for (const s of conns) s.destroy();
    }
  }

  private async pump(signal: AbortSignal, emit: Emit): Promise<void> {
    const onAbort = (): void => this.wakePump?.();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (this.queue.length === 0) {
          if (signal.aborted) return;
          await new Promise<void>((resolve) => (this.wakePump = resolve));
          this.wakePump = undefined;
          continue;
        }
        const batch =
          this.queue.length <= BATCH_RECORDS ? this.queue : this.queue.slice(0, BATCH_RECORDS);
        this.queue = batch === this.queue ? [] : this.queue.slice(BATCH_RECORDS);
        await emit(batch);
        if (this.queue.length < QUEUE_LIMIT / 2 && this.paused.size > 0) {
          for (const s of this.paused) s.resume();
          this.paused.clear();
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private enqueue(rec: RawRecord, flags: number, bytes: number): void {
    const { counters } = this.ctx;
    if (flags & LINE_CUT) {
      rec.error = cutError(this.maxSize);
      counters.add(this.scope, 'oversized', 1);
      counters.add(this.scope, 'errors', 1);
    }
    if (flags & LINE_INVALID_UTF8) counters.add(this.scope, 'invalid_utf8', 1);
    counters.add(this.scope, 'records', 1);
    counters.add(this.scope, 'bytes', bytes);
    this.queue.push(rec);
    this.wakePump?.();
  }

  private listenUdp(addr: { host: string; port: number }): Promise<dgram.Socket> {
    const type = net.isIPv6(addr.host) ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type, reuseAddr: false });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        sock.close();
        reject(
          new VigilError('VIGIL_ERR_SOURCE_BIND', bindMessage('udp', addr.host, addr.port, err), {
            cause: err,
          }),
        );
      };
      sock.once('error', onError);
      sock.bind(addr.port, addr.host, () => {
        sock.off('error', onError);
        sock.on('error', () => this.ctx.counters.add(this.scope, 'errors', 1));
        const a = sock.address();
        this.bound.udp = { address: a.address, port: a.port, family: a.family };
        sock.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address));
        resolve(sock);
      });
    });
  }

  private onDatagram(msg: Buffer, peer: string): void {
    if (this.queue.length >= QUEUE_LIMIT) {
      this.ctx.counters.add(this.scope, 'dropped', 1);
      return;
    }
    let e = msg.length;
    while (e > 0 && (msg[e - 1] === 10 || msg[e - 1] === 13 || msg[e - 1] === 0)) e--;
    if (e === 0) return;
    let flags = 0;
    const max = this.maxSize;
    let end = e;
    if (e > max) {
      end = cutPoint(msg, 0, e, max);
      flags = LINE_CUT;
    }
    const [text, f] = decodeBytes(msg, 0, end);
    this.enqueue(
      { source: this.id, text, received: new Date(), format: this.config.format, peer },
      flags | f,
      msg.length,
    );
  }

  private listenTcp(
    addr: { host: string; port: number },
    conns: Set<net.Socket>,
    signal: AbortSignal,
  ): Promise<net.Server> {
    const server = net.createServer((sock) => this.onConnection(sock, conns, signal));
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(
          new VigilError('VIGIL_ERR_SOURCE_BIND', bindMessage('tcp', addr.host, addr.port, err), {
            cause: err,
          }),
        );
      };
      server.once('error', onError);
      server.listen({ port: addr.port, host: addr.host, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', () => this.ctx.counters.add(this.scope, 'errors', 1));
        const a = server.address() as net.AddressInfo;
        this.bound.tcp = { address: a.address, port: a.port, family: a.family };
        resolve(server);
      });
    });
  }

  private onConnection(sock: net.Socket, conns: Set<net.Socket>, signal: AbortSignal): void {
    const { counters } = this.ctx;
    if (signal.aborted || conns.size >= this.config.max_connections) {
      counters.add(this.scope, 'rejected_connections', 1);
      sock.destroy();
      return;
    }
    conns.add(sock);
    counters.add(this.scope, 'connections', 1);
    const peer = sock.remoteAddress ?? '';
    const framer = new SyslogTcpFramer(this.maxSize);
    let received = new Date();
    let chunkBytes = 0;
    let first = true;
    const sink: LineSink = (text, _end, flags) => {
      // Bytes are counted per chunk, on the first record it produced.
      const bytes = first ? chunkBytes : 0;
      first = false;
      this.enqueue(
        { source: this.id, text, received, format: this.config.format, peer },
        flags,
        bytes,
      );
    };
    if (this.config.idle_timeout > 0) {
      sock.setTimeout(this.config.idle_timeout, () => {
        counters.add(this.scope, 'idle_disconnects', 1);
        sock.destroy();
      });
    }
    sock.on('data', (chunk: Buffer) => {
      received = new Date();
      chunkBytes = chunk.length;
      first = true;
      framer.push(chunk, sink);
      if (first && chunkBytes) counters.add(this.scope, 'bytes', chunkBytes);
      if (this.queue.length >= QUEUE_LIMIT && !this.paused.has(sock)) {
        sock.pause();
        this.paused.add(sock);
      }
    });
    sock.on('end', () => {
      chunkBytes = 0;
      first = true;
      framer.flush(sink);
      sock.end();
    });
    sock.on('error', () => counters.add(this.scope, 'errors', 1));
    sock.on('close', () => {
      conns.delete(sock);
      this.paused.delete(sock);
    });
  }
}
