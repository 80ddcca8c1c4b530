/**
 * A TCP relay on 127.0.0.1 in front of PostgreSQL that can turn every
 * connection through it "half-open": the server side is closed, while the
 * client side stays silently open until the client next writes, and then
 * answers with a reset (ECONNRESET). That is what a connection looks like
 * after a NAT or firewall dropped it, or the server host vanished: the pool
 * cannot know until it uses the connection, which is exactly the case
 * SQLAlchemy's pool_pre_ping exists for. New connections pass normally.
 */
import net from 'node:net';

export interface HalfOpenRelay {
  port: number;
  /** Connections currently relayed (not poisoned). */
  liveConnections(): number;
  /** Cuts the server side of every current connection; the client side resets on its next write. */
  poisonAll(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

export async function startHalfOpenRelay(targetPort: number): Promise<HalfOpenRelay> {
  const pairs = new Set<Pair>();
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const server = net.connect({ host: '127.0.0.1', port: targetPort });
    const pair: Pair = { client, server };
    pairs.add(pair);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        pairs.delete(pair);
      });
    }
    client.pipe(server);
    server.pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  if (address === null || typeof address !== 'object') throw new Error('relay has no address');

  return {
    port: address.port,
    liveConnections: () => pairs.size,
    poisonAll() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.unpipe(pair.server);
        pair.server.unpipe(pair.client);
        pair.server.destroy();
        pair.client.on('data', () => pair.client.resetAndDestroy());
        // unpipe() paused the stream; a 'data' listener alone does not resume it.
        pair.client.resume();
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      const closed = new Promise((resolve) => relay.close(resolve));
      // Connections accepted during the close could keep it open; do not wait for them forever.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
    },
  };
}
