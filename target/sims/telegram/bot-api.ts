/**
 * The Bot API surface: `/bot<token>/<method>` over GET and POST with JSON,
 * form or query parameters, answered in Telegram's envelope. Every call goes
 * through the fault plan (hang, latency, forced errors), is counted, and the
 * calls that reach users are written to the sent log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyParseError, mergedParams, UnsupportedBodyError, useApiBodyParsers } from '../shared/body-parsers.ts';
import { TelegramApiError, TEXT } from './errors.ts';
import type { CallContext, MethodOutcome } from './message-methods.ts';
import { answerCallbackQuery, deleteMessage, editMessageReplyMarkup, editMessageText, sendChatAction, sendMessage } from './message-methods.ts';
import type { Params } from './params.ts';
import { looseJson, optionalInt } from './params.ts';
import type { TelegramSimState } from './state.ts';
import type { TgEnvelope, TgMessage } from './types.ts';
import { deleteWebhook, getMe, getUpdates, getWebhookInfo, setMyCommands, setWebhook } from './update-methods.ts';
import type { WebhookSender } from './webhook-sender.ts';

type Method = (ctx: CallContext) => MethodOutcome | Promise<MethodOutcome>;

/** The methods the simulator implements, by canonical name. */
export function methodTable(state: TelegramSimState, sender: WebhookSender): Record<string, Method> {
  return {
    getMe: () => getMe(state),
    getUpdates: (ctx) => getUpdates(state, ctx),
    setWebhook: (ctx) => setWebhook(state, sender, ctx),
    deleteWebhook: (ctx) => deleteWebhook(state, sender, ctx),
    getWebhookInfo: () => getWebhookInfo(state),
    setMyCommands: (ctx) => setMyCommands(ctx),
    sendMessage: (ctx) => sendMessage(state, ctx),
    editMessageText: (ctx) => editMessageText(state, ctx),
    editMessageReplyMarkup: (ctx) => editMessageReplyMarkup(state, ctx),
    deleteMessage: (ctx) => deleteMessage(state, ctx),
    sendChatAction: (ctx) => sendChatAction(state, ctx),
    answerCallbackQuery: (ctx) => answerCallbackQuery(state, ctx),
  };
}

/** Methods whose calls the sent log records (what a user would see). */
const LOGGED = new Set(['sendMessage', 'editMessageText', 'editMessageReplyMarkup', 'deleteMessage', 'answerCallbackQuery']);

export interface ApiAnswer {
  status: number;
  body: TgEnvelope;
}

function errorAnswer(error: TelegramApiError): ApiAnswer {
  return {
    status: error.errorCode,
    body: {
      ok: false,
      error_code: error.errorCode,
      description: error.description,
      ...(error.retryAfter !== undefined ? { parameters: { retry_after: error.retryAfter } } : {}),
    },
  };
}

export class BotApi {
  private readonly state: TelegramSimState;
  private readonly methods: Record<string, Method>;
  private readonly byLowerName: Map<string, string>;

  constructor(state: TelegramSimState, sender: WebhookSender) {
    this.state = state;
    this.methods = methodTable(state, sender);
    this.byLowerName = new Map(Object.keys(this.methods).map((name) => [name.toLowerCase(), name]));
  }

  /** Canonical name of a method (the real API ignores case), or undefined when unknown. */
  canonical(method: string): string | undefined {
    return this.byLowerName.get(method.toLowerCase());
  }

  /** Runs one known method with forced errors, counters and the sent log; never throws a TelegramApiError. */
  async call(name: string, params: Params, signal: AbortSignal): Promise<ApiAnswer> {
    const method = this.methods[name];
    if (!method) return this.fail(errorAnswer(new TelegramApiError(404, TEXT.notFound)));
    const { counters } = this.state;
    counters.calls[name] = (counters.calls[name] ?? 0) + 1;
    const at = Date.now();
    let answer: ApiAnswer;
    try {
      const forced = this.state.faults.takeForced(name);
      if (forced) throw new TelegramApiError(forced.error_code, forced.description, forced.retry_after);
      const outcome = await method({ params, signal, now: at });
      answer = { status: 200, body: { ok: true, result: outcome.result, ...(outcome.description ? { description: outcome.description } : {}) } };
    } catch (error) {
      if (!(error instanceof TelegramApiError)) throw error;
      answer = this.fail(errorAnswer(error));
    }
    if (LOGGED.has(name)) this.logCall(name, params, at, answer);
    return answer;
  }

  /** Counts an error answer. */
  fail(answer: ApiAnswer): ApiAnswer {
    const { counters } = this.state;
    counters.errors[String(answer.status)] = (counters.errors[String(answer.status)] ?? 0) + 1;
    if (answer.status === 429) counters.too_many_requests += 1;
    if (answer.status === 403) counters.forbidden += 1;
    return answer;
  }

  private logCall(method: string, params: Params, at: number, answer: ApiAnswer): void {
    const result = answer.body.ok ? answer.body.result : undefined;
    const message = typeof result === 'object' && result !== null && 'message_id' in result ? (result as TgMessage) : undefined;
    const callbackId = typeof params.callback_query_id === 'string' ? params.callback_query_id : null;
    let answers: { updateId: number; injectedAt: number } | undefined;
    let chatId: number | string | null = typeof params.chat_id === 'number' || typeof params.chat_id === 'string' ? params.chat_id : null;
    if (callbackId !== null) {
      const query = this.state.callbackQueries.get(callbackId);
      if (query) {
        answers = query;
        chatId = query.chatId;
      }
    } else if (chatId !== null && /^-?\d+$/.test(String(chatId))) {
      chatId = Number(chatId);
      answers = this.state.handedOut.get(chatId);
    }
    let messageId: number | null = message?.message_id ?? null;
    if (messageId === null) {
      try {
        messageId = optionalInt(params, 'message_id') ?? null;
      } catch {
        messageId = null;
      }
    }
    this.state.sent.add({
      at,
      method,
      chat_id: chatId,
      message_id: messageId,
      text: typeof params.text === 'string' ? params.text : null,
      reply_markup: looseJson(params.reply_markup),
      callback_query_id: callbackId,
      ok: answer.body.ok,
      error_code: answer.body.ok ? null : answer.body.error_code,
      description: answer.body.ok ? null : answer.body.description,
      answers_update_id: answers?.updateId ?? null,
      update_injected_at: answers?.injectedAt ?? null,
    });
  }
}

function send(reply: FastifyReply, answer: ApiAnswer): FastifyReply {
  return reply.code(answer.status).header('content-type', 'application/json').send(answer.body);
}

/** Registers `/bot<token>/<method>` and Telegram-shaped answers for unknown paths and unreadable bodies. */
export function registerBotApi(app: FastifyInstance, state: TelegramSimState, api: BotApi): void {
  app.setNotFoundHandler((_request, reply) => send(reply, api.fail(errorAnswer(new TelegramApiError(404, TEXT.notFound)))));

  void app.register(async (scope) => {
    useApiBodyParsers(scope);
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof BodyParseError) return send(reply, api.fail(errorAnswer(new TelegramApiError(400, TEXT.badJson))));
      if (error instanceof UnsupportedBodyError) {
        return send(reply, api.fail(errorAnswer(new TelegramApiError(400, `Bad Request: ${error.message}`))));
      }
      const status = typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
      const description = status >= 500 ? 'Internal Server Error' : `Bad Request: ${error instanceof Error ? error.message : String(error)}`;
      return send(reply, api.fail(errorAnswer(new TelegramApiError(status, description))));
    });

    scope.route({
      method: ['GET', 'POST'],
      url: '/bot*',
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await state.faults.beforeCall();
        const rest = (request.params as Record<string, string | undefined>)['*'] ?? '';
        const slash = rest.lastIndexOf('/');
        const token = slash < 0 ? rest : rest.slice(0, slash);
        const methodName = slash < 0 ? '' : rest.slice(slash + 1);
        if (token !== state.options.token) return send(reply, api.fail(errorAnswer(new TelegramApiError(401, TEXT.unauthorized))));
        const name = api.canonical(methodName);
        if (!name) return send(reply, api.fail(errorAnswer(new TelegramApiError(404, TEXT.notFound))));

        const gone = new AbortController();
        const onClose = (): void => {
          if (!reply.raw.writableFinished) gone.abort();
        };
        reply.raw.once('close', onClose);
        try {
          return send(reply, await api.call(name, mergedParams(request.query, request.body), gone.signal));
        } finally {
          reply.raw.off('close', onClose);
        }
      },
    });
  });
}
