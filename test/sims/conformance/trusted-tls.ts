/**
 * HTTPS for the conformance suite, made the way a stack makes it: a throwaway
 * CA and a 127.0.0.1 certificate (cli/stack/stack-tls.ts). Clients that only
 * speak HTTPS through Node's default agent are made to trust that CA, in this
 * test process only, in addition to the usual roots: verification stays on.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { ensureStackTls } from '../../../cli/stack/stack-tls.ts';
import type { SimTls } from '../../../target/sims/shared/tls-listener.ts';

export interface TrustedTls {
  /** Certificate and key for a simulator's `tls` option. */
  tls: SimTls;
  /** The CA certificate, for clients that take one (an https.Agent's `ca`). */
  ca: Buffer;
  /** Makes Node's default HTTPS agent trust the CA as well as the usual roots; undone by dispose(). */
  trustInDefaultAgent(): void;
  dispose(): Promise<void>;
}

export async function makeTrustedTls(): Promise<TrustedTls> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-conformance-tls-'));
  const files = await ensureStackTls(dir);
  const [ca, cert, key] = await Promise.all([readFile(files.caCertFile), readFile(files.certFile), readFile(files.keyFile)]);
  const previousCa = https.globalAgent.options.ca;
  let trusted = false;
  return {
    tls: { cert, key },
    ca,
    trustInDefaultAgent: () => {
      https.globalAgent.options.ca = [...rootCertificates, ca.toString('utf8')];
      trusted = true;
    },
    dispose: async () => {
      if (trusted) {
        https.globalAgent.options.ca = previousCa;
        // Kept-alive sockets to the simulator would hold the test process open.
        https.globalAgent.destroy();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
