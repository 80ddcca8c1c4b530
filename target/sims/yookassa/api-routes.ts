/**
 * The YooKassa API v3 surface: GET /v3/me, POST /v3/payments, GET /v3/payments/{id},
 * GET /v3/payments, POST /v3/payments/{id}/capture and /cancel. Every call:
 * faults (hang, latency), Basic auth, forced failures, then for POSTs the
 * Idempotence-Key, then the work.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyParseError, UnsupportedBodyError, useApiBodyParsers } from '../shared/body-parsers.ts';
import { codeForStatus, invalidCredentials, paymentNotFound, YooKassaError } from './errors.ts';
import type { StoredAnswer } from './idempotence.ts';
import { canonicalJson, IDEMPOTENCE_HEADER, IdempotenceStore } from './idempotence.ts';
import { notifyStatus } from './notifications.ts';
import { CapturePaymentSchema, CreatePaymentSchema, parseYooKassaBody } from './payment-request.ts';
import type { YkPayment, YkStatus } from './payments.ts';
import { snapshot } from './payments.ts';
import type { ForcedYooKassaFailure, YooKassaOperation, YooKassaSimState } from './state.ts';

function checkAuth(state: YooKassaSimState, header: string | undefined): void {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) throw invalidCredentials();
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== state.options.shopId || decoded.slice(colon + 1) !== state.options.secretKey) {
    throw invalidCredentials();
  }
}

/**
 * How long (milliseconds, as YooKassa's `retry_after` counts) a client is told to wait after
 * a 429 or a 5xx. YooKassa's API reference documents `retry_after` in the error body and no
 * Retry-After header, so the simulator sends none either.
 */
export const RETRY_AFTER_MS = 1800;

function forcedError(failure: ForcedYooKassaFailure): YooKassaError {
  const code = codeForStatus(failure.status);
  if (code === 'too_many_requests') {
    return new YooKassaError(429, code, 'The limit of requests per unit of time has been exceeded. Reduce the request rate and try again later', undefined, RETRY_AFTER_MS);
  }
  const description = code === 'internal_server_error' ? 'Internal server error' : `Simulated ${failure.status} error`;
  return new YooKassaError(failure.status, code, description, undefined, failure.status >= 500 ? RETRY_AFTER_MS : undefined);
}

function paymentOr404(state: YooKassaSimState, id: string): YkPayment {
  const payment = state.payments.get(id);
  if (!payment) throw paymentNotFound();
  return payment;
}

interface Operation {
  name: YooKassaOperation;
  /** POSTs need an Idempotence-Key and replay their answer. */
  idempotent: boolean;
  work: (request: FastifyRequest) => StoredAnswer;
}

async function handle(state: YooKassaSimState, op: Operation, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await state.faults.beforeCall();
  state.counters.requests[op.name] = (state.counters.requests[op.name] ?? 0) + 1;
  let answer: StoredAnswer;
  try {
    checkAuth(state, request.headers.authorization);
    const forced = state.faults.takeForced(op.name);
    if (forced && !forced.processed) throw forcedError(forced);
    if (op.idempotent) {
      const key = IdempotenceStore.requireKey(request.headers[IDEMPOTENCE_HEADER]);
      const fingerprint = `${request.method} ${request.url.split('?')[0] ?? ''} ${canonicalJson(request.body ?? {})}`;
      const stored = state.idempotence.lookup(key, fingerprint);
      if (stored) {
        state.counters.idempotent_replays += 1;
        answer = stored;
      } else {
        answer = op.work(request);
        state.idempotence.remember(key, fingerprint, answer);
      }
    } else {
      answer = op.work(request);
    }
    if (forced?.processed) throw forcedError(forced);
  } catch (error) {
    if (!(error instanceof YooKassaError)) throw error;
    answer = { status: error.status, body: error.body() };
  }
  if (answer.status !== 200) state.counters.errors[String(answer.status)] = (state.counters.errors[String(answer.status)] ?? 0) + 1;
  return reply.code(answer.status).header('content-type', CONTENT_TYPE).send(answer.body);
}

/** The content type YooKassa's documented answers carry, spelled as they spell it. */
const CONTENT_TYPE = 'application/json;charset=UTF-8';

const STATUSES: readonly YkStatus[] = ['pending', 'waiting_for_capture', 'succeeded', 'canceled'];

export function registerYooKassaApi(app: FastifyInstance, state: YooKassaSimState): void {
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(new YooKassaError(404, 'not_found', 'Requested resource is not found').body()),
  );

  void app.register(async (scope) => {
    useApiBodyParsers(scope);
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof BodyParseError) return reply.code(400).send(new YooKassaError(400, 'invalid_request', 'Request body is not valid JSON').body());
      if (error instanceof UnsupportedBodyError) return reply.code(415).send(new YooKassaError(415, 'invalid_request', error.message).body());
      return reply.code(500).send(new YooKassaError(500, 'internal_server_error', 'Internal server error').body());
    });

    const idParam = (request: FastifyRequest): string => (request.params as { id: string }).id;

    scope.post('/v3/payments', (request, reply) =>
      handle(state, {
        name: 'create',
        idempotent: true,
        work: (req) => {
          const body = parseYooKassaBody(CreatePaymentSchema, req.body);
          return { status: 200, body: snapshot(state.payments.create(body)) };
        },
      }, request, reply),
    );

    // Shop settings: clients call it at start-up to check their credentials.
    scope.get('/v3/me', (request, reply) =>
      handle(state, {
        name: 'me',
        idempotent: false,
        work: () => ({
          status: 200,
          body: { account_id: state.options.shopId, status: 'enabled', test: true, fiscalization_enabled: false, payment_methods: ['bank_card', 'yoo_money', 'sbp'] },
        }),
      }, request, reply),
    );

    scope.get('/v3/payments/:id', (request, reply) =>
      handle(state, { name: 'get', idempotent: false, work: (req) => ({ status: 200, body: snapshot(paymentOr404(state, idParam(req))) }) }, request, reply),
    );

    scope.get('/v3/payments', (request, reply) =>
      handle(state, {
        name: 'list',
        idempotent: false,
        work: (req) => {
          const query = req.query as Record<string, string | undefined>;
          const status = STATUSES.find((s) => s === query.status);
          const limit = Math.min(100, Math.max(1, Number(query.limit ?? 10) || 10));
          return { status: 200, body: { type: 'list', items: state.payments.list(status).slice(0, limit).map(snapshot) } };
        },
      }, request, reply),
    );

    scope.post('/v3/payments/:id/capture', (request, reply) =>
      handle(state, {
        name: 'capture',
        idempotent: true,
        work: (req) => {
          const payment = paymentOr404(state, idParam(req));
          const body = parseYooKassaBody(CapturePaymentSchema, req.body);
          if (payment.status !== 'waiting_for_capture') {
            throw new YooKassaError(400, 'invalid_request', `Payment is in status ${payment.status} and can't be captured`, 'payment_id');
          }
          state.payments.succeed(payment, body.amount ?? payment.amount);
          notifyStatus(state, payment);
          return { status: 200, body: snapshot(payment) };
        },
      }, request, reply),
    );

    scope.post('/v3/payments/:id/cancel', (request, reply) =>
      handle(state, {
        name: 'cancel',
        idempotent: true,
        work: (req) => {
          const payment = paymentOr404(state, idParam(req));
          if (payment.status !== 'pending' && payment.status !== 'waiting_for_capture') {
            throw new YooKassaError(400, 'invalid_request', `Payment is in status ${payment.status} and can't be canceled`, 'payment_id');
          }
          state.payments.cancel(payment, { party: 'merchant', reason: 'canceled_by_merchant' });
          notifyStatus(state, payment);
          return { status: 200, body: snapshot(payment) };
        },
      }, request, reply),
    );
  });
}
