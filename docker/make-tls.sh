#!/bin/sh
# Makes docker/tls/ for compose.yaml: a throwaway CA and a certificate for 127.0.0.1 signed by it
# (the simulators serve HTTPS with it; the target trusts the CA). The same code makes the
# certificates of chaosctl's own stacks (cli/stack/stack-tls.ts). Delete docker/tls/ to renew.
set -e
cd "$(dirname "$0")/.."
node --import tsx --input-type=module -e "
const { ensureStackTls } = await import('./cli/stack/stack-tls.ts');
const files = await ensureStackTls('docker');
console.log('certificates in ' + files.dir);
"
