/**
 * The live feed of the sent log: NDJSON by default, Server-Sent Events when
 * the client asks for text/event-stream. The first event confirms the
 * subscription, so a driver can inject only once it is listening. A stream
 * ends after its time bound, when its reader stops reading, or when the
 * simulator closes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SentFilter, SentLog, SentRecord } from './sent-log.ts';
import { matchesSent } from './sent-log.ts';

/** Unread bytes a slow reader may leave queued before its stream is ended. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export class SentStreams {
  private readonly open = new Set<() => void>();

  /** Takes over `reply` and feeds it every record matching `filter` until `maxMs` passes. */
  serve(request: FastifyRequest, reply: FastifyReply, log: SentLog, filter: SentFilter, maxMs: number): void {
    const sse = (request.headers.accept ?? '').includes('text/event-stream');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': sse ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const write = (type: string, data: object): void => {
      if (res.writableEnded) return;
      res.write(sse ? `event: ${type}\ndata: ${JSON.stringify(data)}\n\n` : `${JSON.stringify({ type, ...data })}\n`);
      if (res.writableLength > MAX_BUFFERED_BYTES) end('reader too slow');
    };
    const end = (reason: string): void => {
      unsubscribe();
      clearTimeout(timer);
      this.open.delete(close);
      write('end', { reason, at: Date.now() });
      if (!res.writableEnded) res.end();
    };
    const close = (): void => end('simulator closing');
    const unsubscribe = log.subscribe((record: SentRecord) => {
      if (matchesSent(record, filter)) write('sent', record);
    });
    const timer = setTimeout(() => end('time bound reached'), maxMs);
    this.open.add(close);
    res.on('close', () => {
      unsubscribe();
      clearTimeout(timer);
      this.open.delete(close);
    });
    write('subscribed', { at: Date.now(), filter, max_ms: maxMs });
    if (filter.after_seq !== undefined) {
      for (const record of log.query(filter)) write('sent', record);
    }
  }

  /** Ends every open stream (the simulator is closing). */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  get count(): number {
    return this.open.size;
  }
}
