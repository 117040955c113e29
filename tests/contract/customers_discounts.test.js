// Customers (create, list by email, search, update) and discounts (coupons, promotion codes
// in the 2025-09-30+ "promotion" shape, lookup by code ignoring case, restrictions).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, raw, Stripe } = require('./emu');

let emu;
let stripe;
test.before(async () => { emu = await startEmu(); stripe = emu.stripe; });
test.after(async () => { await emu.stop(); });

test('customers: create, retrieve, list by exact email, update, search', async () => {
  const c = await stripe.customers.create({ email: 'Ada@Example.com', name: 'Ada', metadata: { user_id: 'u_1' } });
  assert.match(c.id, /^cus_[A-Za-z0-9]{24}$/);
  assert.equal(c.object, 'customer');
  assert.equal(c.email, 'Ada@Example.com');
  assert.deepEqual(c.metadata, { user_id: 'u_1' });
  await stripe.customers.create({ email: 'other@example.com' });
  const exact = await stripe.customers.list({ email: 'Ada@Example.com' });
  assert.deepEqual(exact.data.map((x) => x.id), [c.id]);
  const wrongCase = await stripe.customers.list({ email: 'ada@example.com' });
  assert.equal(wrongCase.data.length, 0);
  const got = await stripe.customers.retrieve(c.id);
  assert.equal(got.name, 'Ada');
  const u = await stripe.customers.update(c.id, { name: 'Ada L.' });
  assert.equal(u.name, 'Ada L.');
  const found = await stripe.customers.search({ query: "email:'ada@example.com'" });
  assert.equal(found.object, 'search_result');
  assert.deepEqual(found.data.map((x) => x.id), [c.id]);
  await assert.rejects(stripe.customers.retrieve('cus_missing'),
    (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_missing' && e.message === "No such customer: 'cus_missing'");
  const evs = await stripe.events.list({ type: 'customer.*' });
  assert.deepEqual(evs.data.map((e) => e.type).sort(), ['customer.created', 'customer.created', 'customer.updated']);
});

test('coupons: percent or amount, caller id, validation', async () => {
  const pct = await stripe.coupons.create({ percent_off: 12.5, duration: 'once', name: 'Twelve and a half' });
  assert.match(pct.id, /^[A-Za-z0-9]{8}$/);
  assert.equal(pct.percent_off, 12.5);
  assert.equal(pct.amount_off, null);
  assert.equal(pct.valid, true);
  assert.equal(pct.times_redeemed, 0);
  const amt = await stripe.coupons.create({ id: 'FIVEOFF', amount_off: 500, currency: 'USD', max_redemptions: 3 });
  assert.equal(amt.id, 'FIVEOFF');
  assert.equal(amt.currency, 'usd');
  assert.equal(amt.max_redemptions, 3);
  await assert.rejects(stripe.coupons.create({ id: 'FIVEOFF', amount_off: 1, currency: 'usd' }), (e) => e.code === 'resource_already_exists');
  await assert.rejects(stripe.coupons.create({ amount_off: 500 }), (e) => e.type === 'StripeInvalidRequestError');
  await assert.rejects(stripe.coupons.create({ percent_off: 10, amount_off: 5, currency: 'usd' }), (e) => e.type === 'StripeInvalidRequestError');
  assert.equal((await stripe.coupons.retrieve('FIVEOFF')).amount_off, 500);
});

test('promotion codes: endive shape, expand promotion.coupon, find by code ignoring case', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 10 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'Summer-10', max_redemptions: 5 });
  assert.match(promo.id, /^promo_[A-Za-z0-9]{24}$/);
  assert.deepEqual(promo.promotion, { coupon: coupon.id, type: 'coupon' });
  assert.equal(promo.code, 'Summer-10');
  assert.equal(promo.active, true);
  assert.equal(promo.customer, null);
  assert.equal(promo.expires_at, null);
  assert.equal(promo.times_redeemed, 0);
  assert.deepEqual(promo.restrictions, { currency_options: {}, first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null });
  const found = await stripe.promotionCodes.list({ code: 'SUMMER-10', active: true, expand: ['data.promotion.coupon'] });
  assert.equal(found.data.length, 1);
  assert.equal(found.data[0].id, promo.id);
  assert.equal(found.data[0].promotion.coupon.percent_off, 10);
  const one = await stripe.promotionCodes.retrieve(promo.id, { expand: ['promotion.coupon'] });
  assert.equal(one.promotion.coupon.id, coupon.id);
  await assert.rejects(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'summer-10' }),
    (e) => e.type === 'StripeInvalidRequestError' && /already exists/.test(e.message));
  await assert.rejects(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'nope' } }),
    (e) => e.code === 'resource_missing');
  const legacy = await raw(emu, 'POST', '/v1/promotion_codes', `coupon=${coupon.id}`);
  assert.equal(legacy.status, 400);
  assert.equal(legacy.json.error.code, 'parameter_unknown');
  const off = await stripe.promotionCodes.update(promo.id, { active: false });
  assert.equal(off.active, false);
  assert.equal((await stripe.promotionCodes.list({ code: 'summer-10', active: true })).data.length, 0);
  const again = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'SUMMER-10' });
  assert.equal(again.active, true);
  const byCoupon = await stripe.promotionCodes.list({ coupon: coupon.id });
  assert.equal(byCoupon.data.length, 2);
  const gen = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  assert.match(gen.code, /^[A-Z0-9]+$/);
  const evs = await stripe.events.list({ types: ['promotion_code.created', 'promotion_code.updated'] });
  assert.equal(evs.data.length, 4);
});

test('promotion code restrictions and customer are stored', async () => {
  const coupon = await stripe.coupons.create({ amount_off: 300, currency: 'usd' });
  const cus = await stripe.customers.create({ email: 'vip@example.com' });
  const promo = await stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: coupon.id }, code: 'VIP', customer: cus.id,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    restrictions: { first_time_transaction: true, minimum_amount: 2000, minimum_amount_currency: 'USD' },
  });
  assert.equal(promo.customer, cus.id);
  assert.equal(promo.restrictions.first_time_transaction, true);
  assert.equal(promo.restrictions.minimum_amount, 2000);
  assert.equal(promo.restrictions.minimum_amount_currency, 'usd');
  const list = await stripe.promotionCodes.list({ customer: cus.id, expand: ['data.customer'] });
  assert.equal(list.data[0].customer.email, 'vip@example.com');
  await assert.rejects(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, restrictions: { minimum_amount: 5 } }),
    (e) => e.type === 'StripeInvalidRequestError');
});
