/**
 * The per-stack secrets look like the real services' credentials, because
 * published clients check their shape before they send anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSecrets } from '../../cli/stack/simulators.ts';

test('stack secrets have the real formats (Crypto Pay: digits, a colon, 35 letters and digits)', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i += 1) {
    const secrets = newSecrets();
    assert.match(secrets.cryptopayToken, /^\d+:[A-Za-z0-9]{35}$/);
    assert.match(secrets.botToken, /^\d{10}:[A-Za-z0-9_-]{35}$/);
    assert.match(secrets.yookassaShopId, /^\d{6}$/);
    assert.match(secrets.yookassaSecretKey, /^test_[0-9a-f]{40}$/);
    seen.add(secrets.cryptopayToken);
  }
  assert.equal(seen.size, 50, 'tokens are random per stack');
});
