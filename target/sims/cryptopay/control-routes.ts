/**
 * The Crypto Pay simulator's HTTP control API under /_sim; see docs/simulators.md.
 * Bodies are validated by the control object (the casts only name the type it checks).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ControlError, guardControlScope, parseControlBody, registerFaultRoutes } from '../shared/control-api.ts';
import type { CryptoPaySimControl, DuplicateBody, ForceFailureBody, ForgeBody, PayBody } from './control.ts';
import { WebhookUrlSchema } from './control.ts';
import type { CryptoPaySimState } from './state.ts';

const IdParamsSchema = z.object({ id: z.coerce.number().int().positive() });
const DeliveryQuerySchema = z
  .object({
    invoice_id: z.string().regex(/^\d+$/).optional(),
    kind: z.enum(['genuine', 'duplicate', 'forged']).optional(),
    state: z.enum(['pending', 'delivered', 'failed']).optional(),
  })
  .strict();

export function registerCryptoPayControlRoutes(app: FastifyInstance, state: CryptoPaySimState, control: CryptoPaySimControl): void {
  void app.register(
    async (scope) => {
      guardControlScope(scope, state.options.controlToken);

      scope.get('/status', async () => ({
        webhook_url: state.webhookUrl,
        invoices: state.invoices.count(),
        faults: state.faults.snapshot(),
        counters: control.counters(),
      }));
      scope.get('/counters', async () => control.counters());
      scope.post('/reset', async () => {
        control.reset();
        return { ok: true };
      });

      scope.put('/webhook', async (request) => {
        control.setWebhookUrl(parseControlBody(WebhookUrlSchema, request.body).url);
        return { webhook_url: state.webhookUrl };
      });
      scope.post('/webhooks/duplicate', async (request) => control.duplicate(request.body as DuplicateBody));
      scope.post('/webhooks/forged', async (request) => control.forge(request.body as ForgeBody));
      scope.get('/deliveries', async (request) => {
        const query = parseControlBody(DeliveryQuerySchema, request.query);
        const { invoice_id: invoiceId, ...rest } = query;
        return { deliveries: control.deliveries({ ...rest, ...(invoiceId !== undefined ? { subject_id: invoiceId } : {}) }) };
      });

      scope.get('/invoices', async () => ({ invoices: control.invoices() }));
      scope.get('/invoices/:id', async (request) => {
        const { id } = parseControlBody(IdParamsSchema, request.params);
        const invoice = control.invoice(id);
        if (!invoice) throw new ControlError(404, 'no_such_invoice', `invoice ${id} does not exist`);
        return invoice;
      });
      scope.post('/invoices/:id/pay', async (request) => control.pay(parseControlBody(IdParamsSchema, request.params).id, request.body as PayBody));
      scope.post('/invoices/:id/expire', async (request) => control.expire(parseControlBody(IdParamsSchema, request.params).id));

      scope.post('/faults/errors', async (request) => {
        control.forceFailure(request.body as ForceFailureBody);
        return state.faults.snapshot();
      });
      registerFaultRoutes(scope, state.faults);
    },
    { prefix: '/_sim' },
  );
}
