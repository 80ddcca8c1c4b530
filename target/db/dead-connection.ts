/**
 * Which database errors mean "the connection is gone" rather than "the
 * statement is wrong". Only the first kind is worth retrying, and only on
 * another connection; a constraint violation or a statement timeout would fail
 * the same way again.
 */

/**
 * SQLSTATEs a server sends when it drops a session: admin_shutdown (57P01,
 * pg_terminate_backend or a fast shutdown), crash_shutdown (57P02),
 * cannot_connect_now (57P03, starting up or shutting down), and the 08 class
 * (connection_exception and its relatives).
 */
const DEAD_CONNECTION_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08007']);

/** Socket-level codes for a connection that broke under us. ECONNREFUSED is not here: nothing was ever connected. */
const DEAD_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/** What node-postgres says when the socket closed or errored while a client was in use. */
const DEAD_CONNECTION_MESSAGES: readonly string[] = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** Extra codes for the startup wait: the server is not there (yet), or is too slow to answer. */
const STARTUP_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const STARTUP_MESSAGES: readonly string[] = ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout'];

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

/**
 * True when `error` says the connection a statement ran on died (server
 * terminated the session, socket reset or closed). The statement may or may
 * not have taken effect on the server: see docs/target-data.md for which
 * statements may therefore be repeated.
 */
export function isDeadConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && (DEAD_CONNECTION_SQLSTATES.has(code) || DEAD_SOCKET_CODES.has(code))) return true;
  const message = errorMessage(error);
  if (DEAD_CONNECTION_MESSAGES.some((known) => message === known)) return true;
  // pg-pool wraps some socket errors; the cause carries the real reason.
  if (error instanceof Error && error.cause !== undefined && error.cause !== error) return isDeadConnectionError(error.cause);
  return false;
}

/**
 * True when `error` is connection-level: the connection died
 * (isDeadConnectionError) or could not be opened because nothing listened
 * (ECONNREFUSED, as while PostgreSQL restarts). This is what the call-level
 * retry in query.ts and transaction.ts looks at. A constraint violation, a
 * statement timeout (57014), a serialization failure or a pool checkout that
 * timed out are not connection-level: repeating them would fail the same way,
 * or add load to a pool that is already full.
 */
export function isConnectionLevelError(error: unknown): boolean {
  if (isDeadConnectionError(error) || errorCode(error) === 'ECONNREFUSED') return true;
  // Node's happy-eyeballs connect reports several refused attempts at once.
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isConnectionLevelError);
  if (error instanceof Error && error.cause !== undefined && error.cause !== error) return isConnectionLevelError(error.cause);
  return false;
}

/**
 * True when waiting could help a process that cannot reach its database at
 * startup: connection refused, the server still starting, a connect timeout,
 * or a connection that died on the way. Authentication failures, a missing
 * database and the like are false: they do not heal by waiting.
 */
export function isWorthWaitingFor(error: unknown): boolean {
  if (isDeadConnectionError(error)) return true;
  const code = errorCode(error);
  if (code !== undefined && STARTUP_SOCKET_CODES.has(code)) return true;
  const message = errorMessage(error);
  if (STARTUP_MESSAGES.some((known) => message === known)) return true;
  // Node's happy-eyeballs connect reports several attempts at once.
  if (error instanceof AggregateError) return error.errors.some(isWorthWaitingFor);
  if (error instanceof Error && error.cause !== undefined && error.cause !== error) return isWorthWaitingFor(error.cause);
  return false;
}
