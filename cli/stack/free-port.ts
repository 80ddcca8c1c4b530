/** Free TCP ports on 127.0.0.1 for the stack's services. */
import net from 'node:net';

/** Ports handed out by this process, so two services of one `up` never get the same one. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on right now, found by binding to port 0. Another
 * process could take it before our service binds it; the service's start then
 * fails with a clear "address in use", which is rare enough to accept.
 * `avoid`: ports recorded for services that are not running right now (free, but taken).
 */
export async function freePort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = await bindAndRelease();
    if (!handedOut.has(port) && !avoid.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port on 127.0.0.1 after 20 attempts');
}

function bindAndRelease(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('listening socket has no port'));
      });
    });
  });
}
