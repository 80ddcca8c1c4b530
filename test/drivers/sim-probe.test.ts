/** The sim probe against a real YooKassa simulator: a counter of its control API, counted from the run's first sample. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeContext, type ProbeContext } from '../../cli/drivers/probes/index.ts';
import { numberAt } from '../../cli/drivers/probes/sim.ts';
import { startClock } from '../../cli/core/clock.ts';
import { BUILTIN_REGISTRIES, probeDriverFor, ProbeSchema, type ProbeSpec } from '../../cli/drivers/registry.ts';
import type { SimProbeSpec } from '../../cli/drivers/probes/sim.ts';
import { buildYooKassaSim } from '../../target/sims/yookassa/sim.ts';

const sampleProbe = (spec: ProbeSpec, ctx: ProbeContext) => probeDriverFor(BUILTIN_REGISTRIES, spec).sample(spec, ctx);

const SHOP = '424242';
const SECRET = 'test_sim_probe_secret';
const sim = buildYooKassaSim({ shopId: SHOP, secretKey: SECRET });
const simUrl = await sim.app.listen({ host: '127.0.0.1', port: 0 });
after(() => sim.app.close());

const create = async (key: string): Promise<void> => {
  const response = await fetch(`${simUrl}/v3/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotence-key': key, authorization: `Basic ${Buffer.from(`${SHOP}:${SECRET}`).toString('base64')}` },
    body: JSON.stringify({ amount: { value: '100.00', currency: 'RUB' }, capture: true, confirmation: { type: 'redirect', return_url: 'https://t.me/x' } }),
  });
  assert.equal(response.status, 200, await response.text());
};
const spec = (input: Record<string, unknown>): SimProbeSpec => ProbeSchema.parse({ name: 'replays', kind: 'sim', sim: 'yookassa', ...input }) as SimProbeSpec;

test('numberAt follows a dot path and answers null for anything but a number', () => {
  const value = { requests: { create: 3 }, idempotent_replays: 1, name: 'x' };
  assert.equal(numberAt(value, 'requests.create'), 3);
  assert.equal(numberAt(value, 'idempotent_replays'), 1);
  assert.equal(numberAt(value, 'name'), null);
  assert.equal(numberAt(value, 'requests.get'), null);
  assert.equal(numberAt(value, 'toString'), null, 'only own keys');
});

test('since: run counts from the first sample; absolute reads the simulator\'s own total', async () => {
  await create('before-the-run'); // kept by the simulator from "an earlier run"
  await create('before-the-run');
  const ctx = probeContext({ targetUrl: '', toxiproxyUrl: '', databaseUrl: '', proxies: {}, sims: { yookassa: simUrl } }, startClock());
  const sinceRun = spec({ field: 'idempotent_replays' });
  const absolute = spec({ name: 'total', field: 'idempotent_replays', since: 'absolute' });
  const first = await sampleProbe(sinceRun, ctx);
  assert.equal(first.ok, true, first.error);
  assert.equal(first.value, 0, 'the replay before the run does not count');
  await create('in-the-run');
  await create('in-the-run');
  await create('in-the-run');
  assert.equal((await sampleProbe(sinceRun, ctx)).value, 2);
  assert.equal((await sampleProbe(absolute, ctx)).value, 3);
  const created = await sampleProbe(spec({ name: 'creates', field: 'requests.create' }), ctx);
  assert.equal(created.value, 0, 'a probe first sampled now starts from now');
  const missing = await sampleProbe(spec({ name: 'm', field: 'no.such.field' }), ctx);
  assert.equal(missing.ok, false);
  assert.match(missing.error ?? '', /no number at "no.such.field"/);
  await ctx.close();
});

test('a stack without that simulator fails the sample instead of reading 0', async () => {
  const ctx = probeContext({ targetUrl: '', toxiproxyUrl: '', databaseUrl: '', proxies: {} }, startClock());
  const sample = await sampleProbe(spec({ field: 'idempotent_replays' }), ctx);
  assert.equal(sample.ok, false);
  assert.match(sample.error ?? '', /no yookassa simulator/);
});
