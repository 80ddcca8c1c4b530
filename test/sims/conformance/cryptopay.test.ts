/**
 * Conformance: crypto-bot-api, a published Crypto Pay client, runs its
 * ordinary calls against the simulator unchanged; only the endpoint URL differs
 * from production. It speaks HTTPS only and checks the token's shape, so this
 * also proves the simulator's token format and HTTPS. Webhooks are checked by
 * the library's own signature verification (its middleware).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import CryptoBotApiModule from 'crypto-bot-api';
import { buildCryptoPaySim } from '../../../target/sims/cryptopay/sim.ts';
import type { CryptoPaySim } from '../../../target/sims/cryptopay/sim.ts';
import { waitFor } from '../helpers.ts';
import type { TrustedTls } from './trusted-tls.ts';
import { makeTrustedTls } from './trusted-tls.ts';

/** The parts of the library's invoice this suite reads (its camelCase names, converted by the library). */
interface LibraryInvoice {
  id: number;
  status: string;
  currencyType: string;
  currency: string;
  amount: string;
  payload?: unknown;
  botPayUrl: string;
  createdAt: Date;
  expirationDate?: Date;
  acceptedAssets?: string[];
  paidAt?: Date;
  paidAmount?: number;
}

interface LibraryClient {
  getMe(isForce?: boolean): Promise<{ id: number; name: string; bot: string }>;
  createInvoice(options: Record<string, unknown>): Promise<LibraryInvoice>;
  getInvoices(options?: Record<string, unknown>): Promise<LibraryInvoice[]>;
  on(event: 'paid', listener: (invoice: LibraryInvoice, requestDate: Date) => void): void;
  middleware(): (request: http.IncomingMessage, response: http.ServerResponse) => void;
}

// The package's "types" export points at its types module rather than the client class, so
// TypeScript cannot see the constructor; the runtime export is the client itself.
const CryptoBotAPI = CryptoBotApiModule as unknown as new (apiKey: string, endpoint: string) => LibraryClient;

const TOKEN = '31337:AAb3Xc9dEf0GhIjK1lMnOp2QrStU4vWxYz5';

let trusted: TrustedTls;
let sim: CryptoPaySim;
let endpoint = '';

before(async () => {
  trusted = await makeTrustedTls();
  trusted.trustInDefaultAgent();
  sim = buildCryptoPaySim({ token: TOKEN, tls: trusted.tls, redelivery: { initialDelayMs: 20, factor: 1, maxDelayMs: 20, maxAttempts: 3, horizonMs: 5000 } });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  endpoint = `${url.replace('http://', 'https://')}/api`;
});
after(async () => {
  await sim.app.close();
  await trusted.dispose();
});

test('the library accepts the token and the HTTPS endpoint; getMe answers the app', async () => {
  const client = new CryptoBotAPI(TOKEN, endpoint);
  const me = await client.getMe(true);
  assert.equal(me.id, 31337);
  assert.equal(typeof me.name, 'string');
  assert.match(me.bot, /CryptoBot/);
});

test('createInvoice and getInvoices as the library sends and reads them', async () => {
  const client = new CryptoBotAPI(TOKEN, endpoint);
  const invoice = await client.createInvoice({ asset: 'USDT', amount: '12.5', description: 'Top-up', payload: 'order-1', expiresIn: 600 });
  assert.equal(typeof invoice.id, 'number');
  assert.equal(invoice.status, 'active');
  assert.equal(invoice.amount, '12.5');
  assert.equal(invoice.currencyType, 'crypto');
  assert.equal(invoice.currency, 'USDT');
  assert.ok(invoice.createdAt instanceof Date && !Number.isNaN(invoice.createdAt.getTime()));
  assert.ok(invoice.expirationDate instanceof Date && invoice.expirationDate.getTime() > Date.now());
  assert.equal(invoice.payload, 'order-1');
  assert.match(invoice.botPayUrl, /^https:\/\/t\.me\//);
  const fiat = await client.createInvoice({ currencyType: 'fiat', fiat: 'RUB', amount: '500', acceptedAssets: ['USDT', 'TON'] });
  assert.equal(fiat.currency, 'RUB');
  assert.deepEqual(fiat.acceptedAssets, ['USDT', 'TON']);

  const all = await client.getInvoices({ ids: [invoice.id, fiat.id] });
  assert.deepEqual(all.map((i) => i.id).sort((a, b) => a - b), [invoice.id, fiat.id].sort((a, b) => a - b));
  const active = await client.getInvoices({ status: 'active', count: 1 });
  assert.equal(active.length, 1);
  sim.control.pay(invoice.id, {});
  const [paid] = await client.getInvoices({ ids: [invoice.id] });
  assert.equal(paid?.status, 'paid');
  assert.ok(paid?.paidAt instanceof Date && !Number.isNaN(paid.paidAt.getTime()));
  assert.ok((paid?.paidAmount ?? 0) > 0);
});

test('errors come back in the shape the library reports: a bad parameter, a wrong token', async () => {
  const client = new CryptoBotAPI(TOKEN, endpoint);
  await assert.rejects(client.createInvoice({ asset: 'USDT', amount: '-1' }), /Api response error .*"code":400.*"name":"AMOUNT_INVALID"/);
  const stranger = new CryptoBotAPI('31337:AAzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', endpoint);
  await assert.rejects(stranger.getMe(true), /Api response error .*"code":401.*"name":"UNAUTHORIZED"/);
});

test('webhooks: the library\'s own checker accepts the simulator\'s signature and emits paid; forged ones get its 401', async () => {
  const client = new CryptoBotAPI(TOKEN, endpoint);
  const paidIds: number[] = [];
  client.on('paid', (invoice) => paidIds.push(invoice.id));
  const middleware = client.middleware();
  const receiver = http.createServer((request, response) => middleware(request, response));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    sim.control.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    const invoice = await client.createInvoice({ asset: 'TON', amount: '3' });
    const { delivery } = sim.control.pay(invoice.id, {});
    assert.ok(await waitFor(() => paidIds.includes(invoice.id)), 'the library emitted paid');
    assert.ok(await waitFor(() => sim.control.deliveries({}).find((d) => d.id === delivery?.id)?.state === 'delivered'));

    for (const mode of ['bad_signature', 'missing_signature', 'tampered'] as const) {
      const forged = sim.control.forge({ invoice_id: invoice.id, mode });
      assert.ok(await waitFor(() => (sim.control.deliveries({}).find((d) => d.id === forged.id)?.attempts.length ?? 0) > 0), mode);
      assert.equal(sim.control.deliveries({}).find((d) => d.id === forged.id)?.attempts[0]?.status, 401, `${mode}: refused by the library`);
    }
    assert.deepEqual(paidIds, [invoice.id], 'only the genuine webhook was believed');
  } finally {
    sim.control.setWebhookUrl(null);
    await new Promise((resolve) => receiver.close(resolve));
  }
});
