// Payment Intents created (and confirmed) through the SDK with Stripe's test card tokens: the
// 402 card errors as Stripe.errors.StripeCardError (decline codes, the failed PI stored and
// carried in the error), success, unconfirmed states, a missing token, unknown parameters,
// idempotent replay of a decline, and the payment_intent.* events.
// Every call passes payment_method_types: ['card']: without it real Stripe turns on
// automatic_payment_methods, which refuses confirm=true without a return_url.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, Stripe, RUN, eventually } = require('./emu');

let emu;
let stripe;
test.before(async () => {
  emu = await startEmu();
  stripe = emu.stripe;
});
test.after(async () => { await emu.stop(); });

const base = { amount: 1000, currency: 'sek', payment_method_types: ['card'] };

// Asserts a 402 StripeCardError with code and decline_code; returns the error.
async function declined(params, code, declineCode, opts) {
  let err;
  await assert.rejects(stripe.paymentIntents.create({ ...base, ...params, confirm: true }, opts), (e) => {
    err = e;
    return true;
  });
  assert.ok(err instanceof Stripe.errors.StripeCardError, `${err.type}: ${err.message}`);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.statusCode, 402);
  assert.equal(err.code, code);
  assert.equal(err.decline_code, declineCode);
  assert.match(err.requestId, /^req_/);
  return err;
}

test('pm_card_chargeDeclined: StripeCardError 402, card_declined/generic_decline, PI stored', async () => {
  const err = await declined({ payment_method: 'pm_card_chargeDeclined', metadata: { order: RUN } },
    'card_declined', 'generic_decline');
  assert.equal(err.message, 'Your card was declined.');
  assert.equal(err.raw.doc_url, 'https://stripe.com/docs/error-codes/card-declined');
  const pi = err.payment_intent;
  assert.match(pi.id, /^pi_/);
  assert.equal(pi.object, 'payment_intent');
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.amount, 1000);
  assert.equal(pi.currency, 'sek');
  assert.equal(pi.last_payment_error.type, 'card_error');
  assert.equal(pi.last_payment_error.decline_code, 'generic_decline');
  const got = await stripe.paymentIntents.retrieve(pi.id);
  assert.equal(got.status, 'requires_payment_method');
  assert.equal(got.amount_received, 0);
  assert.equal(got.last_payment_error.code, 'card_declined');
  assert.deepEqual(got.metadata, { order: RUN });
});

test('insufficient funds and expired card have their own codes and messages', async () => {
  const f = await declined({ payment_method: 'pm_card_chargeDeclinedInsufficientFunds' },
    'card_declined', 'insufficient_funds');
  assert.equal(f.message, 'Your card has insufficient funds.');
  const x = await declined({ payment_method: 'pm_card_chargeDeclinedExpiredCard' },
    'expired_card', 'expired_card');
  assert.equal(x.message, 'Your card has expired.');
  assert.equal(x.payment_intent.last_payment_error.code, 'expired_card');
});

test('pm_card_visa with confirm succeeds; customer, description and metadata kept', async () => {
  const cus = await stripe.customers.create({ email: `pi.${RUN}@example.com` });
  const pi = await stripe.paymentIntents.create({
    ...base, payment_method: 'pm_card_visa', confirm: true, customer: cus.id,
    description: 'Order 7', metadata: { order: '7' },
  });
  assert.match(pi.id, /^pi_/);
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.amount_received, 1000);
  assert.match(pi.payment_method, /^pm_/);
  assert.equal(pi.customer, cus.id);
  assert.equal(pi.description, 'Order 7');
  assert.deepEqual(pi.metadata, { order: '7' });
  assert.equal(pi.last_payment_error, null);
  assert.equal((await stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
});

test('without confirm: requires_confirmation, or requires_payment_method with no method', async () => {
  const a = await stripe.paymentIntents.create({ ...base, payment_method: 'pm_card_chargeDeclined' });
  assert.equal(a.status, 'requires_confirmation');
  const b = await stripe.paymentIntents.create(base);
  assert.equal(b.status, 'requires_payment_method');
  assert.equal(b.payment_method, null);
});

test('unknown token, unknown customer, bad amount, unknown parameter: 400s', async () => {
  await assert.rejects(stripe.paymentIntents.create({ ...base, payment_method: 'pm_card_nope', confirm: true }), (e) =>
    e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 400 &&
    e.code === 'resource_missing' && e.param === 'payment_method' && /No such PaymentMethod: 'pm_card_nope'/.test(e.message));
  await assert.rejects(stripe.paymentIntents.create({ ...base, customer: `cus_nope${RUN}` }), (e) =>
    e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_missing' && e.param === 'customer');
  await assert.rejects(stripe.paymentIntents.create({ ...base, amount: 0 }), (e) =>
    e instanceof Stripe.errors.StripeInvalidRequestError && e.param === 'amount');
  await assert.rejects(stripe.paymentIntents.create({ ...base, colour: 'red' }), (e) =>
    e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'parameter_unknown' && e.param === 'colour');
});

test('a decline is kept under its Idempotency-Key and replayed, not charged again', async () => {
  const key = `pi-decline-${RUN}`;
  const opts = { idempotencyKey: key };
  const a = await declined({ payment_method: 'pm_card_chargeDeclined' }, 'card_declined', 'generic_decline', opts);
  const b = await declined({ payment_method: 'pm_card_chargeDeclined' }, 'card_declined', 'generic_decline', opts);
  assert.equal(b.payment_intent.id, a.payment_intent.id);
  assert.equal(b.headers['idempotent-replayed'], 'true');
});

test('payment_intent.created, .succeeded and .payment_failed events', async () => {
  const ok = await stripe.paymentIntents.create({ ...base, payment_method: 'pm_card_visa', confirm: true });
  const bad = await declined({ payment_method: 'pm_card_chargeDeclined' }, 'card_declined', 'generic_decline');
  const find = (type, id) => eventually(async () =>
    (await stripe.events.list({ type, limit: 100 })).data.find((e) => e.data.object.id === id));
  assert.ok(await find('payment_intent.created', ok.id));
  assert.equal((await find('payment_intent.succeeded', ok.id)).data.object.status, 'succeeded');
  const failed = await find('payment_intent.payment_failed', bad.payment_intent.id);
  assert.equal(failed.data.object.last_payment_error.decline_code, 'generic_decline');
});
