/**
 * The YooKassa simulator's HTTP control API under /_sim; see docs/simulators.md.
 * Bodies are validated by the control object (the casts only name the type it checks).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ControlError, guardControlScope, parseControlBody, registerFaultRoutes } from '../shared/control-api.ts';
import type { CancelBody, DuplicateBody, ForceFailureBody, ForgeBody, YooKassaSimControl } from './control.ts';
import { NotificationUrlSchema } from './control.ts';
import type { YooKassaSimState } from './state.ts';

const DeliveryQuerySchema = z
  .object({
    payment_id: z.string().optional(),
    kind: z.enum(['genuine', 'duplicate', 'forged']).optional(),
    state: z.enum(['pending', 'delivered', 'failed']).optional(),
  })
  .strict();

const StatusQuerySchema = z.object({ status: z.enum(['pending', 'waiting_for_capture', 'succeeded', 'canceled']).optional() }).strict();

export function registerYooKassaControlRoutes(app: FastifyInstance, state: YooKassaSimState, control: YooKassaSimControl): void {
  void app.register(
    async (scope) => {
      guardControlScope(scope, state.options.controlToken);
      const id = (params: unknown): string => (params as { id: string }).id;

      scope.get('/status', async () => ({
        notification_url: state.notificationUrl,
        payments: state.payments.count(),
        faults: state.faults.snapshot(),
        counters: control.counters(),
      }));
      scope.get('/counters', async () => control.counters());
      scope.post('/reset', async () => {
        control.reset();
        return { ok: true };
      });

      scope.put('/notifications', async (request) => {
        const body = parseControlBody(NotificationUrlSchema, request.body);
        control.setNotificationUrl(body.url);
        return { notification_url: state.notificationUrl };
      });
      scope.post('/notifications/duplicate', async (request) => control.duplicate(request.body as DuplicateBody));
      scope.post('/notifications/forged', async (request) => control.forge(request.body as ForgeBody));
      scope.get('/deliveries', async (request) => ({ deliveries: control.deliveries(parseControlBody(DeliveryQuerySchema, request.query)) }));

      scope.get('/payments', async (request) => ({ payments: control.payments(parseControlBody(StatusQuerySchema, request.query).status) }));
      scope.get('/payments/:id', async (request) => {
        const payment = control.payment(id(request.params));
        if (!payment) throw new ControlError(404, 'no_such_payment', `payment ${id(request.params)} does not exist`);
        return payment;
      });
      scope.post('/payments/:id/pay', async (request) => control.pay(id(request.params)));
      scope.post('/payments/:id/cancel', async (request) => control.cancel(id(request.params), request.body as CancelBody));

      scope.post('/faults/errors', async (request) => {
        control.forceFailure(request.body as ForceFailureBody);
        return state.faults.snapshot();
      });
      registerFaultRoutes(scope, state.faults);
    },
    { prefix: '/_sim' },
  );
}
