// Products and prices through the official SDK: create, retrieve, update, list, filters,
// expand (both wire forms), pagination past 100, errors, auth and idempotency.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, raw, Stripe } = require('./emu');

let emu;
let stripe;
test.before(async () => { emu = await startEmu(); stripe = emu.stripe; });
test.after(async () => { await emu.stop(); });

test('product with default_price_data creates the price and links it', async () => {
  const p = await stripe.products.create({
    name: 'Mug', description: 'A mug', images: ['https://img/mug.png'], metadata: { sku: 'M1' },
    default_price_data: { unit_amount: 1250, currency: 'EUR' },
  });
  assert.match(p.id, /^prod_[A-Za-z0-9]{24}$/);
  assert.equal(p.object, 'product');
  assert.equal(p.livemode, false);
  assert.equal(p.active, true);
  assert.deepEqual(p.images, ['https://img/mug.png']);
  assert.deepEqual(p.metadata, { sku: 'M1' });
  assert.equal(typeof p.updated, 'number');
  assert.match(p.default_price, /^price_/);
  const price = await stripe.prices.retrieve(p.default_price);
  assert.equal(price.currency, 'eur');
  assert.equal(price.unit_amount, 1250);
  assert.equal(price.type, 'one_time');
  assert.equal(price.recurring, null);
  assert.equal(price.billing_scheme, 'per_unit');
  assert.equal(price.product, p.id);
  const expanded = await stripe.products.retrieve(p.id, { expand: ['default_price'] });
  assert.equal(expanded.default_price.id, p.default_price);
});

test('a caller-given product id works once, then resource_already_exists', async () => {
  const p = await stripe.products.create({ id: 'sku_tee', name: 'Tee' });
  assert.equal(p.id, 'sku_tee');
  await assert.rejects(stripe.products.create({ id: 'sku_tee', name: 'Tee again' }),
    (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_already_exists');
});

test('prices: product_data, lookup_key, transfer_lookup_key, filters', async () => {
  const a = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product_data: { name: 'Sticker' }, lookup_key: 'sticker' });
  assert.match(a.product, /^prod_/);
  assert.equal(a.lookup_key, 'sticker');
  await assert.rejects(stripe.prices.create({ currency: 'usd', unit_amount: 600, product: a.product, lookup_key: 'sticker' }),
    (e) => e.type === 'StripeInvalidRequestError' && /lookup key/.test(e.message));
  const b = await stripe.prices.create({ currency: 'usd', unit_amount: 600, product: a.product, lookup_key: 'sticker', transfer_lookup_key: true });
  assert.equal((await stripe.prices.retrieve(a.id)).lookup_key, null);
  const byKey = await stripe.prices.list({ lookup_keys: ['sticker'] });
  assert.deepEqual(byKey.data.map((x) => x.id), [b.id]);
  const rec = await stripe.prices.create({ currency: 'usd', unit_amount: 900, product: a.product, recurring: { interval: 'month' } });
  assert.equal(rec.type, 'recurring');
  assert.equal(rec.recurring.interval, 'month');
  const oneTime = await stripe.prices.list({ product: a.product, type: 'one_time', active: true });
  assert.deepEqual(oneTime.data.map((x) => x.id).sort(), [a.id, b.id].sort());
  await stripe.prices.update(a.id, { active: false });
  const active = await stripe.prices.list({ product: a.product, active: true, type: 'one_time' });
  assert.deepEqual(active.data.map((x) => x.id), [b.id]);
});

test('GET /v1/prices?active=true&type=one_time&expand[]=data.product in both wire forms', async () => {
  const p = await stripe.products.create({ name: 'Poster', default_price_data: { unit_amount: 2000, currency: 'usd' } });
  const sdk = await stripe.prices.list({ active: true, type: 'one_time', expand: ['data.product'], limit: 100 });
  const hit = sdk.data.find((x) => x.id === p.default_price);
  assert.equal(hit.product.id, p.id);
  assert.equal(hit.product.name, 'Poster');
  for (const q of ['expand[]=data.product', 'expand%5B%5D=data.product', 'expand[0]=data.product', 'expand%5B0%5D=data.product']) {
    const r = await raw(emu, 'GET', `/v1/prices?active=true&type=one_time&limit=100&${q}`);
    assert.equal(r.status, 200, q);
    assert.equal(r.json.data.find((x) => x.id === p.default_price).product.name, 'Poster', q);
  }
  const bad = await raw(emu, 'GET', '/v1/prices?expand[]=product');
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /cannot be expanded/);
  const deep = await raw(emu, 'GET', '/v1/prices?expand[]=data.product.default_price.product.default_price');
  assert.equal(deep.status, 400);
  assert.match(deep.json.error.message, /more than 4 levels/);
});

test('pagination over more than 100 products, newest first, both directions', async () => {
  const ids = [];
  for (let i = 0; i < 130; i++) ids.push((await stripe.products.create({ name: `Bulk ${i}`, metadata: { bulk: '1' } })).id);
  const all = await stripe.products.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
  const bulk = all.filter((p) => p.metadata.bulk === '1').map((p) => p.id);
  assert.deepEqual(bulk, ids.slice().reverse());
  assert.equal(new Set(all.map((p) => p.id)).size, all.length);
  const first = await stripe.products.list({ limit: 100 });
  assert.equal(first.data.length, 100);
  assert.equal(first.has_more, true);
  assert.equal(first.url, '/v1/products');
  const back = await stripe.products.list({ limit: 5, ending_before: first.data[10].id });
  assert.deepEqual(back.data.map((p) => p.id), first.data.slice(5, 10).map((p) => p.id));
  assert.equal(back.has_more, true);
  const byIds = await stripe.products.list({ ids: [ids[0], ids[5]] });
  assert.deepEqual(byIds.data.map((p) => p.id), [ids[5], ids[0]]);
  for (const limit of [0, 101]) {
    await assert.rejects(stripe.products.list({ limit }), (e) => e.type === 'StripeInvalidRequestError');
  }
  await assert.rejects(stripe.products.list({ starting_after: ids[1], ending_before: ids[2] }),
    (e) => e.type === 'StripeInvalidRequestError');
});

test('product update: fields, unset with empty string, event with previous_attributes', async () => {
  const p = await stripe.products.create({ name: 'Lamp', description: 'Bright', metadata: { a: '1', b: '2' } });
  const u = await stripe.products.update(p.id, { name: 'Desk lamp', description: '', metadata: { a: '' , c: '3' }, active: false });
  assert.equal(u.name, 'Desk lamp');
  assert.equal(u.description, null);
  assert.deepEqual(u.metadata, { b: '2', c: '3' });
  assert.equal(u.active, false);
  const evs = await stripe.events.list({ type: 'product.updated', limit: 5 });
  const ev = evs.data.find((e) => e.data.object.id === p.id);
  assert.equal(ev.api_version, '2026-10-28.endive');
  assert.equal(ev.data.previous_attributes.name, 'Lamp');
  assert.equal(ev.data.previous_attributes.active, true);
  assert.match(ev.request.id, /^req_/);
  const inactive = await stripe.products.list({ active: false, limit: 100 });
  assert.ok(inactive.data.some((x) => x.id === p.id));
  const again = await stripe.events.retrieve(ev.id);
  assert.equal(again.id, ev.id);
});

test('errors map to the SDK classes', async () => {
  await assert.rejects(stripe.products.retrieve('prod_nope'), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError);
    assert.equal(e.code, 'resource_missing');
    assert.equal(e.statusCode, 404);
    assert.equal(e.message, "No such product: 'prod_nope'");
    assert.match(e.requestId, /^req_/);
    return true;
  });
  await assert.rejects(stripe.products.create({ name: 'x', colour: 'red' }),
    (e) => e.code === 'parameter_unknown' && e.param === 'colour');
  await assert.rejects(stripe.products.create({}), (e) => e.code === 'parameter_missing' && e.param === 'name');
  const bad = new Stripe('sk_live_wrongkey1234', { host: '127.0.0.1', port: emu.port, protocol: 'http' });
  await assert.rejects(bad.products.list(), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeAuthenticationError);
    assert.ok(!e.message.includes('wrongkey'));
    return true;
  });
  const none = await fetch(`${emu.base}/v1/products`);
  assert.equal(none.status, 401);
  const basic = await fetch(`${emu.base}/v1/products`, { headers: { Authorization: 'Basic ' + Buffer.from('sk_test_abc:').toString('base64') } });
  assert.equal(basic.status, 200);
  const unknown = await raw(emu, 'GET', '/v1/nothing');
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.error.message, /Unrecognized request URL/);
});

test('responses carry Request-Id, Stripe-Version and JSON content type', async () => {
  const r = await raw(emu, 'GET', '/v1/products?limit=1', undefined, { 'Stripe-Version': '2026-10-28.endive' });
  assert.match(r.headers.get('request-id'), /^req_/);
  assert.equal(r.headers.get('stripe-version'), '2026-10-28.endive');
  assert.match(r.headers.get('content-type'), /^application\/json/);
});

test('idempotency: replay, mismatch, validation failures not stored', async () => {
  const key = 'idem-' + Date.now();
  const a = await stripe.products.create({ name: 'Once' }, { idempotencyKey: key });
  const b = await stripe.products.create({ name: 'Once' }, { idempotencyKey: key });
  assert.equal(a.id, b.id);
  assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true');
  await assert.rejects(stripe.products.create({ name: 'Other' }, { idempotencyKey: key }),
    (e) => e instanceof Stripe.errors.StripeIdempotencyError);
  const k2 = key + '-v';
  await assert.rejects(stripe.products.create({ name: 'x', bogus: 1 }, { idempotencyKey: k2 }));
  const ok = await stripe.products.create({ name: 'After fix' }, { idempotencyKey: k2 });
  assert.equal(ok.name, 'After fix');
});

test('form parsing: + as space, percent-encoded brackets, nested metadata', async () => {
  const r = await raw(emu, 'POST', '/v1/products', 'name=Blue+Hat&metadata%5Bcolour%5D=deep%20blue&images[]=a&images[]=b');
  assert.equal(r.status, 200);
  assert.equal(r.json.name, 'Blue Hat');
  assert.deepEqual(r.json.metadata, { colour: 'deep blue' });
  assert.deepEqual(r.json.images, ['a', 'b']);
  const big = await raw(emu, 'POST', '/v1/products', 'name=' + 'x'.repeat(1100000));
  assert.equal(big.status, 413);
});
