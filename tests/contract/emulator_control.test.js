// The emulator's own control endpoint (/_emu/…, not part of Stripe): reset, the clock and
// what falls due when it moves, and injected faults (429, 500, hang) as the official SDK
// sees them; plus Stripe's 409 for an Idempotency-Key still in flight. Emulator only.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, startWebhookServer, raw, Stripe } = require('./emu');

const SECRET = 'whsec_control_test_secret_0123456789';
const only = { skip: process.env.STRIPE_LIVE === '1' ? 'emulator only' : false };
let emu;
let hook;
let stripe;

test.before(async () => {
  if (only.skip) return;
  hook = await startWebhookServer(SECRET);
  emu = await startEmu({ args: ['--webhook', hook.url, '--webhook-secret', SECRET] });
  stripe = client();
});
test.after(async () => {
  if (only.skip) return;
  await raw(emu, 'DELETE', '/_emu/faults');
  await emu.stop();
  await hook.close();
});

// An SDK client of our own: the options these tests need (timeout, retries, …).
function client(opts = {}) {
  return new Stripe('sk_test_control', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0, ...opts });
}
const ctl = (method, p, body) => raw(emu, method, p, body);
const fault = async (body) => {
  const r = await ctl('POST', '/_emu/faults', body);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const session = (price, extra = {}) => stripe.checkout.sessions.create({
  mode: 'payment', success_url: 'http://shop.test/ok', line_items: [{ price: price.id, quantity: 1 }], ...extra,
});

test('the control endpoint wants an API key like /v1, and names its routes on a 404', only, async () => {
  const anon = await fetch(`${emu.base}/_emu/clock`);
  assert.equal(anon.status, 401);
  const bad = await fetch(`${emu.base}/_emu/clock`, { headers: { Authorization: 'Bearer pk_test_nope' } });
  assert.equal(bad.status, 401);
  const nope = await ctl('GET', '/_emu/nothing');
  assert.equal(nope.status, 404);
  assert.match(nope.json.error.message, /\/_emu\/reset/);
  assert.equal((await ctl('POST', '/_emu/reset', 'surprise=1')).status, 400);
});

test('reset empties objects, events and idempotency records', only, async () => {
  const p = await stripe.products.create({ name: 'Before reset' }, { idempotencyKey: 'reset-key' });
  await stripe.customers.create({ email: 'gone@example.com' });
  const r = await ctl('POST', '/_emu/reset');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { reset: true });
  assert.equal((await stripe.products.list()).data.length, 0);
  assert.equal((await stripe.customers.list()).data.length, 0);
  assert.equal((await stripe.events.list()).data.length, 0);
  await assert.rejects(stripe.products.retrieve(p.id), (e) => e.statusCode === 404);
  // the key was forgotten: the same key now creates a new product instead of replaying
  const again = await stripe.products.create({ name: 'Before reset' }, { idempotencyKey: 'reset-key' });
  assert.notEqual(again.id, p.id);
});

test('the clock: GET says now, advance moves it and objects are created at the new time', only, async () => {
  await ctl('POST', '/_emu/reset');
  const t0 = (await ctl('GET', '/_emu/clock')).json.now;
  assert.ok(Math.abs(t0 - Date.now() / 1000) < 5);
  const r = await ctl('POST', '/_emu/clock', 'advance=7200');
  assert.equal(r.status, 200);
  assert.ok(r.json.now >= t0 + 7200 && r.json.now < t0 + 7205);
  const p = await stripe.products.create({ name: 'Made in the future' });
  assert.ok(p.created >= t0 + 7200);
  for (const body of ['advance=-1', 'advance=soon', '', 'advance=1&extra=2']) {
    const bad = await ctl('POST', '/_emu/clock', body);
    assert.equal(bad.status, 400, body);
  }
  assert.ok((await ctl('POST', '/_emu/reset')).status === 200);
  const back = (await ctl('GET', '/_emu/clock')).json.now;
  assert.ok(Math.abs(back - Date.now() / 1000) < 5, 'reset puts the clock back');
});

test('advancing past expires_at expires an open session at once and sends checkout.session.expired', only, async () => {
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product_data: { name: 'Clock' } });
  const s = await session(price);
  const kept = await session(price, { expires_at: Math.floor(Date.now() / 1000) + 86400 });
  await ctl('POST', '/_emu/clock', 'advance=3600');
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).status, 'open', 'not due yet');
  const r = await ctl('POST', '/_emu/clock', `advance=${s.expires_at - (await ctl('GET', '/_emu/clock')).json.now}`);
  assert.equal(r.status, 200);
  const gone = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(gone.status, 'expired');
  assert.equal(gone.url, null);
  assert.equal(gone.payment_status, 'unpaid');
  assert.equal((await stripe.checkout.sessions.retrieve(kept.id)).status, 'expired', 'both were due');
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.expired' && e.data.object.id === s.id);
  assert.equal(hit.event.data.object.status, 'expired');
  const page = await fetch(s.url);
  assert.match(await page.text(), /expired/);
  await ctl('POST', '/_emu/reset');
});

test('a session expires by itself when its expires_at comes round', only, async () => {
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product_data: { name: 'Tick' } });
  const s = await session(price);
  // two seconds before expires_at on the emulator's clock, then let real time do the rest
  const now = (await ctl('GET', '/_emu/clock')).json.now;
  await ctl('POST', '/_emu/clock', `advance=${s.expires_at - now - 2}`);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).status, 'open');
  await hook.waitFor((e) => e.type === 'checkout.session.expired' && e.data.object.id === s.id, 8000);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).status, 'expired');
  await ctl('POST', '/_emu/reset');
});

test('fault 429: the SDK raises StripeRateLimitError, nothing is written, then it works again', only, async () => {
  const before = (await stripe.products.list({ limit: 100 })).data.length;
  const list = await fault('status=429&count=2');
  assert.equal(list.data.length, 1);
  assert.deepEqual({ ...list.data[0], id: undefined }, { id: undefined, status: '429', remaining: 2, path: '/v1' });
  for (let i = 0; i < 2; i++) {
    await assert.rejects(stripe.products.create({ name: `Limited ${i}` }), (e) => {
      assert.ok(e instanceof Stripe.errors.StripeRateLimitError, e.type);
      assert.equal(e.statusCode, 429);
      assert.equal(e.code, 'rate_limit');
      assert.match(e.message, /Too many requests/);
      assert.match(e.requestId, /^req_/);
      return true;
    });
  }
  assert.deepEqual((await ctl('GET', '/_emu/faults')).json.data, []);
  assert.equal((await stripe.products.list({ limit: 100 })).data.length, before, 'no product was made');
  const ok = await stripe.products.create({ name: 'After the limit' });
  assert.match(ok.id, /^prod_/);
});

test('fault 500 under a path prefix: StripeAPIError there, other paths untouched', only, async () => {
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 700, product_data: { name: 'Outage' } });
  await fault('status=500&count=1&path=/v1/checkout');
  const other = await stripe.products.list({ limit: 1 });
  assert.equal(other.object, 'list', 'not under /v1/checkout');
  await assert.rejects(session(price), (e) => e instanceof Stripe.errors.StripeAPIError && e.statusCode === 500 && e.rawType === 'api_error');
  const s = await session(price);
  assert.equal(s.status, 'open', 'the retried call succeeds');
  // the SDK's own retries (on by default for 5xx) ride out a short outage, with one key
  await fault('status=500&count=1&path=/v1/checkout');
  const retrying = client({ maxNetworkRetries: 2 });
  const s2 = await retrying.checkout.sessions.create({ mode: 'payment', success_url: 'http://shop.test/ok', line_items: [{ price: price.id, quantity: 1 }] });
  assert.equal(s2.status, 'open');
});

test('faults are listed, cleared by DELETE, and their parameters checked', only, async () => {
  await fault('status=hang&count=3&path=/v1/customers');
  await fault('status=500');
  const listed = (await ctl('GET', '/_emu/faults')).json.data;
  assert.deepEqual(listed.map((f) => [f.status, f.remaining, f.path]), [['hang', 3, '/v1/customers'], ['500', 1, '/v1']]);
  const cleared = await ctl('DELETE', '/_emu/faults');
  assert.equal(cleared.status, 200);
  assert.deepEqual(cleared.json.data, []);
  await stripe.customers.list({ limit: 1 });
  for (const body of ['status=404', 'status=429&count=0', 'status=429&count=1001', 'status=429&path=/c/pay', 'count=1', 'status=429&bogus=1']) {
    const r = await ctl('POST', '/_emu/faults', body);
    assert.equal(r.status, 400, body);
  }
});

test('fault hang: the SDK times out, other requests are served meanwhile, a retry succeeds', only, async () => {
  await fault('status=hang&count=1&path=/v1/products');
  const impatient = client({ timeout: 1000 });
  const t0 = Date.now();
  const hanging = impatient.products.create({ name: 'Hung' }, { idempotencyKey: 'hang-then-retry' })
    .then(() => null, (e) => e);
  // while it hangs, the rest of the server answers (the state lock is not held)
  for (let i = 0; i < 3; i++) {
    const t = Date.now();
    await stripe.customers.list({ limit: 1 });
    await stripe.prices.list({ limit: 1 });
    assert.ok(Date.now() - t < 500, 'other requests are not blocked');
  }
  const err = await hanging;
  assert.ok(err instanceof Stripe.errors.StripeConnectionError, err && err.type);
  assert.match(err.message, /timeout/);
  assert.ok(Date.now() - t0 >= 900 && Date.now() - t0 < 5000);
  // nothing was written; the same call (same key) now goes through once
  const all = await stripe.products.list({ limit: 100 });
  assert.ok(!all.data.some((p) => p.name === 'Hung'));
  let p;
  for (let i = 0; i < 20 && !p; i++) {   // the dropped request may take a moment to let go of its key
    p = await impatient.products.create({ name: 'Hung' }, { idempotencyKey: 'hang-then-retry' })
      .catch((e) => { if (e.statusCode === 409) return null; throw e; });
    if (!p) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(p.name, 'Hung');
  const replay = await impatient.products.create({ name: 'Hung' }, { idempotencyKey: 'hang-then-retry' });
  assert.equal(replay.id, p.id);
});

test('a key still in flight gets 409 idempotency_error; released hangs drop their connection', only, async () => {
  await fault('status=hang&count=1');
  const ac = new AbortController();
  const first = fetch(`${emu.base}/v1/customers`, {
    method: 'POST', signal: ac.signal,
    headers: { Authorization: 'Bearer sk_test_control', 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'in-flight' },
    body: 'email=first%40example.com',
  }).then((r) => ({ status: r.status }), (e) => ({ error: e }));
  // the hang has taken the request once the fault is used up
  for (let i = 0; i < 50 && (await ctl('GET', '/_emu/faults')).json.data.length; i++) await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(stripe.customers.create({ email: 'first@example.com' }, { idempotencyKey: 'in-flight' }), (e) => {
    assert.equal(e.statusCode, 409);
    assert.equal(e.rawType, 'idempotency_error');
    assert.match(e.message, /another in-progress request/);
    return true;
  });
  // another key is not affected
  const other = await stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'not-in-flight' });
  assert.match(other.id, /^cus_/);
  // DELETE /_emu/faults lets the hanging request go: its connection is dropped unanswered
  const t = Date.now();
  await ctl('DELETE', '/_emu/faults');
  const res = await first;
  assert.ok(res.error, 'no answer, the connection closed');
  assert.ok(Date.now() - t < 2000);
  const c = await stripe.customers.create({ email: 'first@example.com' }, { idempotencyKey: 'in-flight' });
  assert.equal(c.email, 'first@example.com');
  ac.abort();
});

test('reset also releases hanging requests and clears faults', only, async () => {
  await fault('status=hang&count=1&path=/v1/coupons');
  await fault('status=429&count=5');
  const hung = fetch(`${emu.base}/v1/coupons`, { headers: { Authorization: 'Bearer sk_test_control' } })
    .then((r) => r.status, (e) => e);
  for (let i = 0; i < 50 && (await ctl('GET', '/_emu/faults')).json.data.length > 1; i++) await new Promise((r) => setTimeout(r, 20));
  // control requests are not /v1: the queued 429s do not touch them
  assert.equal((await ctl('POST', '/_emu/reset')).status, 200);
  assert.ok((await hung) instanceof Error);
  assert.deepEqual((await ctl('GET', '/_emu/faults')).json.data, []);
  assert.equal((await stripe.coupons.list()).data.length, 0);
});
