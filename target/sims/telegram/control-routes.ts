/**
 * The Telegram simulator's HTTP control API under /_sim (JSON). Each route
 * calls the control object, which validates the body itself (the casts
 * below only name the type the validation will check); see docs/simulators.md.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { guardControlScope, parseControlBody, registerFaultRoutes } from '../shared/control-api.ts';
import type { TelegramSimControl } from './control.ts';
import type { FloodPatch, ForceErrorBody, InjectCallbackQueryBody, InjectCommandBody, InjectMessageBody } from './control-schemas.ts';
import { SentQuerySchema, SentStreamQuerySchema } from './control-schemas.ts';
import type { SentStreams } from './sent-stream.ts';
import type { TelegramSimState } from './state.ts';
import { MAX_VIRTUAL_NUMBER } from './virtual-users.ts';

const UserParamsSchema = z.object({ n: z.coerce.number().int().min(1).max(MAX_VIRTUAL_NUMBER) });

export function registerTelegramControlRoutes(app: FastifyInstance, state: TelegramSimState, control: TelegramSimControl, streams: SentStreams): void {
  void app.register(
    async (scope) => {
      guardControlScope(scope, state.options.controlToken);

      scope.get('/status', async () => control.status());
      scope.get('/counters', async () => control.counters());
      scope.post('/reset', async () => {
        control.reset();
        return { ok: true };
      });

      scope.post('/updates/message', async (request) => control.injectMessage(request.body as InjectMessageBody));
      scope.post('/updates/command', async (request) => control.injectCommand(request.body as InjectCommandBody));
      scope.post('/updates/callback_query', async (request) => control.injectCallbackQuery(request.body as InjectCallbackQueryBody));
      scope.get('/updates', async () => ({ pending: state.updates.peek(state.updates.size).map((q) => q.update) }));

      scope.get('/users/:n', async (request) => {
        const { n } = parseControlBody(UserParamsSchema, request.params);
        return { user: control.user(n), chat_id: control.userId(n), blocked: state.blocked.has(control.userId(n)) };
      });
      scope.post('/users/:n/block', async (request) => {
        const { n } = parseControlBody(UserParamsSchema, request.params);
        control.blockUser(n);
        return { user_id: control.userId(n), blocked: true };
      });
      scope.post('/users/:n/unblock', async (request) => {
        const { n } = parseControlBody(UserParamsSchema, request.params);
        control.unblockUser(n);
        return { user_id: control.userId(n), blocked: false };
      });

      scope.post('/faults/errors', async (request) => {
        control.forceError(request.body as ForceErrorBody);
        return state.faults.snapshot();
      });
      registerFaultRoutes(scope, state.faults);

      scope.get('/flood', async () => state.flood.current());
      scope.put('/flood', async (request) => control.setFlood(request.body as FloodPatch));

      scope.get('/sent', async (request) => {
        const { count, ...filter } = parseControlBody(SentQuerySchema, request.query);
        if (count) return { count: control.sent({ ...filter, limit: undefined }).length };
        return { records: control.sent(filter) };
      });
      scope.get('/sent/stream', (request, reply) => {
        const query = parseControlBody(SentStreamQuerySchema, request.query);
        const { max_ms: maxMs, ...filter } = query;
        streams.serve(request, reply, state.sent, filter, Math.min(maxMs ?? state.options.maxStreamMs, state.options.maxStreamMs));
      });
    },
    { prefix: '/_sim' },
  );
}
