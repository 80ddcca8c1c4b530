/**
 * The money commands' argument parsers, with a fuzz run: whatever the user
 * types, parsing never throws and only a plain positive amount of at most two
 * decimals comes out, in exact minor units.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { findPlan, MAX_TOPUP_MAJOR, parseTopupAmount } from '../../../target/bot/command-args.ts';

test('amounts: plain decimals with a point or a comma, at most two decimals, above zero and at most the maximum', () => {
  assert.equal(parseTopupAmount('500'), 50_000);
  assert.equal(parseTopupAmount(' 99.9 '), 9990);
  assert.equal(parseTopupAmount('12,05'), 1205);
  assert.equal(parseTopupAmount('0.01'), 1);
  assert.equal(parseTopupAmount(String(MAX_TOPUP_MAJOR)), MAX_TOPUP_MAJOR * 100);
  for (const text of ['0x10', '1e3', '0.001', '-5', '10abc', '', ' ', '0', '0.00', '+5', '.5', '5.', '1 000', 'Infinity', 'NaN', '١٢', '1000000.01', '5..0', '5,5,5', '0b11', '1_000']) {
    assert.equal(parseTopupAmount(text), null, JSON.stringify(text));
  }
});

test('plans: only the plans\' own names, never what every object inherits', () => {
  const plans = { month: { price: 19_900, periodDays: 30 } };
  assert.deepEqual(findPlan(plans, 'month'), plans.month);
  for (const name of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'year', '']) assert.equal(findPlan(plans, name), null, name);
});

const ALPHABET = ['0', '1', '5', '9', '.', ',', '-', '+', 'e', 'E', 'x', 'b', 'o', ' ', '_', 'a', 'Z', '\u00a0', '\u0661', '\n', '∞'];

function randomText(): string {
  const length = randomInt(0, 14);
  let text = '';
  for (let i = 0; i < length; i += 1) text += ALPHABET[randomInt(ALPHABET.length)];
  return text;
}

test('fuzz: 20 000 random arguments never throw and never yield an amount the provider should not see', () => {
  let accepted = 0;
  for (let i = 0; i < 20_000; i += 1) {
    const text = randomText();
    let minor: number | null = null;
    assert.doesNotThrow(() => {
      minor = parseTopupAmount(text);
    }, JSON.stringify(text));
    if (minor === null) continue;
    accepted += 1;
    const value: number = minor;
    assert.ok(Number.isSafeInteger(value) && value >= 1 && value <= MAX_TOPUP_MAJOR * 100, `${JSON.stringify(text)} → ${value}`);
    // Independently: the trimmed text is digits with at most two decimals, and means the same amount.
    const plain = text.trim().replace(',', '.');
    assert.match(plain, /^\d+(\.\d{1,2})?$/, JSON.stringify(text));
    assert.equal(Math.round(Number(plain) * 100), value, JSON.stringify(text));
  }
  assert.ok(accepted > 0, 'the generator also produces valid amounts, so the accepting side is exercised');
});
