// The hosted payment page with plain HTTP (as a form post would), test-card outcomes,
// promotion codes on the page, and signed webhooks verified by stripe.webhooks.constructEvent,
// including retries and deliveries that survive a restart; then the shop's own verifier (the
// real cgi-bin/webhook, run as plain CGI) against headers made by the SDK and by the emulator.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmu, startWebhookServer, payForm, CARD, Stripe, live, emuOnly, RUN } = require('./emu');

const SECRET = 'whsec_contract_test_secret_0123456789';
let emu;
let stripe;
let hook;
let price;
let cus;

test.before(async () => {
  if (live) {
    emu = await startEmu();   // no deliveries: Stripe cannot reach this machine
  } else {
    hook = await startWebhookServer(SECRET);
    emu = await startEmu({ args: ['--webhook', hook.url, '--webhook-secret', SECRET] });
  }
  stripe = emu.stripe;
  price = await stripe.prices.create({ currency: 'usd', unit_amount: 2000, product_data: { name: 'Teapot <b>' } });
  cus = await stripe.customers.create({ email: `payer.${RUN}@example.com`, name: 'Payer' });
});
test.after(async () => { await emu.stop(); if (hook) await hook.close(); });

const newSession = (extra = {}) => stripe.checkout.sessions.create({
  mode: 'payment', customer: cus.id,
  success_url: 'http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}', cancel_url: 'http://shop.test/cart',
  line_items: [{ price: price.id, quantity: 2 }], ...extra,
});

test('catalogue events are delivered and verify with constructEvent', emuOnly, async () => {
  const hit = await hook.waitFor((e) => e.type === 'price.created' && e.data.object.id === price.id);
  assert.equal(hit.event.api_version, '2026-10-28.endive');
  assert.equal(hit.event.object, 'event');
  assert.match(hit.headers['content-type'], /^application\/json/);
  assert.match(hit.headers['user-agent'], /^Stripe\/1\.0/);
  // as Stripe does in test mode: one v1, then a decoy v0 that receivers must ignore
  assert.match(hit.headers['stripe-signature'], /^t=\d+,v1=[0-9a-f]{64},v0=[0-9a-f]{64}$/);
  await hook.waitFor((e) => e.type === 'customer.created' && e.data.object.id === cus.id);
  const stored = await stripe.events.retrieve(hit.event.id);
  assert.equal(stored.pending_webhooks, 0);
});

test('the page shows items, totals and the form fields with autocomplete', emuOnly, async () => {
  const s = await newSession();
  const res = await fetch(s.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  const html = await res.text();
  assert.ok(html.includes('Teapot &lt;b&gt;'), 'product name shown, escaped');
  assert.ok(html.includes('$40.00'));
  for (const [id, ac] of [['email', 'email'], ['cardNumber', 'cc-number'], ['cardExpiry', 'cc-exp'], ['cardCvc', 'cc-csc'], ['billingName', 'cc-name']]) {
    assert.match(html, new RegExp(`<label for="${id}"`));
    assert.match(html, new RegExp(`id="${id}" name="${id}"[^>]*autocomplete="${ac}"`));
  }
  assert.match(html, new RegExp(`value="payer\\.${RUN}@example\\.com"`));
  assert.match(html, /<button type="submit" id="submit">Pay \$40\.00<\/button>/);
  assert.match(html, /id="cancel" href="http:\/\/shop.test\/cart"/);
  assert.match(html, /name="viewport"/);
  assert.doesNotMatch(html, /promotionCode/);
});

test('paying with 4242 redirects to success_url, marks paid and sends the event', emuOnly, async () => {
  const s = await newSession({ metadata: { order: 'o1' } });
  const res = await payForm(s.url, CARD);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `http://shop.test/ok?session_id=${s.id}`);
  const paid = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(paid.status, 'complete');
  assert.equal(paid.payment_status, 'paid');
  assert.equal(paid.url, null);
  assert.equal(paid.payment_intent.object, 'payment_intent');
  assert.match(paid.payment_intent.id, /^pi_/);
  assert.equal(paid.payment_intent.amount, 4000);
  assert.equal(paid.customer_details.email, 'buyer@example.com');
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
  assert.equal(hit.event.data.object.payment_status, 'paid');
  assert.deepEqual(hit.event.data.object.metadata, { order: 'o1' });
  assert.deepEqual(hit.event.request, { id: null, idempotency_key: null });
  const again = await payForm(s.url, CARD);
  assert.equal(again.status, 409);
  assert.match(await again.text(), /already been paid/);
});

test('declines and bad input leave the session open and unpaid, with no event', emuOnly, async () => {
  const s = await newSession();
  const cases = [
    ['4000 0000 0000 0002', /Your card was declined\./],
    ['4000000000009995', /Your card has insufficient funds\./],
    ['4000000000009987', /Your card was declined\./],
    ['4000000000000069', /Your card has expired\./],
    ['4000000000000127', /Your card&#39;s security code is incorrect\./],
    ['4000000000000119', /error occurred while processing/],
    ['4242 4242 4242 4241', /Your card number is incorrect\./],
  ];
  for (const [num, re] of cases) {
    const res = await payForm(s.url, { ...CARD, cardNumber: num });
    assert.notEqual(res.status, 303, num);
    const html = await res.text();
    assert.match(html, re, num);
    assert.match(html, /id="cardNumber"/);
  }
  const past = await payForm(s.url, { ...CARD, cardExpiry: '01/20' });
  assert.match(await past.text(), /in the past/);
  const now = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(now.status, 'open');
  assert.equal(now.payment_status, 'unpaid');
  assert.equal(now.payment_intent, null);
  const evs = await stripe.events.list({ type: 'checkout.session.completed', limit: 100 });
  assert.ok(!evs.data.some((e) => e.data.object.id === s.id));
});

test('3-D Secure: challenge page, fail returns to the form, complete pays', emuOnly, async () => {
  const s = await newSession();
  const res = await payForm(s.url, { ...CARD, cardNumber: '4000 0025 0000 3155' });
  assert.equal(res.status, 200);
  const page = await res.text();
  assert.match(page, /id="complete"/);
  assert.match(page, /id="fail"/);
  const fail = await payForm(s.url, { action: '3ds_fail' });
  assert.match(await fail.text(), /unable to authenticate/);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).status, 'open');
  await payForm(s.url, { ...CARD, cardNumber: '4000002500003155' });
  const done = await payForm(s.url, { action: '3ds_complete' });
  assert.equal(done.status, 303);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).payment_status, 'paid');
});

test('promotion code on the page: apply, totals, redemption counted on payment', emuOnly, async () => {
  const coupon = await stripe.coupons.create({ percent_off: 25, max_redemptions: 1 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'QUARTER' });
  const s = await newSession({ allow_promotion_codes: true });
  const form = await (await fetch(s.url)).text();
  assert.match(form, /<label for="promotionCode"/);
  assert.match(form, /id="promotionCode" name="promotionCode"/);
  const bad = await payForm(s.url, { action: 'apply', promotionCode: 'NOPE' });
  assert.match(await bad.text(), /This code is invalid\./);
  const applied = await payForm(s.url, { action: 'apply', promotionCode: 'quarter' });
  const html = await applied.text();
  assert.match(html, /-\$10\.00/);
  assert.match(html, /Pay \$30\.00/);
  const mid = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(mid.amount_total, 3000);
  assert.deepEqual(mid.discounts, [{ coupon: coupon.id, promotion_code: promo.id }]);
  assert.equal((await payForm(s.url, CARD)).status, 303);
  assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
  const c = await stripe.coupons.retrieve(coupon.id);
  assert.equal(c.times_redeemed, 1);
  assert.equal(c.valid, false);
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
  assert.equal(hit.event.data.object.total_details.amount_discount, 1000);
});

test('first_time_transaction refuses a customer who has paid before', emuOnly, async () => {
  const coupon = await stripe.coupons.create({ percent_off: 10 });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, restrictions: { first_time_transaction: true } });
  const fresh = await stripe.customers.create({ email: 'new@example.com' });
  const ok = await newSession({ customer: fresh.id, discounts: [{ promotion_code: promo.id }] });
  assert.equal(ok.total_details.amount_discount, 400);
  await assert.rejects(newSession({ discounts: [{ promotion_code: promo.id }] }),
    (e) => e.type === 'StripeInvalidRequestError' && /first/.test(e.message));
});

test('a zero total pays without a card: no_payment_required', emuOnly, async () => {
  const coupon = await stripe.coupons.create({ percent_off: 100 });
  const s = await newSession({ discounts: [{ coupon: coupon.id }] });
  assert.equal(s.amount_total, 0);
  const html = await (await fetch(s.url)).text();
  assert.doesNotMatch(html, /id="cardNumber"/);
  const res = await payForm(s.url, { email: 'free@example.com', billingName: 'Free' });
  assert.equal(res.status, 303);
  const done = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(done.payment_status, 'no_payment_required');
  assert.equal(done.payment_intent, null);
});

test('expired and unknown sessions show a clear page', emuOnly, async () => {
  const s = await newSession();
  await stripe.checkout.sessions.expire(s.id);
  const res = await payForm(s.url, CARD);
  assert.notEqual(res.status, 303);
  assert.match(await res.text(), /expired/);
  const missing = await fetch(`${emu.base}/c/pay/cs_test_missing`);
  assert.equal(missing.status, 404);
});

test('failed deliveries are retried, and pending ones survive a restart', emuOnly, async () => {
  const flaky = await startWebhookServer(SECRET, { failFirst: 1 });
  const own = await startEmu({ args: ['--webhook', flaky.url, '--webhook-secret', SECRET] });
  const p = await own.stripe.products.create({ name: 'Retry me' });
  const hit = await flaky.waitFor((e) => e.type === 'product.created' && e.data.object.id === p.id);
  assert.ok(hit);
  await own.stop();
  // a receiver that is down: the event stays pending across a restart
  const down = await startWebhookServer(SECRET);
  await down.close();
  const a = await startEmu({ state: own.state, args: ['--webhook', down.url, '--webhook-secret', SECRET] });
  const q = await a.stripe.products.create({ name: 'Deliver later' });
  assert.equal((await a.stripe.products.retrieve(p.id)).name, 'Retry me', 'state persisted');
  const st = await a.stop();
  assert.equal(st.code, 0);
  const b = await startEmu({ state: own.state, args: ['--webhook', flaky.url, '--webhook-secret', SECRET] });
  await flaky.waitFor((e) => e.type === 'product.created' && e.data.object.id === q.id, 15000);
  await b.stop();
  await flaky.close();
});

// Last of the delivery tests: nothing this file's emulator sent was refused by constructEvent,
// and every event it recorded reached the receiver.
test('every delivery verified with stripe.webhooks.constructEvent; every event was delivered', emuOnly, async () => {
  let all;
  for (let i = 0; i < 40; i++) {
    all = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    if (all.every((e) => e.pending_webhooks === 0)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(all.length >= 10, `${all.length} events`);
  assert.deepEqual(all.filter((e) => e.pending_webhooks !== 0).map((e) => e.type), []);
  const got = new Set(hook.events.map((e) => e.event.id));
  assert.deepEqual(all.filter((e) => !got.has(e.id)).map((e) => e.type), [], 'delivered');
  assert.deepEqual(hook.refused, [], 'no delivery failed verification');
  for (const e of hook.events) {
    assert.match(e.headers['stripe-signature'], /^t=\d+,v1=[0-9a-f]{64}/);
    assert.deepEqual(Object.keys(e.event).sort(), ['api_version', 'created', 'data', 'id', 'livemode', 'object', 'pending_webhooks', 'request', 'type']);
  }
});

// ---- the shop's verifier: the real cgi-bin/webhook as plain CGI ----

const CGI = path.resolve(__dirname, '..', '..', 'cgi-bin', 'webhook');
const SHOP_SECRET = `whsec_shop_${RUN}`;
const sdk = new Stripe('sk_test_x');

// A Stripe-shaped event of a type the shop ignores (it needs no API call to answer).
function eventBody(extra = {}) {
  return JSON.stringify({
    id: `evt_${RUN}`, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000),
    data: { object: { id: `cus_${RUN}`, object: 'customer', email: 'x@example.com' } },
    livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type: 'customer.created', ...extra,
  });
}

// Runs cgi-bin/webhook once: POST body with Stripe-Signature header. Returns {status, json}.
function shopWebhook(body, header, secret = SHOP_SECRET) {
  assert.ok(fs.existsSync(CGI), `${CGI} is missing: run make first`);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-hook-'));
  const env = {
    PATH: process.env.PATH, REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/json',
    CONTENT_LENGTH: String(Buffer.byteLength(body)), STRIPE_WEBHOOK_SECRET: secret, SHOP_DATA_DIR: data,
    STRIPE_API_BASE: emu.base, STRIPE_SECRET_KEY: 'sk_test_x',
  };
  if (header !== undefined) env.HTTP_STRIPE_SIGNATURE = header;
  const r = spawnSync(CGI, [], { input: body, env, timeout: 15000 });
  fs.rmSync(data, { recursive: true, force: true });
  const out = r.stdout.toString();
  const m = out.match(/^Status: (\d+)/);
  const sep = out.search(/\r?\n\r?\n/);
  let json = null;
  try { json = JSON.parse(out.slice(sep).trim()); } catch { /* not JSON */ }
  return { status: m ? Number(m[1]) : null, out, json, stderr: r.stderr.toString() };
}

const now = () => Math.floor(Date.now() / 1000);
const header = (payload, o = {}) => sdk.webhooks.generateTestHeaderString({ payload, secret: SHOP_SECRET, ...o });

test("the shop's verifier accepts a header made by stripe.webhooks.generateTestHeaderString", () => {
  const body = eventBody();
  const h = header(body);
  assert.match(h, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.equal(sdk.webhooks.constructEvent(body, h, SHOP_SECRET).type, 'customer.created', 'the SDK agrees');
  const r = shopWebhook(body, h);
  assert.match(r.out, /^Status: 200 OK\r?\n/);
  assert.deepEqual(r.json, { received: true, handled: 'ignored' });
  // within the 5-minute tolerance either way
  assert.equal(shopWebhook(body, header(body, { timestamp: now() - 240 })).status, 200);
  assert.equal(shopWebhook(body, header(body, { timestamp: now() + 240 })).status, 200);
  // a second v1 (a rolled secret) and a decoy v0, as Stripe sends in test mode
  const good = h.match(/v1=([0-9a-f]+)/)[1];
  const t = h.match(/t=(\d+)/)[1];
  assert.equal(shopWebhook(body, `t=${t},v1=${'0'.repeat(64)},v1=${good},v0=${'1'.repeat(64)}`).status, 200);
});

test("the shop's verifier refuses a stale, a future, a tampered and a wrong-secret signature", () => {
  const body = eventBody();
  const cases = {
    stale: [body, header(body, { timestamp: now() - 600 })],
    future: [body, header(body, { timestamp: now() + 600 })],
    tampered: [eventBody({ type: 'customer.deleted' }), header(body)],
    'one byte added': [body + ' ', header(body)],
    'wrong secret': [body, sdk.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_someone_else' })],
    'v0 only': [body, header(body, { scheme: 'v0' })],
    'no timestamp': [body, header(body).replace(/^t=\d+,/, '')],
    garbage: [body, 'nonsense'],
    missing: [body, undefined],
  };
  for (const [name, [b, h]] of Object.entries(cases)) {
    const r = shopWebhook(b, h);
    assert.equal(r.status, 400, `${name}: ${r.out}`);
    assert.match(r.out, /^Status: 400/, name);
    assert.equal(r.json.error.code, 'bad_signature', name);
  }
  // the SDK refuses the same ones (a future timestamp only the shop refuses: the SDK checks age)
  for (const name of ['stale', 'tampered', 'wrong secret', 'v0 only']) {
    const [b, h] = cases[name];
    assert.throws(() => sdk.webhooks.constructEvent(b, h, SHOP_SECRET), Stripe.errors.StripeSignatureVerificationError, name);
  }
});

test("the shop's verifier accepts what the emulator actually delivered, byte for byte", emuOnly, async () => {
  const c = await stripe.customers.create({ email: `delivered.${RUN}@example.com` });
  const hit = await hook.waitFor((e) => e.type === 'customer.created' && e.data.object.id === c.id);
  const body = hit.raw.toString('utf8');
  const r = shopWebhook(body, hit.headers['stripe-signature'], SECRET);
  assert.equal(r.status, 200, r.out);
  assert.deepEqual(r.json, { received: true, handled: 'ignored' });
  assert.equal(shopWebhook(body, hit.headers['stripe-signature'], SHOP_SECRET).status, 400, 'another secret');
});
