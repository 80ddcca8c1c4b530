/**
 * A throwaway certificate authority per stack, and one server certificate it
 * signs for 127.0.0.1, ::1 and localhost. The simulators serve HTTPS with it;
 * the target trusts the CA through NODE_EXTRA_CA_CERTS, so it reaches them
 * the way it reaches the real services, over verified TLS. Keys are files of
 * mode 0600 in <stateDir>/tls/; they are never printed, and `down` removes them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ChaosError } from '../core/errors.ts';

const run = promisify(execFile);

/** Where the stack's certificate files are. */
export interface StackTlsFiles {
  dir: string;
  caCertFile: string;
  certFile: string;
  keyFile: string;
}

/** Days the certificates are valid: long enough for any stack, short enough to be obviously throwaway. */
const VALID_DAYS = 30;

export function stackTlsFiles(stateDir: string): StackTlsFiles {
  const dir = path.join(stateDir, 'tls');
  return { dir, caCertFile: path.join(dir, 'ca.crt'), certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key') };
}

/** The openssl binary: OPENSSL when set, else the one on PATH. */
function opensslBinary(env: Readonly<Record<string, string | undefined>>): string {
  return env.OPENSSL?.trim() || 'openssl';
}

/** The stack's CA and server certificate, made on first use and kept for the stack's life. */
export async function ensureStackTls(stateDir: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<StackTlsFiles> {
  const files = stackTlsFiles(stateDir);
  if (existsSync(files.caCertFile) && existsSync(files.certFile) && existsSync(files.keyFile)) return files;
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(files.dir, 'ca.key');
  const csr = path.join(files.dir, 'server.csr');
  const extensions = path.join(files.dir, 'server.ext');
  const openssl = opensslBinary(env);
  const step = async (what: string, args: string[]): Promise<void> => {
    try {
      await run(openssl, args, { timeout: 30_000 });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'simulators (TLS)', detail: `openssl could not ${what}: ${detail}` });
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await step('make the CA', [
    'req', '-x509', ...ec, '-keyout', caKey, '-out', files.caCertFile, '-days', String(VALID_DAYS),
    '-subj', '/CN=chaosctl throwaway stack CA',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await step('make the server key', ['req', ...ec, '-keyout', files.keyFile, '-out', csr, '-subj', '/CN=127.0.0.1']);
  await writeFile(extensions, 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await step('sign the server certificate', [
    'x509', '-req', '-in', csr, '-CA', files.caCertFile, '-CAkey', caKey, '-set_serial', `0x${Date.now().toString(16)}`,
    '-out', files.certFile, '-days', String(VALID_DAYS), '-extfile', extensions,
  ]);
  await chmod(files.keyFile, 0o600);
  // The CA key is only needed to sign once; without it nothing else can be signed by this CA.
  await rm(caKey, { force: true });
  await rm(csr, { force: true });
  await rm(extensions, { force: true });
  return files;
}

/** Removes the stack's certificates (with `down`). */
export async function removeStackTls(stateDir: string): Promise<void> {
  await rm(stackTlsFiles(stateDir).dir, { recursive: true, force: true });
}
