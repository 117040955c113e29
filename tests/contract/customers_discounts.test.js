// Customers (create, list by email, search, update) and discounts (coupons, promotion codes
// in the 2025-09-30+ "promotion" shape, lookup by code ignoring case, restrictions, max
// redemptions and redemption counts through payments on the hosted page).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, raw, Stripe, live, emuOnly, RUN, eventually, payForm } = require('./emu');

let emu;
let stripe;
test.before(async () => { emu = await startEmu(); stripe = emu.stripe; });
test.after(async () => { await emu.stop(); });

test('customers: create, retrieve, list by exact email, update', async () => {
  const email = `Ada.${RUN}@Example.com`;
  const c = await stripe.customers.create({ email, name: 'Ada', metadata: { user_id: 'u_1' } });
  assert.match(c.id, /^cus_[A-Za-z0-9]{14,}$/);
  assert.equal(c.object, 'customer');
  assert.equal(c.email, email);
  assert.deepEqual(c.metadata, { user_id: 'u_1' });
  const other = await stripe.customers.create({ email: `other.${RUN}@example.com` });
  const exact = await stripe.customers.list({ email });
  assert.deepEqual(exact.data.map((x) => x.id), [c.id]);
  assert.equal(exact.url, '/v1/customers');
  const wrongCase = await stripe.customers.list({ email: email.toLowerCase() });
  assert.equal(wrongCase.data.length, 0, 'the email filter is case-sensitive');
  const got = await stripe.customers.retrieve(c.id);
  assert.equal(got.name, 'Ada');
  const u = await stripe.customers.update(c.id, { name: 'Ada L.', email: `ada.l.${RUN}@example.com`, metadata: { user_id: '', plan: 'gold' } });
  assert.equal(u.name, 'Ada L.');
  assert.deepEqual(u.metadata, { plan: 'gold' });
  assert.deepEqual((await stripe.customers.list({ email: `ada.l.${RUN}@example.com` })).data.map((x) => x.id), [c.id], 'list by email is consistent at once');
  assert.equal((await stripe.customers.list({ email })).data.length, 0);
  await assert.rejects(stripe.customers.retrieve('cus_missing'),
    (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_missing' && e.message === "No such customer: 'cus_missing'");
  await assert.rejects(stripe.customers.update('cus_missing', { name: 'x' }), (e) => e.code === 'resource_missing' && e.statusCode === 404);
  const evs = await eventually(async () => {
    const l = await stripe.events.list({ type: 'customer.*', limit: 100 });
    const mine = l.data.filter((e) => e.data.object.id === c.id || e.data.object.id === other.id);
    return mine.length === 3 && mine;
  });
  assert.deepEqual(evs.map((e) => e.type).sort(), ['customer.created', 'customer.created', 'customer.updated']);
  assert.equal(evs.find((e) => e.type === 'customer.updated').data.previous_attributes.name, 'Ada');
});

test("customer search: email:'…' and name:'…', search_result paging with next_page", async () => {
  const name = `Grace ${RUN}`;
  const made = [];
  for (let i = 0; i < 3; i++) made.push((await stripe.customers.create({ name, email: `grace${i}.${RUN}@example.com`, metadata: { run: RUN } })).id);
  const q = `name:'${name}'`;
  const first = await eventually(async () => {
    const r = await stripe.customers.search({ query: q, limit: 2 });
    return r.data.length === 2 && r.has_more && r;
  });
  assert.equal(first.object, 'search_result');
  assert.equal(first.url, '/v1/customers/search');
  assert.equal(first.has_more, true);
  assert.equal(typeof first.next_page, 'string');
  const second = await stripe.customers.search({ query: q, limit: 2, page: first.next_page });
  assert.equal(second.data.length, 1);
  assert.equal(second.has_more, false);
  assert.equal(second.next_page, null);
  assert.deepEqual([...first.data, ...second.data].map((x) => x.id).sort(), made.slice().sort());
  const all = await stripe.customers.search({ query: q, limit: 1 }).autoPagingToArray({ limit: 10 });
  assert.deepEqual(all.map((x) => x.id).sort(), made.slice().sort());
  const byEmail = await stripe.customers.search({ query: `email:'grace1.${RUN}@example.com'` });
  assert.deepEqual(byEmail.data.map((x) => x.id), [made[1]]);
  assert.equal(byEmail.has_more, false);
  assert.equal(byEmail.next_page, null);
  const anyCase = await stripe.customers.search({ query: `email:'GRACE2.${RUN}@EXAMPLE.COM'` });
  assert.deepEqual(anyCase.data.map((x) => x.id), [made[2]], 'search ignores case');
  const both = await stripe.customers.search({ query: `name:'${name}' AND email:'grace0.${RUN}@example.com'` });
  assert.deepEqual(both.data.map((x) => x.id), [made[0]]);
  const meta = await stripe.customers.search({ query: `metadata['run']:'${RUN}'`, limit: 100 });
  assert.ok(made.every((id) => meta.data.some((x) => x.id === id)));
  const none = await stripe.customers.search({ query: `email:'nobody.${RUN}@example.com'` });
  assert.deepEqual(none.data, []);
  await assert.rejects(stripe.customers.search({}), (e) => e.code === 'parameter_missing' && e.param === 'query');
  // the rest of the query language a program may use: double quotes, ~, OR, negation
  const ids = async (query) => (await stripe.customers.search({ query, limit: 100 })).data.map((x) => x.id).sort();
  assert.deepEqual(await ids(`email:"grace1.${RUN}@example.com"`), [made[1]]);
  assert.deepEqual(await ids(`name~'${RUN}'`), made.slice().sort());
  assert.deepEqual(await ids(`email:'grace0.${RUN}@example.com' OR email:'grace2.${RUN}@example.com'`), [made[0], made[2]].sort());
  assert.deepEqual(await ids(`name:'${name}' AND -email:'grace0.${RUN}@example.com'`), [made[1], made[2]].sort());
  await assert.rejects(stripe.customers.search({ query: `name:'${name}' AND email:'a@b.example' OR email:'c@d.example'` }),
    (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 400);
  await assert.rejects(stripe.customers.search({ query: 'email=nobody' }), (e) => e.statusCode === 400 && e.param === 'query');
});

test('coupons: percent or amount, caller id, validation', async () => {
  const pct = await stripe.coupons.create({ percent_off: 12.5, duration: 'once', name: 'Twelve and a half' });
  assert.match(pct.id, /^[A-Za-z0-9]{8}$/);
  assert.equal(pct.percent_off, 12.5);
  assert.equal(pct.amount_off, null);
  assert.equal(pct.valid, true);
  assert.equal(pct.times_redeemed, 0);
  const fiveOff = `FIVEOFF_${RUN}`;
  const amt = await stripe.coupons.create({ id: fiveOff, amount_off: 500, currency: 'USD', max_redemptions: 3 });
  assert.equal(amt.id, fiveOff);
  assert.equal(amt.currency, 'usd');
  assert.equal(amt.max_redemptions, 3);
  await assert.rejects(stripe.coupons.create({ id: fiveOff, amount_off: 1, currency: 'usd' }), (e) => e.code === 'resource_already_exists');
  await assert.rejects(stripe.coupons.create({ amount_off: 500 }), (e) => e.type === 'StripeInvalidRequestError');
  await assert.rejects(stripe.coupons.create({ percent_off: 10, amount_off: 5, currency: 'usd' }), (e) => e.type === 'StripeInvalidRequestError');
  assert.equal((await stripe.coupons.retrieve(fiveOff)).amount_off, 500);
  await assert.rejects(stripe.coupons.retrieve(`NOPE_${RUN}`), (e) => e.code === 'resource_missing' && e.statusCode === 404);
});

test('promotion codes: endive shape, expand promotion.coupon, find by code ignoring case', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 10 });
  const code = `Summer-${RUN}`;
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code, max_redemptions: 5 });
  assert.match(promo.id, /^promo_[A-Za-z0-9]{14,}$/);
  assert.deepEqual(promo.promotion, { coupon: coupon.id, type: 'coupon' });
  assert.equal(promo.code, code);
  assert.equal(promo.active, true);
  assert.equal(promo.customer, null);
  assert.equal(promo.expires_at, null);
  assert.equal(promo.times_redeemed, 0);
  assert.deepEqual(promo.restrictions, { currency_options: {}, first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null });
  const found = await stripe.promotionCodes.list({ code: code.toUpperCase(), active: true, expand: ['data.promotion.coupon'] });
  assert.equal(found.data.length, 1);
  assert.equal(found.data[0].id, promo.id);
  assert.equal(found.data[0].promotion.coupon.percent_off, 10);
  const one = await stripe.promotionCodes.retrieve(promo.id, { expand: ['promotion.coupon'] });
  assert.equal(one.promotion.coupon.id, coupon.id);
  await assert.rejects(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: code.toLowerCase() }),
    (e) => e.type === 'StripeInvalidRequestError' && /already exists/.test(e.message));
  await assert.rejects(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'nope' } }),
    (e) => e.code === 'resource_missing');
  const legacy = await raw(emu, 'POST', '/v1/promotion_codes', `coupon=${coupon.id}`);
  assert.equal(legacy.status, 400);
  assert.equal(legacy.json.error.code, 'parameter_unknown');
  const off = await stripe.promotionCodes.update(promo.id, { active: false });
  assert.equal(off.active, false);
  assert.equal((await stripe.promotionCodes.list({ code: code.toLowerCase(), active: true })).data.length, 0);
  const again = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: code.toUpperCase() });
  assert.equal(again.active, true);
  const byCoupon = await stripe.promotionCodes.list({ coupon: coupon.id });
  assert.equal(byCoupon.data.length, 2);
  const gen = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  assert.match(gen.code, /^[A-Z0-9]+$/);
  const mine = [promo.id, again.id, gen.id];
  const evs = await eventually(async () => {
    const l = await stripe.events.list({ types: ['promotion_code.created', 'promotion_code.updated'], limit: 100 });
    const m = l.data.filter((e) => mine.includes(e.data.object.id));
    return m.length === 4 && m;
  });
  assert.deepEqual(evs.map((e) => e.type).sort(), ['promotion_code.created', 'promotion_code.created', 'promotion_code.created', 'promotion_code.updated']);
});

test('promotion code restrictions and customer are stored', async () => {
  const coupon = await stripe.coupons.create({ amount_off: 300, currency: 'usd' });
  const cus = await stripe.customers.create({ email: `vip.${RUN}@example.com` });
  const promo = await stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: coupon.id }, code: `VIP-${RUN}`, customer: cus.id,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    restrictions: { first_time_transaction: true, minimum_amount: 2000, minimum_amount_currency: 'USD' },
  });
  assert.equal(promo.customer, cus.id);
  assert.equal(promo.restrictions.first_time_transaction, true);
  assert.equal(promo.restrictions.minimum_amount, 2000);
  assert.equal(promo.restrictions.minimum_amount_currency, 'usd');
  const list = await stripe.promotionCodes.list({ customer: cus.id, expand: ['data.customer'] });
  assert.equal(list.data[0].customer.email, `vip.${RUN}@example.com`);
  await assert.rejects(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, restrictions: { minimum_amount: 5 } }),
    (e) => e.type === 'StripeInvalidRequestError');
});

// The hosted page is the emulator's; the form is what a browser would post.
const PAY = { email: 'buyer@example.com', cardNumber: '4242424242424242', cardExpiry: '12/34', cardCvc: '123', billingName: 'Ada Buyer' };

test('max redemptions and redemption counts, paying through the hosted page', emuOnly, async () => {
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, product_data: { name: 'Bowl' } });
  const coupon = await stripe.coupons.create({ amount_off: 200, currency: 'usd', max_redemptions: 5 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: `TWICE-${RUN}`, max_redemptions: 2 });
  const session = () => stripe.checkout.sessions.create({
    mode: 'payment', success_url: 'http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}',
    line_items: [{ price: price.id, quantity: 1 }], discounts: [{ promotion_code: promo.id }],
  });
  const counts = async () => [(await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, (await stripe.coupons.retrieve(coupon.id)).times_redeemed];
  const a = await session();
  assert.equal(a.amount_total, 800);
  assert.deepEqual(await counts(), [0, 0], 'creating a session redeems nothing');
  const waiting = await session();   // opened while the code still had room, paid too late
  assert.equal((await payForm(a.url, PAY)).status, 303);
  assert.deepEqual(await counts(), [1, 1]);
  const b = await session();
  assert.equal((await payForm(b.url, PAY)).status, 303);
  assert.deepEqual(await counts(), [2, 2]);
  await assert.rejects(session(), (e) => e.statusCode === 400 && /maximum number of redemptions/.test(e.message));
  const late = await payForm(waiting.url, PAY);
  assert.notEqual(late.status, 303, 'the code is used up: the older session cannot redeem it a third time');
  assert.match(await late.text(), /maximum number of redemptions/);
  assert.equal((await stripe.checkout.sessions.retrieve(waiting.id)).status, 'open');
  assert.deepEqual(await counts(), [2, 2]);
  const c = await stripe.coupons.retrieve(coupon.id);
  assert.equal(c.valid, true, 'the coupon itself has room left');
  const direct = await stripe.checkout.sessions.create({
    mode: 'payment', success_url: 'http://shop.test/ok', line_items: [{ price: price.id, quantity: 1 }], discounts: [{ coupon: coupon.id }],
  });
  assert.equal((await payForm(direct.url, PAY)).status, 303);
  assert.deepEqual(await counts(), [2, 3], 'a coupon used without the code counts on the coupon only');
});

test('minimum amount and first-time restrictions hold on the hosted page too', emuOnly, async () => {
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 600, product_data: { name: 'Cup' } });
  const coupon = await stripe.coupons.create({ percent_off: 50 });
  const min = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: `MIN-${RUN}`, restrictions: { minimum_amount: 1000, minimum_amount_currency: 'usd' } });
  const first = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: `FIRST-${RUN}`, restrictions: { first_time_transaction: true } });
  const cus = await stripe.customers.create({ email: `returning.${RUN}@example.com` });
  const open = (qty) => stripe.checkout.sessions.create({
    mode: 'payment', success_url: 'http://shop.test/ok', customer: cus.id, allow_promotion_codes: true,
    line_items: [{ price: price.id, quantity: qty }],
  });
  const small = await open(1);
  const refused = await payForm(small.url, { action: 'apply', promotionCode: min.code.toLowerCase() });
  assert.match(await refused.text(), /minimum order amount of \$10\.00/);
  const big = await open(2);
  const applied = await payForm(big.url, { action: 'apply', promotionCode: min.code.toLowerCase() });
  assert.match(await applied.text(), /Pay \$6\.00/);
  assert.equal((await payForm(big.url, PAY)).status, 303);
  const again = await open(1);
  const notFirst = await payForm(again.url, { action: 'apply', promotionCode: first.code });
  assert.match(await notFirst.text(), /first purchase/);
  assert.deepEqual((await stripe.checkout.sessions.retrieve(again.id)).discounts, []);
});
