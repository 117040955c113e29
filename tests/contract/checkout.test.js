// Checkout Sessions through the SDK: create with every parameter the shop uses (and the
// shop's own request, as its C code encodes it), the 400s (mutually exclusive pairs, bad line
// items, bad discounts), totals and discount spread, retrieve with expand (both wire forms),
// listLineItems, list, expire.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, raw, Stripe, live, emuOnly, RUN, eventually, payForm } = require('./emu');

let emu;
let stripe;
let mug;   // price 1250 usd
let tee;   // price 999 usd
let cus;
test.before(async () => {
  emu = await startEmu();
  stripe = emu.stripe;
  mug = (await stripe.prices.create({ currency: 'usd', unit_amount: 1250, product_data: { name: 'Mug' } }));
  tee = (await stripe.prices.create({ currency: 'usd', unit_amount: 999, product_data: { name: 'Tee' } }));
  cus = await stripe.customers.create({ email: `shopper.${RUN}@example.com`, name: 'Shopper' });
});
test.after(async () => { await emu.stop(); });

const urls = { success_url: 'http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}', cancel_url: 'http://shop.test/cart' };
const isBad = (re) => (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 400 && (!re || re.test(e.message));

test('create: full session shape, totals, url, metadata, expand line_items', async () => {
  const s = await stripe.checkout.sessions.create({
    mode: 'payment', ...urls, customer: cus.id, client_reference_id: 'u_42',
    metadata: { user: 'u_42' }, allow_promotion_codes: true,
    line_items: [{ price: mug.id, quantity: 2 }, { price: tee.id, quantity: 1 }],
  });
  assert.match(s.id, /^cs_test_[A-Za-z0-9]{40,}$/);
  assert.equal(s.object, 'checkout.session');
  assert.equal(s.mode, 'payment');
  assert.equal(s.status, 'open');
  assert.equal(s.payment_status, 'unpaid');
  assert.equal(s.amount_subtotal, 3499);
  assert.equal(s.amount_total, 3499);
  assert.deepEqual(s.total_details, { amount_discount: 0, amount_shipping: 0, amount_tax: 0 });
  assert.equal(s.currency, 'usd');
  assert.equal(s.customer, cus.id);
  assert.equal(s.customer_email, null);
  assert.equal(s.client_reference_id, 'u_42');
  assert.deepEqual(s.metadata, { user: 'u_42' });
  assert.equal(s.allow_promotion_codes, true);
  assert.deepEqual(s.discounts, []);
  assert.equal(s.payment_intent, null);
  assert.equal(s.success_url, urls.success_url);
  assert.equal(s.url, live ? s.url.replace(/^https:\/\/checkout\.stripe\.com\//, `${emu.base}/`) : `${emu.base}/c/pay/${s.id}`);
  assert.match(s.url, new RegExp(`/c/pay/${s.id}(#.*)?$`));
  assert.equal(s.line_items, undefined);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(s.expires_at - (now + 86400)) < 5);

  const r = await stripe.checkout.sessions.retrieve(s.id, { expand: ['line_items', 'customer'] });
  assert.equal(r.customer.email, `shopper.${RUN}@example.com`);
  assert.equal(r.line_items.object, 'list');
  assert.equal(r.line_items.data.length, 2);
  const li = r.line_items.data[0];
  assert.match(li.id, /^li_/);
  assert.equal(li.object, 'item');
  assert.equal(li.description, 'Mug');
  assert.equal(li.quantity, 2);
  assert.equal(li.price.id, mug.id);
  assert.equal(li.price.unit_amount, 1250);
  assert.equal(li.amount_subtotal, 2500);
  assert.equal(li.amount_total, 2500);
  assert.equal(li.currency, 'usd');

  const items = await stripe.checkout.sessions.listLineItems(s.id, { expand: ['data.price.product'] });
  assert.deepEqual(items.data.map((x) => x.description), ['Mug', 'Tee']);
  assert.equal(items.data[1].price.product.name, 'Tee');
  const page = await stripe.checkout.sessions.listLineItems(s.id, { limit: 1 });
  assert.equal(page.has_more, true);
  const all = await stripe.checkout.sessions.listLineItems(s.id).autoPagingToArray({ limit: 10 });
  assert.equal(all.length, 2);
});

test('customer_email, expires_at and a percent coupon spread over items', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 15 });
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const s = await stripe.checkout.sessions.create({
    mode: 'payment', ...urls, customer_email: 'guest@example.com', expires_at: expires,
    discounts: [{ coupon: coupon.id }],
    line_items: [{ price: mug.id, quantity: 1 }, { price: tee.id, quantity: 3 }],
  });
  // subtotal 1250 + 2997 = 4247; 15 % = 637.05 → 637
  assert.equal(s.customer_email, 'guest@example.com');
  assert.equal(s.expires_at, expires);
  assert.equal(s.amount_subtotal, 4247);
  assert.equal(s.total_details.amount_discount, 637);
  assert.equal(s.amount_total, 3610);
  assert.deepEqual(s.discounts, [{ coupon: coupon.id, promotion_code: null }]);
  const items = await stripe.checkout.sessions.listLineItems(s.id);
  assert.equal(items.data.reduce((a, x) => a + x.amount_discount, 0), 637);
  for (const x of items.data) assert.equal(x.amount_total, x.amount_subtotal - x.amount_discount);
  const ex = await stripe.checkout.sessions.retrieve(s.id, { expand: ['discounts.coupon'] });
  assert.equal(ex.discounts[0].coupon.percent_off, 15);
});

test('promotion code discount: amount_off capped at the subtotal, expand promotion_code', async () => {
  const coupon = await stripe.coupons.create({ amount_off: 5000, currency: 'usd' });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: `BIG-${RUN}` });
  const s = await stripe.checkout.sessions.create({
    mode: 'payment', ...urls, discounts: [{ promotion_code: promo.id }],
    line_items: [{ price: tee.id, quantity: 1 }],
  });
  assert.equal(s.total_details.amount_discount, 999);
  assert.equal(s.amount_total, 0);
  const ex = await stripe.checkout.sessions.retrieve(s.id, { expand: ['discounts.promotion_code'] });
  assert.equal(ex.discounts[0].promotion_code.code, `BIG-${RUN}`);
});

test('mutually exclusive parameters are 400s', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 5 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  const li = [{ price: mug.id, quantity: 1 }];
  await assert.rejects(stripe.checkout.sessions.create({ mode: 'payment', ...urls, line_items: li, customer: cus.id, customer_email: 'a@b.c' }),
    isBad(/customer, customer_email/));
  await assert.rejects(stripe.checkout.sessions.create({ mode: 'payment', ...urls, line_items: li, allow_promotion_codes: true, discounts: [{ coupon: coupon.id }] }),
    isBad(/allow_promotion_codes, discounts/));
  await assert.rejects(stripe.checkout.sessions.create({ mode: 'payment', ...urls, line_items: li, discounts: [{ coupon: coupon.id, promotion_code: promo.id }] }),
    isBad(/coupon, promotion_code/));
});

test('line item and reference errors', async () => {
  const create = (extra) => stripe.checkout.sessions.create({ mode: 'payment', ...urls, line_items: [{ price: mug.id, quantity: 1 }], ...extra });
  await assert.rejects(create({ customer: 'cus_nobody' }), (e) => e.code === 'resource_missing' && e.message === "No such customer: 'cus_nobody'" && e.statusCode === 400);
  await assert.rejects(create({ line_items: [{ price: 'price_nope', quantity: 1 }] }), (e) => e.code === 'resource_missing' && e.param === 'line_items[0][price]');
  await assert.rejects(create({ line_items: [{ price: mug.id, quantity: 0 }] }), isBad());
  await assert.rejects(create({ line_items: [{ price: mug.id }] }), (e) => e.code === 'parameter_missing');
  await assert.rejects(create({ line_items: [] }), isBad());
  const eur = await stripe.prices.create({ currency: 'eur', unit_amount: 100, product_data: { name: 'Euro thing' } });
  await assert.rejects(create({ line_items: [{ price: mug.id, quantity: 1 }, { price: eur.id, quantity: 1 }] }), isBad(/currency/));
  const rec = await stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'Sub' }, recurring: { interval: 'month' } });
  await assert.rejects(create({ line_items: [{ price: rec.id, quantity: 1 }] }), isBad(/recurring/));
  const old = await stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'Old' }, active: false });
  await assert.rejects(create({ line_items: [{ price: old.id, quantity: 1 }] }), isBad(/inactive/));
  const many = Array.from({ length: 101 }, () => ({ price: mug.id, quantity: 1 }));
  await assert.rejects(create({ line_items: many }), isBad(/100/));
  const hundred = await create({ line_items: Array.from({ length: 100 }, () => ({ price: tee.id, quantity: 1 })) });
  assert.equal(hundred.amount_total, 99900);
  const now = Math.floor(Date.now() / 1000);
  await assert.rejects(create({ expires_at: now + 600 }), isBad(/expires_at/));
  await assert.rejects(create({ expires_at: now + 90000 }), isBad(/expires_at/));
  await assert.rejects(create({ success_url: 'not a url' }), isBad());
});

test('promotion code checks at creation: inactive, expired-by-use, minimum amount, customer', async () => {
  const coupon = await stripe.coupons.create({ amount_off: 100, currency: 'usd' });
  const create = (promo, extra = {}) => stripe.checkout.sessions.create({ mode: 'payment', ...urls, line_items: [{ price: tee.id, quantity: 1 }], discounts: [{ promotion_code: promo.id }], ...extra });
  const min = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, restrictions: { minimum_amount: 1000, minimum_amount_currency: 'usd' } });
  await assert.rejects(create(min), isBad(/minimum/));
  const ok = await create(min, { line_items: [{ price: tee.id, quantity: 2 }] });
  assert.equal(ok.total_details.amount_discount, 100);
  const inactive = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, active: false });
  await assert.rejects(create(inactive), isBad(/inactive/));
  const other = await stripe.customers.create({ email: 'x@example.com' });
  const mine = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, customer: other.id });
  await assert.rejects(create(mine, { customer: cus.id }), isBad(/customer/));
  const good = await create(mine, { customer: other.id });
  assert.equal(good.amount_total, 899);
});

test('expire: open → expired with event, then 400; list filters', async () => {
  const s = await stripe.checkout.sessions.create({ mode: 'payment', ...urls, customer: cus.id, line_items: [{ price: mug.id, quantity: 1 }] });
  const e = await stripe.checkout.sessions.expire(s.id);
  assert.equal(e.status, 'expired');
  assert.equal(e.url, null);
  await assert.rejects(stripe.checkout.sessions.expire(s.id), isBad(/status/));
  const ev = await eventually(async () => (await stripe.events.list({ type: 'checkout.session.expired', limit: 100 })).data.find((x) => x.data.object.id === s.id));
  assert.equal(ev.data.object.status, 'expired');
  const expired = await stripe.checkout.sessions.list({ customer: cus.id, status: 'expired' });
  assert.deepEqual(expired.data.map((x) => x.id), [s.id]);
  const open = await stripe.checkout.sessions.list({ customer: cus.id, status: 'open', expand: ['data.customer'] });
  assert.ok(open.data.length >= 1);
  assert.equal(open.data[0].customer.id, cus.id);
  await assert.rejects(stripe.checkout.sessions.retrieve('cs_test_nope'), (err) => err.code === 'resource_missing' && err.statusCode === 404);
  const bad = await raw(emu, 'GET', `/v1/checkout/sessions/${s.id}?expand[]=nothing`);
  assert.equal(bad.status, 400);
});

// Encodes a form the way the shop's C code does (src/lib/form.c): brackets in keys stay
// raw, everything but RFC 3986 unreserved characters is %XX in upper case.
function shopForm(pairs) {
  const enc = (v, keep) => Array.from(Buffer.from(v, 'utf8')).map((c) => {
    const ch = String.fromCharCode(c);
    return /[A-Za-z0-9\-_.~]/.test(ch) || (keep && (ch === '[' || ch === ']')) ? ch : '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }).join('');
  return pairs.map(([k, v]) => `${enc(k, true)}=${enc(v, false)}`).join('&');
}

test("the shop's own request: every parameter src/cgi/checkout.c sends, as it encodes them", async () => {
  const coupon = await stripe.coupons.create({ percent_off: 10 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: `SHOP10-${RUN}` });
  const base = 'http://127.0.0.1:8080';
  const body = shopForm([
    ['mode', 'payment'], ['customer', cus.id], ['client_reference_id', 'u_7'], ['metadata[user_id]', 'u_7'],
    ['success_url', `${base}/success.html?session_id={CHECKOUT_SESSION_ID}`], ['cancel_url', `${base}/cancel.html`],
    ['line_items[0][price]', mug.id], ['line_items[0][quantity]', '2'],
    ['line_items[1][price]', tee.id], ['line_items[1][quantity]', '1'],
    ['discounts[0][promotion_code]', promo.id], ['metadata[promotion_code]', promo.code],
  ]);
  assert.match(body, /success_url=http%3A%2F%2F127\.0\.0\.1%3A8080%2Fsuccess\.html%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D/);
  const r = await raw(emu, 'POST', '/v1/checkout/sessions', body, { 'Stripe-Version': '2026-10-28.endive' });
  assert.equal(r.status, 200, r.text);
  const s = r.json;
  assert.equal(s.mode, 'payment');
  assert.equal(s.customer, cus.id);
  assert.equal(s.customer_email, null);
  assert.equal(s.client_reference_id, 'u_7');
  assert.deepEqual(s.metadata, { user_id: 'u_7', promotion_code: promo.code });
  assert.equal(s.success_url, `${base}/success.html?session_id={CHECKOUT_SESSION_ID}`, 'the template is kept on the object');
  assert.equal(s.cancel_url, `${base}/cancel.html`);
  assert.deepEqual(s.discounts, [{ coupon: coupon.id, promotion_code: promo.id }]);
  assert.equal(s.allow_promotion_codes, null);
  // 2 × 1250 + 999 = 3499; 10 % = 349.9 → 350
  assert.equal(s.amount_subtotal, 3499);
  assert.equal(s.total_details.amount_discount, 350);
  assert.equal(s.amount_total, 3149);
  assert.equal(s.currency, 'usd');
  assert.equal(s.status, 'open');
  assert.equal(s.payment_status, 'unpaid');
  for (const q of ['expand[]=line_items', 'expand%5B%5D=line_items', 'expand[0]=line_items', 'expand%5B0%5D=line_items']) {
    const g = await raw(emu, 'GET', `/v1/checkout/sessions/${s.id}?${q}`);
    assert.equal(g.status, 200, q);
    const li = g.json.line_items;
    assert.equal(li.object, 'list', q);
    assert.equal(li.url, `/v1/checkout/sessions/${s.id}/line_items`, q);
    assert.deepEqual(li.data.map((x) => [x.price.id, x.quantity]), [[mug.id, 2], [tee.id, 1]], q);
    assert.equal(li.data.reduce((a, x) => a + x.amount_discount, 0), 350, q);
    assert.equal(li.data.reduce((a, x) => a + x.amount_total, 0), 3149, q);
  }
  const plain = await raw(emu, 'GET', `/v1/checkout/sessions/${s.id}`);
  assert.equal(plain.json.line_items, undefined, 'line_items only when expanded');
  if (live) return;   // the rest pays on the emulator's hosted page
  const paid = await payForm(s.url, { email: 'buyer@example.com', cardNumber: '4242424242424242', cardExpiry: '12/34', cardCvc: '123', billingName: 'Ada Buyer' });
  assert.equal(paid.status, 303);
  assert.equal(paid.headers.get('location'), `${base}/success.html?session_id=${s.id}`, 'Stripe fills in {CHECKOUT_SESSION_ID}');
  const done = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(done.success_url, `${base}/success.html?session_id={CHECKOUT_SESSION_ID}`);
  assert.equal(done.payment_status, 'paid');
  assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
});

test('amounts and total_details with a percent promotion code over several items', async () => {
  const odd = await stripe.prices.create({ currency: 'usd', unit_amount: 333, product_data: { name: 'Odd' } });
  const coupon = await stripe.coupons.create({ percent_off: 12.5 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  const s = await stripe.checkout.sessions.create({
    mode: 'payment', ...urls, customer: cus.id, discounts: [{ promotion_code: promo.id }],
    line_items: [{ price: mug.id, quantity: 2 }, { price: tee.id, quantity: 3 }, { price: odd.id, quantity: 1 }],
  });
  // 2500 + 2997 + 333 = 5830; 12.5 % = 728.75 → 729
  assert.equal(s.amount_subtotal, 5830);
  assert.equal(s.total_details.amount_discount, 729);
  assert.equal(s.total_details.amount_shipping, 0);
  assert.equal(s.total_details.amount_tax, 0);
  assert.equal(s.amount_total, 5101);
  const items = await stripe.checkout.sessions.listLineItems(s.id);
  assert.equal(items.data.length, 3);
  assert.equal(items.data.reduce((a, x) => a + x.amount_discount, 0), 729);
  for (const x of items.data) {
    assert.equal(x.amount_total, x.amount_subtotal - x.amount_discount);
    assert.ok(Math.abs(x.amount_discount - x.amount_subtotal * 0.125) <= 1, `${x.description}: its share`);
  }
  const r = await stripe.checkout.sessions.retrieve(s.id, { expand: ['line_items', 'discounts.promotion_code'] });
  assert.equal(r.line_items.data.reduce((a, x) => a + x.amount_total, 0), 5101);
  assert.equal(r.discounts[0].promotion_code.id, promo.id);
  const none = await stripe.checkout.sessions.create({ mode: 'payment', ...urls, line_items: [{ price: odd.id, quantity: 3 }] });
  assert.equal(none.amount_subtotal, 999);
  assert.equal(none.amount_total, 999);
  assert.equal(none.total_details.amount_discount, 0);
});

test('the pairs Stripe refuses together, in the wire form: customer/customer_email, allow_promotion_codes/discounts', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 5 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  const common = `mode=payment&success_url=${encodeURIComponent(urls.success_url)}&line_items[0][price]=${mug.id}&line_items[0][quantity]=1`;
  const a = await raw(emu, 'POST', '/v1/checkout/sessions', `${common}&customer=${cus.id}&customer_email=a%40b.example`);
  assert.equal(a.status, 400);
  assert.equal(a.json.error.type, 'invalid_request_error');
  assert.match(a.json.error.message, /customer, customer_email/);
  const b = await raw(emu, 'POST', '/v1/checkout/sessions', `${common}&allow_promotion_codes=true&discounts[0][promotion_code]=${promo.id}`);
  assert.equal(b.status, 400);
  assert.match(b.json.error.message, /allow_promotion_codes, discounts/);
  for (const r of [a, b]) assert.match(r.headers.get('request-id'), /^req_/);
  const open = await stripe.checkout.sessions.list({ customer: cus.id, limit: 100 });
  assert.ok(open.data.every((x) => x.customer === cus.id));
});
