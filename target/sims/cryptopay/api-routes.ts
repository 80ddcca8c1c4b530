/**
 * The Crypto Pay API surface: `/api/<method>` over GET and POST, parameters
 * in the query, JSON or form body, the token in Crypto-Pay-API-Token.
 * Methods: getMe, createInvoice, getInvoices, deleteInvoice.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyParseError, mergedParams, UnsupportedBodyError, useApiBodyParsers } from '../shared/body-parsers.ts';
import type { CryptoPayEnvelope } from './errors.ts';
import { CryptoPayError, invalidParam, methodNotFound, unauthorized } from './errors.ts';
import { int } from './invoices.ts';
import type { CryptoPaySimState } from './state.ts';

export const TOKEN_HEADER = 'crypto-pay-api-token';

type Method = (params: Record<string, unknown>) => unknown;

function methods(state: CryptoPaySimState): Record<string, Method> {
  return {
    getMe: () => ({ app_id: state.options.appId, name: state.options.appName, payment_processing_bot_username: state.options.bot }),
    createInvoice: (params) => structuredClone(state.invoices.create(params)),
    getInvoices: (params) => ({ items: state.invoices.query(params).map((invoice) => structuredClone(invoice)) }),
    deleteInvoice: (params) => {
      const id = int(params, 'invoice_id', 1, Number.MAX_SAFE_INTEGER);
      if (id === undefined || !state.invoices.get(id)) throw invalidParam('invoice_id');
      return true;
    },
  };
}

function send(reply: FastifyReply, status: number, body: CryptoPayEnvelope): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(body);
}

export function registerCryptoPayApi(app: FastifyInstance, state: CryptoPaySimState): void {
  const table = methods(state);
  const byLowerName = new Map(Object.keys(table).map((name) => [name.toLowerCase(), name]));
  const fail = (error: CryptoPayError, reply: FastifyReply): FastifyReply => {
    state.counters.errors[String(error.code)] = (state.counters.errors[String(error.code)] ?? 0) + 1;
    return send(reply, error.code, error.envelope());
  };

  app.setNotFoundHandler((_request, reply) => fail(methodNotFound(), reply));

  void app.register(async (scope) => {
    useApiBodyParsers(scope);
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof BodyParseError || error instanceof UnsupportedBodyError) return fail(new CryptoPayError(400, 'REQUEST_BODY_INVALID'), reply);
      return fail(new CryptoPayError(500, 'APP_ERROR'), reply);
    });

    scope.route({
      method: ['GET', 'POST'],
      url: '/api/:method',
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await state.faults.beforeCall();
        if (request.headers[TOKEN_HEADER] !== state.options.token) return fail(unauthorized(), reply);
        const name = byLowerName.get((request.params as { method: string }).method.toLowerCase());
        const method = name ? table[name] : undefined;
        if (!name || !method) return fail(methodNotFound(), reply);
        state.counters.calls[name] = (state.counters.calls[name] ?? 0) + 1;
        try {
          const forced = state.faults.takeForced(name);
          if (forced && !forced.processed) throw new CryptoPayError(forced.code, forced.name);
          const result = method(mergedParams(request.query, request.body));
          if (forced?.processed) throw new CryptoPayError(forced.code, forced.name);
          return send(reply, 200, { ok: true, result });
        } catch (error) {
          if (error instanceof CryptoPayError) return fail(error, reply);
          throw error;
        }
      },
    });
  });
}
