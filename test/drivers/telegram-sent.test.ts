/** The telegram-sent probe against the real Telegram simulator: counts what the bot sent to a chat since the run started. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeContext, type ProbeContext } from '../../cli/drivers/probes/index.ts';
import { sentQueryUrl } from '../../cli/drivers/probes/telegram-sent.ts';
import { startClock } from '../../cli/core/clock.ts';
import { BUILTIN_REGISTRIES, probeDriverFor, ProbeSchema, type ProbeSpec } from '../../cli/drivers/registry.ts';
import type { TelegramSentProbeSpec } from '../../cli/drivers/probes/telegram-sent.ts';
import { buildTelegramSim } from '../../target/sims/telegram/sim.ts';

const sampleProbe = (spec: ProbeSpec, ctx: ProbeContext) => probeDriverFor(BUILTIN_REGISTRIES, spec).sample(spec, ctx);

const TOKEN = '7000000004:AAHsimulatedTokenForSentProbe0000000';
const sim = buildTelegramSim({ token: TOKEN });
const simUrl = await sim.app.listen({ host: '127.0.0.1', port: 0 });
after(() => sim.app.close());

const ADMIN = sim.control.userId(999);
const OTHER = sim.control.userId(5);
const send = async (chatId: number, text: string): Promise<void> => {
  const response = await fetch(`${simUrl}/bot${TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: chatId, text }) });
  assert.equal(response.status, 200, await response.text());
};
const spec = (input: Record<string, unknown>): TelegramSentProbeSpec => ProbeSchema.parse({ name: 'alerts', kind: 'telegram-sent', ...input }) as TelegramSentProbeSpec;

// The chats must have written to the bot first, or the simulator does not know them.
sim.control.injectCommand({ user: 999, command: 'start' });
sim.control.injectCommand({ user: 5, command: 'start' });
await send(ADMIN, '[WARNING] sent before the run started');

test('defaults: sendMessage, accepted calls only, every 500 ms', () => {
  const s = spec({ chatId: ADMIN });
  assert.equal(s.method, 'sendMessage');
  assert.equal(s.ok, true);
  assert.equal(s.every, '500ms');
  const url = sentQueryUrl('http://127.0.0.1:1', s, 1234.7);
  assert.equal(url.pathname, '/_sim/sent');
  assert.equal(url.searchParams.get('chat_id'), String(ADMIN));
  assert.equal(url.searchParams.get('since'), '1234');
  assert.equal(url.searchParams.get('count'), 'true', 'the simulator counts; no records travel');
  assert.equal(ProbeSchema.safeParse({ name: 'x', kind: 'telegram-sent' }).success, true, 'no chat at all: every chat');
});

test('a chat range needs both ends in order, and excludes a single chatId', () => {
  const ok = (input: Record<string, unknown>): boolean => ProbeSchema.safeParse({ name: 'x', kind: 'telegram-sent', ...input }).success;
  assert.equal(ok({ chatIdFrom: 1, chatIdTo: 5 }), true);
  assert.equal(ok({ chatIdFrom: 1 }), false);
  assert.equal(ok({ chatIdFrom: 5, chatIdTo: 1 }), false);
  assert.equal(ok({ chatId: 3, chatIdFrom: 1, chatIdTo: 5 }), false);
});

test('counts only messages to that chat, containing the text, since the run clock started', async () => {
  await new Promise((resolve) => setTimeout(resolve, 20)); // the record above is older than the clock
  const ctx = probeContext({ targetUrl: '', toxiproxyUrl: '', databaseUrl: '', proxies: {}, sims: { telegram: simUrl } }, startClock());
  try {
    const warnings = spec({ chatId: ADMIN, contains: '[WARNING]' });
    const first = await sampleProbe(warnings, ctx);
    assert.equal(first.ok, true, first.error);
    assert.equal(first.value, 0, 'the message sent before the run is not counted');
    await send(ADMIN, '[WARNING] Scheduler is not running');
    await send(ADMIN, '[INFO] Scheduler running again');
    await send(OTHER, '[WARNING] not the admin chat');
    assert.equal((await sampleProbe(warnings, ctx)).value, 1);
    assert.equal((await sampleProbe(spec({ chatId: ADMIN }), ctx)).value, 2);
    assert.equal((await sampleProbe(spec({ chatId: ADMIN, ok: false }), ctx)).value, 0);
    assert.equal((await sampleProbe(spec({}), ctx)).value, 3, 'every chat');
    assert.equal((await sampleProbe(spec({ contains: '[WARNING]' }), ctx)).value, 2, 'every chat, with the text');
    assert.equal((await sampleProbe(spec({ chatIdFrom: OTHER, chatIdTo: OTHER + 1 }), ctx)).value, 1, 'a range holding only the other chat');
    assert.equal((await sampleProbe(spec({ chatIdFrom: OTHER, chatIdTo: ADMIN }), ctx)).value, 3, 'a range holding both');
  } finally {
    await ctx.close();
  }
});

test('without a Telegram simulator, or when it is away, a sample fails instead of counting 0', async () => {
  const none = probeContext({ targetUrl: '', toxiproxyUrl: '', databaseUrl: '', proxies: {} }, startClock());
  const missing = await sampleProbe(spec({ chatId: ADMIN }), none);
  assert.equal(missing.ok, false);
  assert.match(missing.error ?? '', /no Telegram simulator/);
  const away = probeContext({ targetUrl: '', toxiproxyUrl: '', databaseUrl: '', proxies: {}, sims: { telegram: 'http://127.0.0.1:1' } }, startClock());
  const down = await sampleProbe(spec({ chatId: ADMIN, timeout: '500ms' }), away);
  assert.equal(down.ok, false);
  assert.equal(down.value, undefined);
});
