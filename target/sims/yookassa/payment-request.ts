/**
 * The body of POST /v3/payments as the simulator validates it. The first
 * problem is reported the way YooKassa does: 400 invalid_request naming the
 * parameter. Fields the simulator does not use (receipt, payment_method_data,
 * client_ip, …) are accepted and ignored.
 */
import { z } from 'zod';
import { YooKassaError } from './errors.ts';

const Amount = z
  .object({
    value: z
      .string({ message: 'must be a string such as "100.00"' })
      .regex(/^\d{1,12}(\.\d{1,2})?$/, { message: 'must be a decimal string with at most 2 digits after the point, such as "100.00"' })
      .refine((v) => Number(v) > 0, { message: 'must be greater than 0' }),
    currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO-4217 code such as RUB' }),
  })
  .loose();

const Confirmation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('redirect'), return_url: z.url().max(2048), enforce: z.boolean().optional(), locale: z.string().optional() }).loose(),
  z.object({ type: z.literal('embedded'), locale: z.string().optional() }).loose(),
  z.object({ type: z.literal('external'), locale: z.string().optional() }).loose(),
  z.object({ type: z.literal('qr'), locale: z.string().optional(), return_url: z.url().optional() }).loose(),
  z.object({ type: z.literal('mobile_application'), return_url: z.url(), locale: z.string().optional() }).loose(),
]);

const Metadata = z
  .record(z.string().max(32, { message: 'keys are at most 32 characters' }), z.string().max(512, { message: 'values are strings of at most 512 characters' }))
  .refine((m) => Object.keys(m).length <= 16, { message: 'at most 16 keys' });

export const CreatePaymentSchema = z
  .object({
    amount: Amount,
    description: z.string().max(128, { message: 'at most 128 characters' }).optional(),
    confirmation: Confirmation.optional(),
    capture: z.boolean().optional(),
    metadata: Metadata.optional(),
    payment_method_id: z.string().optional(),
    save_payment_method: z.boolean().optional(),
    merchant_customer_id: z.string().max(200).optional(),
  })
  .loose()
  .refine((body) => body.confirmation !== undefined || body.payment_method_id !== undefined, {
    message: 'Missing confirmation parameter',
    path: ['confirmation'],
  });

export type CreatePaymentRequest = z.output<typeof CreatePaymentSchema>;
export type ConfirmationRequest = z.output<typeof Confirmation>;

export const CapturePaymentSchema = z.object({ amount: Amount.optional() }).loose();

/** Parses a request body or throws YooKassa's 400 for its first problem. */
export function parseYooKassaBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const parameter = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
  const description = issue
    ? issue.message === 'Missing confirmation parameter'
      ? issue.message
      : `Invalid value of ${parameter ?? 'the request body'}: ${issue.message}`
    : 'Invalid request';
  throw new YooKassaError(400, 'invalid_request', description, parameter);
}
