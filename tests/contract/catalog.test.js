// Products and prices through the official SDK: create, retrieve, update, list, filters,
// expand (both wire forms, nested, the 4-level limit), auto-pagination past 100 both ways,
// error classes, Request-Id on every response, auth and idempotency (the SDK's own retries).
// Runs against real Stripe too (make check-live): names, keys and ids carry RUN.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, raw, Stripe, live, emuOnly, RUN, startCuttingProxy } = require('./emu');

let emu;
let stripe;
test.before(async () => { emu = await startEmu(); stripe = emu.stripe; });
test.after(async () => { await emu.stop(); });

test('product with default_price_data creates the price and links it', async () => {
  const p = await stripe.products.create({
    name: 'Mug', description: 'A mug', images: ['https://example.com/mug.png'], metadata: { sku: 'M1' },
    default_price_data: { unit_amount: 1250, currency: 'EUR' },
  });
  assert.match(p.id, /^prod_[A-Za-z0-9]{14,}$/);
  assert.equal(p.object, 'product');
  assert.equal(p.livemode, false);
  assert.equal(p.active, true);
  assert.deepEqual(p.images, ['https://example.com/mug.png']);
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
  const id = `sku_tee_${RUN}`;
  const p = await stripe.products.create({ id, name: 'Tee' });
  assert.equal(p.id, id);
  await assert.rejects(stripe.products.create({ id, name: 'Tee again' }),
    (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_already_exists');
});

test('prices: product_data, lookup_key, transfer_lookup_key, filters', async () => {
  const lk = `sticker_${RUN}`;
  const a = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product_data: { name: 'Sticker' }, lookup_key: lk });
  assert.match(a.product, /^prod_/);
  assert.equal(a.lookup_key, lk);
  await assert.rejects(stripe.prices.create({ currency: 'usd', unit_amount: 600, product: a.product, lookup_key: lk }),
    (e) => e.type === 'StripeInvalidRequestError' && /lookup key/.test(e.message));
  const b = await stripe.prices.create({ currency: 'usd', unit_amount: 600, product: a.product, lookup_key: lk, transfer_lookup_key: true });
  assert.equal((await stripe.prices.retrieve(a.id)).lookup_key, null);
  const byKey = await stripe.prices.list({ lookup_keys: [lk] });
  assert.deepEqual(byKey.data.map((x) => x.id), [b.id]);
  const rec = await stripe.prices.create({ currency: 'usd', unit_amount: 900, product: a.product, recurring: { interval: 'month' } });
  assert.equal(rec.type, 'recurring');
  assert.equal(rec.recurring.interval, 'month');
  const oneTime = await stripe.prices.list({ product: a.product, type: 'one_time', active: true });
  assert.deepEqual(oneTime.data.map((x) => x.id).sort(), [a.id, b.id].sort());
  await stripe.prices.update(a.id, { active: false });
  const active = await stripe.prices.list({ product: a.product, active: true, type: 'one_time' });
  assert.deepEqual(active.data.map((x) => x.id), [b.id]);
  const eur = await stripe.prices.create({ currency: 'eur', unit_amount: 450, product: a.product });
  assert.deepEqual((await stripe.prices.list({ product: a.product, currency: 'eur' })).data.map((x) => x.id), [eur.id]);
  const recurring = await stripe.prices.list({ product: a.product, type: 'recurring' });
  assert.deepEqual(recurring.data.map((x) => x.id), [rec.id]);
  const inactive = await stripe.prices.list({ product: a.product, active: false });
  assert.deepEqual(inactive.data.map((x) => x.id), [a.id]);
});

test('price update: nickname, metadata, lookup_key, active; price.updated with previous_attributes', async () => {
  const pr = await stripe.prices.create({ currency: 'usd', unit_amount: 700, product_data: { name: 'Candle' }, metadata: { a: '1' } });
  const lk = `candle_${RUN}`;
  const u = await stripe.prices.update(pr.id, { nickname: 'Tall', metadata: { a: '', b: '2' }, lookup_key: lk, active: false });
  assert.equal(u.id, pr.id);
  assert.equal(u.nickname, 'Tall');
  assert.deepEqual(u.metadata, { b: '2' });
  assert.equal(u.lookup_key, lk);
  assert.equal(u.active, false);
  assert.equal(u.unit_amount, 700, 'the amount of a price never changes');
  await assert.rejects(stripe.prices.update(pr.id, { unit_amount: 800 }), (e) => e.code === 'parameter_unknown' && e.param === 'unit_amount');
  await assert.rejects(stripe.prices.update('price_nope', { nickname: 'x' }),
    (e) => e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_missing' && e.statusCode === 404);
  const evs = await stripe.events.list({ type: 'price.updated', limit: 100 });
  const ev = evs.data.find((e) => e.data.object.id === pr.id);
  assert.equal(ev.data.object.nickname, 'Tall');
  assert.equal(ev.data.previous_attributes.active, true);
  assert.equal(ev.data.previous_attributes.nickname, null);
});

test('product update: default_price to another active price of the product, expandable', async () => {
  const p = await stripe.products.create({ name: 'Kettle', default_price_data: { unit_amount: 3000, currency: 'usd' } });
  const cheaper = await stripe.prices.create({ product: p.id, currency: 'usd', unit_amount: 2500 });
  const u = await stripe.products.update(p.id, { default_price: cheaper.id });
  assert.equal(u.default_price, cheaper.id);
  const x = await stripe.products.retrieve(p.id, { expand: ['default_price'] });
  assert.equal(x.default_price.unit_amount, 2500);
  await assert.rejects(stripe.products.update(p.id, { default_price: 'price_nope' }),
    (e) => e.code === 'resource_missing' && e.param === 'default_price');
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
  assert.equal(deep.json.error.type, 'invalid_request_error');
  assert.match(deep.json.error.message, /more than 4 levels/);
});

test('expand on retrieve and on create, in all four wire forms', async () => {
  const p = await stripe.products.create({ name: 'Frame', default_price_data: { unit_amount: 1500, currency: 'usd' } });
  for (const q of ['expand[]=default_price', 'expand%5B%5D=default_price', 'expand[0]=default_price', 'expand%5B0%5D=default_price']) {
    const r = await raw(emu, 'GET', `/v1/products/${p.id}?${q}`);
    assert.equal(r.status, 200, q);
    assert.equal(r.json.default_price.object, 'price', q);
    assert.equal(r.json.default_price.id, p.default_price, q);
  }
  const plain = await raw(emu, 'GET', `/v1/products/${p.id}`);
  assert.equal(plain.json.default_price, p.default_price, 'an id unless expanded');
  for (const k of ['expand[]', 'expand%5B%5D', 'expand[0]', 'expand%5B0%5D']) {
    const c = await raw(emu, 'POST', '/v1/products', `name=Framed&default_price_data[currency]=usd&default_price_data[unit_amount]=900&${k}=default_price`);
    assert.equal(c.status, 200, k);
    assert.equal(c.json.default_price.unit_amount, 900, k);
  }
  const two = await raw(emu, 'GET', `/v1/prices/${p.default_price}?expand[]=product&expand[]=product.default_price`);
  assert.equal(two.status, 200);
  assert.equal(two.json.product.default_price.id, p.default_price);
});

test('nested expansion: up to 4 levels works, 5 is a 400 from the SDK too', async () => {
  const p = await stripe.products.create({ name: 'Nested', default_price_data: { unit_amount: 4200, currency: 'usd' } });
  const two = await stripe.products.retrieve(p.id, { expand: ['default_price.product'] });
  assert.equal(two.default_price.product.id, p.id);
  assert.equal(two.default_price.product.name, 'Nested');
  const three = await stripe.prices.list({ product: p.id, expand: ['data.product.default_price'] });
  assert.equal(three.data[0].product.default_price.unit_amount, 4200);
  const four = await stripe.prices.list({ product: p.id, expand: ['data.product.default_price.product'] });
  assert.equal(four.data[0].product.default_price.product.id, p.id);
  await assert.rejects(stripe.prices.list({ product: p.id, expand: ['data.product.default_price.product.default_price'] }), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError);
    assert.equal(e.statusCode, 400);
    assert.match(e.message, /more than 4 levels/);
    return true;
  });
  await assert.rejects(stripe.products.retrieve(p.id, { expand: ['default_price.product.default_price.product.default_price'] }),
    (e) => e.statusCode === 400 && /more than 4 levels/.test(e.message));
  await assert.rejects(stripe.products.retrieve(p.id, { expand: ['name'] }), (e) => e.statusCode === 400 && /cannot be expanded/.test(e.message));
});

// Objects created in one second may come in either order from Stripe (ids are random), so
// against it the order is checked through `created`; the emulator keeps creation order.
function assertOrder(got, expected, dir) {
  if (!live) { assert.deepEqual(got.map((x) => x.id), expected); return; }
  assert.deepEqual(got.map((x) => x.id).sort(), expected.slice().sort());
  for (let i = 1; i < got.length; i++) assert.ok(dir * (got[i].created - got[i - 1].created) >= 0, 'ordered by created');
}

test('auto-pagination over more than 100 products, newest first, both directions', async () => {
  const tag = `bulk_${RUN}`;
  const ids = [];
  for (let i = 0; i < 105; i++) ids.push((await stripe.products.create({ name: `Bulk ${i}`, metadata: { bulk: tag } })).id);
  // forward (starting_after), from the newest product down to the oldest of ours
  const down = [];
  let pages = 0;
  const count = (r) => { if (r.path.startsWith('/v1/products?')) pages++; };
  stripe.on('response', count);
  for await (const p of stripe.products.list({ limit: 100 })) {
    if (p.metadata.bulk === tag) down.push(p);
    if (p.id === ids[0] || down.length === ids.length) break;
  }
  stripe.off('response', count);
  assertOrder(down, ids.slice().reverse(), -1);
  assert.ok(pages >= 2, 'the SDK fetched a second page');
  // backward (ending_before): from just above the oldest up, in ascending order
  const up = [];
  for await (const p of stripe.products.list({ limit: 100, ending_before: ids[0] })) {
    if (p.metadata.bulk === tag) up.push(p);
    if (up.length === ids.length - 1) break;
  }
  assertOrder(up, ids.slice(1), 1);
  const all = await stripe.products.list({ limit: 100 }).autoPagingToArray({ limit: live ? 300 : 1000 });
  assert.equal(new Set(all.map((p) => p.id)).size, all.length, 'no object twice');
  const first = await stripe.products.list({ limit: 100 });
  assert.equal(first.data.length, 100);
  assert.equal(first.has_more, true);
  assert.equal(first.object, 'list');
  assert.equal(first.url, '/v1/products');
  const back = await stripe.products.list({ limit: 5, ending_before: first.data[10].id });
  assert.deepEqual(back.data.map((p) => p.id), first.data.slice(5, 10).map((p) => p.id));
  assert.equal(back.has_more, true);
  const after = await stripe.products.list({ limit: 5, starting_after: first.data[10].id });
  assert.deepEqual(after.data.map((p) => p.id), first.data.slice(11, 16).map((p) => p.id));
  const byIds = await stripe.products.list({ ids: [ids[0], ids[5]] });
  assertOrder(byIds.data, [ids[5], ids[0]], -1);
  for (const limit of [0, 101]) {
    await assert.rejects(stripe.products.list({ limit }), (e) => e.type === 'StripeInvalidRequestError');
  }
  await assert.rejects(stripe.products.list({ starting_after: ids[1], ending_before: ids[2] }),
    (e) => e.type === 'StripeInvalidRequestError');
});

test('auto-pagination over more than 100 prices of one product, both directions', async () => {
  const prod = await stripe.products.create({ name: 'Many prices' });
  const ids = [];
  for (let i = 0; i < 105; i++) ids.push((await stripe.prices.create({ product: prod.id, currency: 'usd', unit_amount: 100 + i })).id);
  const down = await stripe.prices.list({ product: prod.id, limit: 100 }).autoPagingToArray({ limit: 500 });
  assertOrder(down, ids.slice().reverse(), -1);
  const up = await stripe.prices.list({ product: prod.id, limit: 40, ending_before: ids[0] }).autoPagingToArray({ limit: 500 });
  assertOrder(up, ids.slice(1), 1);
  const mid = await stripe.prices.list({ product: prod.id, limit: 100, starting_after: ids[104 - 50] }).autoPagingToArray({ limit: 500 });
  assertOrder(mid, ids.slice(0, 54).reverse(), -1);
  const page = await stripe.prices.list({ product: prod.id, limit: 100 });
  assert.equal(page.has_more, true);
  assert.equal(page.url, '/v1/prices');
  const last = await stripe.prices.list({ product: prod.id, limit: 100, starting_after: page.data[99].id });
  assert.equal(last.data.length, 5);
  assert.equal(last.has_more, false);
  await assert.rejects(stripe.prices.list({ starting_after: 'price_nope' }), (e) => e.statusCode === 400 || e.statusCode === 404);
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
  if (!live) assert.equal(ev.api_version, '2026-10-28.endive');   // Stripe: the account's version
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
  const bad = emu.client('sk_live_wrongkey1234');
  await assert.rejects(bad.products.list(), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeAuthenticationError);
    assert.ok(!e.message.includes('wrongkey'));
    return true;
  });
  const none = await fetch(`${emu.base}/v1/products`);
  assert.equal(none.status, 401);
  const basic = await fetch(`${emu.base}/v1/products?limit=1`, { headers: { Authorization: 'Basic ' + Buffer.from(`${emu.key}:`).toString('base64') } });
  assert.equal(basic.status, 200);
  const unknown = await raw(emu, 'GET', '/v1/nothing');
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.error.message, /Unrecognized request URL/);
});

test('responses carry Request-Id, Stripe-Version and JSON content type, errors too', async () => {
  const r = await raw(emu, 'GET', '/v1/products?limit=1', undefined, { 'Stripe-Version': '2026-10-28.endive' });
  assert.match(r.headers.get('request-id'), /^req_/);
  assert.equal(r.headers.get('stripe-version'), '2026-10-28.endive');
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const errors = [
    await fetch(`${emu.base}/v1/products`),                       // 401: no key
    await fetch(`${emu.base}/v1/nothing`, { headers: { Authorization: `Bearer ${emu.key}` } }),   // 404
    await fetch(`${emu.base}/v1/products`, { method: 'POST', headers: { Authorization: `Bearer ${emu.key}` } }),   // 400
  ];
  assert.deepEqual(errors.map((x) => x.status), [401, 404, 400]);
  const ids = errors.map((x) => x.headers.get('request-id'));
  for (const id of ids) assert.match(id, /^req_/);
  assert.equal(new Set([r.headers.get('request-id'), ...ids]).size, 4, 'a new id for each request');
  const p = await stripe.products.create({ name: 'With request id' });
  assert.match(p.lastResponse.requestId, /^req_/);
  const l = await stripe.products.list({ limit: 1 });
  assert.match(l.lastResponse.requestId, /^req_/);
});

test('idempotency: replay, mismatch, validation failures not stored', async () => {
  const key = `idem-${RUN}`;
  const a = await stripe.products.create({ name: 'Once' }, { idempotencyKey: key });
  const b = await stripe.products.create({ name: 'Once' }, { idempotencyKey: key });
  assert.equal(a.id, b.id);
  assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true');
  assert.equal(b.lastResponse.idempotencyKey, key);
  await assert.rejects(stripe.products.create({ name: 'Other' }, { idempotencyKey: key }), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeIdempotencyError);
    assert.equal(e.type, 'StripeIdempotencyError');
    assert.equal(e.statusCode, 400);
    assert.match(e.requestId, /^req_/);
    return true;
  });
  const k2 = key + '-v';
  await assert.rejects(stripe.products.create({ name: 'x', bogus: 1 }, { idempotencyKey: k2 }));
  const ok = await stripe.products.create({ name: 'After fix' }, { idempotencyKey: k2 });
  assert.equal(ok.name, 'After fix');
});

test("idempotency: the SDK's own retries after a lost answer are replayed, not run again", async () => {
  // maxNetworkRetries 0: the SDK still retries a closed connection once, with the same key
  const proxy = await startCuttingProxy(emu, { cut: 1 });
  try {
    const tag = `retry_${RUN}`;
    const c = proxy.client();
    const p = await c.products.create({ name: 'Retried', metadata: { tag } });
    assert.equal(p.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(proxy.seen.length, 2);
    assert.match(proxy.seen[0].key, /^stripe-node-retry-/);
    assert.equal(proxy.seen[1].key, proxy.seen[0].key);
    assert.deepEqual(proxy.seen.map((x) => x.replayed), [null, 'true']);
    const mine = (await stripe.products.list({ limit: 100 })).data.filter((x) => x.metadata.tag === tag);
    assert.deepEqual(mine.map((x) => x.id), [p.id], 'created once');
    // with retries enabled, two lost answers: three attempts, one key, two replays
    const two = await startCuttingProxy(emu, { cut: 2 });
    try {
      const c2 = two.client({ maxNetworkRetries: 2 });
      const q = await c2.customers.create({ email: `retry-${RUN}@example.com` });
      assert.equal(two.seen.length, 3);
      assert.equal(new Set(two.seen.map((x) => x.key)).size, 1);
      assert.deepEqual(two.seen.map((x) => x.replayed), [null, 'true', 'true']);
      assert.equal(q.lastResponse.headers['idempotent-replayed'], 'true');
      assert.deepEqual((await stripe.customers.list({ email: `retry-${RUN}@example.com` })).data.map((x) => x.id), [q.id]);
    } finally { await two.close(); }
  } finally { await proxy.close(); }
});

test('form parsing: + as space, percent-encoded brackets, nested metadata', async () => {
  const r = await raw(emu, 'POST', '/v1/products', 'name=Blue+Hat&metadata%5Bcolour%5D=deep%20blue&images[]=https://example.com/a.png&images%5B%5D=https://example.com/b.png');
  assert.equal(r.status, 200);
  assert.equal(r.json.name, 'Blue Hat');
  assert.deepEqual(r.json.metadata, { colour: 'deep blue' });
  assert.deepEqual(r.json.images, ['https://example.com/a.png', 'https://example.com/b.png']);
});

test('metadata limits: 50 keys, keys of 40 characters, values of 500', async () => {
  const keys = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
  const ok = await stripe.products.create({ name: 'Meta', metadata: { ...keys(49), ['é'.repeat(40)]: 'ü'.repeat(500) } });
  assert.equal(Object.keys(ok.metadata).length, 50);
  assert.equal(ok.metadata['é'.repeat(40)], 'ü'.repeat(500), 'characters, not bytes');
  const refused = [
    ['51 keys', { metadata: keys(51) }],
    ['a 41-character key', { metadata: { ['k'.repeat(41)]: 'v' } }],
    ['a 501-character value', { metadata: { k: 'v'.repeat(501) } }],
  ];
  for (const [what, extra] of refused) {
    await assert.rejects(stripe.products.create({ name: 'Too much', ...extra }), (e) => {
      assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError, what);
      assert.equal(e.statusCode, 400, what);
      assert.match(e.param || '', /^metadata/, what);
      return true;
    });
    await assert.rejects(stripe.customers.update((await stripe.customers.create({})).id, extra), (e) => e.statusCode === 400, what);
  }
});

test('a body over 1 MB is refused with 413', emuOnly, async () => {
  const big = await raw(emu, 'POST', '/v1/products', 'name=' + 'x'.repeat(1100000));
  assert.equal(big.status, 413);
  assert.match(big.headers.get('request-id'), /^req_/);
});

// Last in the file: everything the SDK saw above, successes and errors alike.
test('every SDK response in this file carried a Request-Id', async () => {
  assert.ok(emu.responses.length > 200, `${emu.responses.length} responses`);
  const statuses = new Set(emu.responses.map((r) => r.status));
  for (const st of [200, 400, 401, 404]) assert.ok(statuses.has(st), `saw a ${st}`);
  const missing = emu.responses.filter((r) => !/^req_[A-Za-z0-9]+$/.test(r.request_id || ''));
  assert.deepEqual(missing, []);
  assert.equal(new Set(emu.responses.map((r) => r.request_id)).size, emu.responses.length, 'all different');
});
