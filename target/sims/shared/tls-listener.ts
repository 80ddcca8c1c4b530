/**
 * One port, two protocols: a simulator given a certificate answers HTTPS and
 * plain HTTP on the same socket. The real services are HTTPS only, and some
 * published clients speak nothing else; the harness and the control API keep
 * plain HTTP. Each new connection is told apart by its first byte (22 opens a
 * TLS handshake; HTTP starts with a method name in ASCII) and handed to the
 * matching Node server, which never listens itself.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerFactory } from 'fastify';
import type { EnvReader } from './run-sim.ts';

/** PEM certificate chain and private key of the simulator's HTTPS side. */
export interface SimTls {
  cert: string | Buffer;
  key: string | Buffer;
}

/** A client that has not finished its TLS handshake by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** First byte of a TLS record carrying a handshake. */
const TLS_HANDSHAKE = 0x16;

/**
 * A fastify `serverFactory` whose server also speaks TLS with `tls`. Fastify
 * sees an ordinary http.Server: listen, address and close work as usual, and
 * close also ends the TLS connections (idle ones at once, busy ones when their
 * answer is out), as Node does for plain ones.
 */
export function dualProtocolServerFactory(tls: SimTls): FastifyServerFactory {
  return (handler) => {
    const server = http.createServer(handler);
    // Only its HTTP handling is used: each TLS socket is made here and handed over once secure.
    const secure = https.createServer({}, handler);
    const context = createSecureContext({ cert: tls.cert, key: tls.key });
    /** Connections that went TLS, by their TLS socket, with the number of requests in progress. */
    const open = new Map<TLSSocket, { raw: Socket; busy: number }>();
    let closing = false;

    secure.prependListener('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const entry = open.get(request.socket as TLSSocket);
      if (!entry) return;
      entry.busy += 1;
      response.once('close', () => {
        entry.busy -= 1;
        if (closing && entry.busy === 0) entry.raw.destroy();
      });
    });

    const startTls = (raw: Socket): void => {
      const secureSocket = new TLSSocket(raw, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
      open.set(secureSocket, { raw, busy: 0 });
      // The raw socket goes with the TLS one: a client that drops out of the handshake (or
      // refuses the certificate) must not leave a connection that keeps close() waiting.
      const drop = (): void => {
        open.delete(secureSocket);
        raw.destroy();
      };
      secureSocket.once('close', drop);
      secureSocket.on('error', () => secureSocket.destroy());
      const handshake = setTimeout(() => secureSocket.destroy(), HANDSHAKE_TIMEOUT_MS);
      secureSocket.once('secure', () => {
        clearTimeout(handshake);
        secure.emit('secureConnection', secureSocket);
      });
      secureSocket.once('close', () => clearTimeout(handshake));
    };

    const plainListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      socket.once('error', () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        if (first[0] === TLS_HANDSHAKE) startTls(socket);
        else for (const listener of plainListeners) listener.call(server, socket);
        process.nextTick(() => socket.resume());
      });
    });

    const closeHttp = server.close.bind(server);
    server.close = (callback?: (error?: Error) => void) => {
      closing = true;
      for (const { raw, busy } of open.values()) if (busy === 0) raw.destroy();
      return closeHttp(callback);
    };
    return server;
  };
}

/** The certificate and key named by SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE (both or neither), read once at start. */
export function readSimTls(reader: EnvReader): SimTls | undefined {
  const certFile = reader.string('SIM_TLS_CERT_FILE');
  const keyFile = reader.string('SIM_TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    reader.problems.push('SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE go together: set both or neither');
    return undefined;
  }
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (error) {
    reader.problems.push(`cannot read the TLS certificate or key: ${(error as Error).message}`);
    return undefined;
  }
}

/** A simulator's fastify instance: with `tls`, its port also answers HTTPS. */
export function simFastify(options: { logger?: FastifyBaseLogger | undefined; tls?: SimTls | undefined; bodyLimit?: number }): FastifyInstance {
  return Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.tls ? { serverFactory: dualProtocolServerFactory(options.tls) } : {}),
  }) as unknown as FastifyInstance;
}
