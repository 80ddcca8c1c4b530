/**
 * Pieces every simulator's control API (`/_sim/…`) shares: the optional
 * token guard, body validation that reports every problem at once, one error
 * shape, and the fault endpoints (latency, forced failures, hang).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FaultPlan } from './faults.ts';
import { MAX_HANG_MS, MAX_LATENCY_MS } from './faults.ts';
import { NonLoopbackUrlError } from './loopback-url.ts';

/** Header that carries the control token when one is configured. */
export const CONTROL_TOKEN_HEADER = 'x-sim-control-token';

/** Body of every control API error. */
export interface ControlErrorBody {
  error: string;
  message: string;
  issues?: string[];
}

/** A control request the simulator cannot carry out; `statusCode` is the HTTP status. */
export class ControlError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly issues: string[] | undefined;

  constructor(statusCode: number, code: string, message: string, issues?: string[]) {
    super(message);
    this.name = 'ControlError';
    this.statusCode = statusCode;
    this.code = code;
    this.issues = issues;
  }
}

/** Parses `input` with `schema`, or throws a 400 ControlError naming every problem with its path. */
export function parseControlBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  throw new ControlError(400, 'invalid_control_request', `the request has ${issues.length} problem(s)`, issues);
}

/**
 * Guards the routes of `scope` with the control token (when one is set) and
 * answers every error raised in them with a ControlErrorBody.
 */
export function guardControlScope(scope: FastifyInstance, token: string | undefined): void {
  // A bodyless POST labelled JSON (`POST /_sim/reset` from many HTTP clients) means "no
  // parameters", not a malformed body; fastify's own parser refuses it.
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (error) {
      done(new ControlError(400, 'invalid_control_request', `the body is not JSON: ${(error as Error).message}`), undefined);
    }
  });
  if (token !== undefined && token !== '') {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.headers[CONTROL_TOKEN_HEADER] !== token) {
        const body: ControlErrorBody = { error: 'unauthorized', message: `missing or wrong ${CONTROL_TOKEN_HEADER} header` };
        return reply.code(401).send(body);
      }
      return undefined;
    });
  }
  scope.setErrorHandler((error, _request, reply) => {
    if (error instanceof ControlError) {
      const body: ControlErrorBody = { error: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) };
      return reply.code(error.statusCode).send(body);
    }
    if (error instanceof NonLoopbackUrlError || error instanceof RangeError) {
      return reply.code(400).send({ error: 'invalid_control_request', message: error.message } satisfies ControlErrorBody);
    }
    const status = typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    const message = error instanceof Error ? error.message : String(error);
    return reply.code(status).send({ error: status >= 500 ? 'internal_error' : 'bad_request', message } satisfies ControlErrorBody);
  });
}

export const LatencyBodySchema = z
  .object({
    fixed_ms: z.number().int().min(0).max(MAX_LATENCY_MS).default(0),
    jitter_ms: z.number().int().min(0).max(MAX_LATENCY_MS).default(0),
  })
  .strict();

export const HangBodySchema = z
  .object({
    on: z.boolean().default(true),
    max_ms: z.number().int().positive().max(MAX_HANG_MS).default(60_000),
  })
  .strict();

/**
 * Registers the fault endpoints shared by all simulators on `scope`:
 * PUT /faults/latency, PUT /faults/hang, DELETE /faults/errors. The
 * simulator adds POST /faults/errors itself, because a failure's shape is its own.
 */
export function registerFaultRoutes<F>(scope: FastifyInstance, faults: FaultPlan<F>): void {
  scope.put('/faults/latency', async (request) => {
    const body = parseControlBody(LatencyBodySchema, request.body);
    faults.setLatency(body);
    return faults.snapshot();
  });
  scope.put('/faults/hang', async (request) => {
    const body = parseControlBody(HangBodySchema, request.body);
    if (body.on) faults.hang(body.max_ms);
    else faults.clearHang();
    return faults.snapshot();
  });
  scope.delete('/faults/hang', async () => {
    faults.clearHang();
    return faults.snapshot();
  });
  scope.delete('/faults/errors', async () => {
    faults.clearForced();
    return faults.snapshot();
  });
  scope.get('/faults', async () => faults.snapshot());
}
