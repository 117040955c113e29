// The emulator's admin page (its stand-in for Stripe's Dashboard), driven as a browser would
// drive its plain HTML forms: every change goes through the API's code and sends the
// matching product.*, price.*, coupon.* or promotion_code.* webhook; cross-site posts and
// foreign Host names are refused. Emulator only.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startEmu, startWebhookServer } = require('./emu');

const SECRET = 'whsec_admin_page_secret_0123456789';
const only = { skip: process.env.STRIPE_LIVE === '1' ? 'emulator only' : false };
let emu;
let hook;
let stripe;

test.before(async () => {
  if (only.skip) return;
  hook = await startWebhookServer(SECRET);
  emu = await startEmu({ args: ['--webhook', hook.url, '--webhook-secret', SECRET] });
  stripe = emu.stripe;
});
test.after(async () => {
  if (only.skip) return;
  await emu.stop();
  await hook.close();
});

// One HTTP request with full control of the headers (fetch will not set Host).
function request(method, path, { headers = {}, form } = {}) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: emu.port, method, path,
      headers: { ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const page = async (path) => {
  const r = await request('GET', path);
  assert.equal(r.status, 200, r.text);
  return r.text;
};
const tokenOf = (html) => html.match(/name="csrf" value="([0-9a-f]{64})"/)[1];
// Posts a form of the page at `from` to `to`, as the browser would from that page.
async function submit(from, to, fields) {
  const csrf = tokenOf(await page(from));
  return request('POST', to, { form: { csrf, ...fields }, headers: { Origin: emu.base, Referer: emu.base + from } });
}
const errorOf = (html) => (html.match(/<p class="error" id="error" role="alert">([^<]*)<\/p>/) || [])[1];
const eventFor = (type, id) => hook.waitFor((e) => e.type === type && e.data.object.id === id);

test('no key needed; says it is a local emulator; every field has a label; phone-ready', only, async () => {
  const r = await request('GET', '/admin');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/html/);
  assert.equal(r.headers['content-security-policy'], "frame-ancestors 'none'");
  assert.match(r.text, /id="emu-note"[^>]*>This is <strong>stripe-emu<\/strong>, a local Stripe emulator/);
  assert.match(r.text, /<meta name="viewport" content="width=device-width,initial-scale=1">/);
  assert.doesNotMatch(r.text, /<script/);
  await stripe.coupons.create({ percent_off: 5 });   // so that the promotion code form shows
  const html = await page('/admin');
  const p = await stripe.products.create({ name: 'Labelled' });
  const edit = await page(`/admin/products/${p.id}`);
  for (const doc of [html, edit]) {
    const ids = [...doc.matchAll(/<(?:input|select|textarea) (?!type="hidden")[^>]*id="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids.length >= 4);
    for (const id of ids) assert.match(doc, new RegExp(`<label[^>]* for="${id}"`), `label for ${id}`);
  }
  for (const id of ['couponForm', 'promoForm']) assert.match(html, new RegExp(`<form [^>]*id="${id}"`));
  for (const id of ['productForm', 'priceForm']) assert.match(edit, new RegExp(`<form [^>]*id="${id}"`));
});

test('lists products, newest first, with image, name, default price and whether active', only, async () => {
  const a = await stripe.products.create({ name: 'Teapot & cosy', images: ['https://img.test/teapot.png'], default_price_data: { currency: 'usd', unit_amount: 1250 } });
  const b = await stripe.products.create({ name: 'Retired mug', active: false });
  const html = await page('/admin');
  const at = html.indexOf(`data-id="${a.id}"`);
  const bt = html.indexOf(`data-id="${b.id}"`);
  assert.ok(at > 0 && bt > 0 && bt < at, 'newest first');
  const item = html.slice(at, html.indexOf('</div></div>', at));
  assert.match(item, /<img src="https:\/\/img.test\/teapot.png" alt="">/);
  assert.match(item, new RegExp(`<a href="/admin/products/${a.id}">Teapot &amp; cosy</a>`));
  assert.match(item, /\$12\.50/);
  assert.match(item, />Active</);
  assert.match(html.slice(bt, html.indexOf('</div></div>', bt)), />Inactive</);
});

test('foreign Host names, cross-site origins and missing tokens are refused, changing nothing', only, async () => {
  const p = await stripe.products.create({ name: 'Guarded' });
  const path = `/admin/products/${p.id}`;
  const rebind = await request('GET', path, { headers: { Host: `evil.example:${emu.port}` } });
  assert.equal(rebind.status, 421);
  assert.doesNotMatch(rebind.text, /csrf/);
  assert.equal((await request('GET', '/admin', { headers: { Host: `localhost:${emu.port}` } })).status, 200);
  const csrf = tokenOf(await page(path));
  const change = { action: 'save', name: 'Hijacked', description: '', image: '', active: 'on' };
  const attempts = [
    { form: change, headers: { Origin: emu.base } },
    { form: { ...change, csrf: '0'.repeat(64) }, headers: { Origin: emu.base } },
    { form: { ...change, csrf }, headers: { Origin: 'http://evil.example' } },
    { form: { ...change, csrf }, headers: { Referer: 'http://evil.example/form.html' } },
    { form: { ...change, csrf }, headers: { Origin: emu.base, Host: `evil.example:${emu.port}` } },
  ];
  for (const a of attempts) {
    const r = await request('POST', path, a);
    assert.ok(r.status === 403 || r.status === 421, `${JSON.stringify(a.headers)} → ${r.status}`);
  }
  assert.equal((await stripe.products.retrieve(p.id)).name, 'Guarded');
  assert.equal((await stripe.events.list({ type: 'product.updated', limit: 100 })).data.filter((e) => e.data.object.id === p.id).length, 0);
  assert.equal((await request('GET', '/admin/products/prod_nothere')).status, 404);
  assert.equal((await request('DELETE', '/admin')).status, 405);
});

test('editing a product: name, description, image, active; product.updated is sent', only, async () => {
  const p = await stripe.products.create({ name: 'Old name', description: 'Old text', images: ['https://img.test/old.png'] });
  const path = `/admin/products/${p.id}`;
  const html = await page(path);
  assert.match(html, /<input id="name" name="name" required value="Old name">/);
  assert.match(html, /<textarea id="description" name="description" rows="3">Old text<\/textarea>/);
  assert.match(html, /id="image" name="image" type="url"[^>]*value="https:\/\/img.test\/old.png"/);
  assert.match(html, /id="active" name="active" value="on" checked/);
  const r = await submit(path, path, { action: 'save', name: 'New name', description: 'New text', image: 'https://img.test/new.png' });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.headers.location, `${path}?done=saved`);
  assert.match(await page(r.headers.location), /id="done"[^>]*>Product saved\./);
  const now = await stripe.products.retrieve(p.id);
  assert.equal(now.name, 'New name');
  assert.equal(now.description, 'New text');
  assert.deepEqual(now.images, ['https://img.test/new.png']);
  assert.equal(now.active, false, 'an unticked box is a product no longer for sale');
  const hit = await eventFor('product.updated', p.id);
  assert.deepEqual(hit.event.data.previous_attributes, { active: true, description: 'Old text', images: ['https://img.test/old.png'], name: 'Old name' });
  // refused edits say why, and change nothing
  for (const [fields, re] of [[{ name: '  ' }, /needs a name/], [{ name: 'X', image: 'javascript:alert(1)' }, /http/]]) {
    const bad = await submit(path, path, { action: 'save', description: '', image: '', ...fields });
    assert.equal(bad.status, 400);
    assert.match(errorOf(bad.text), re);
  }
  const cleared = await submit(path, path, { action: 'save', name: 'New name', description: '', image: '', active: 'on' });
  assert.equal(cleared.status, 303);
  const after = await stripe.products.retrieve(p.id);
  assert.deepEqual([after.description, after.images, after.active], [null, [], true]);
  assert.equal((await submit(path, path, { action: 'explode' })).status, 400);
  assert.equal((await submit(path, path, { action: 'save', name: 'Y', extra: '1' })).status, 400);
});

test('prices: add one as the default, switch the default, deactivate; price.* and product.updated sent', only, async () => {
  const p = await stripe.products.create({ name: 'Priced', default_price_data: { currency: 'usd', unit_amount: 900 } });
  const first = p.default_price;
  const path = `/admin/products/${p.id}`;
  const added = await submit(path, path, { action: 'add_price', amount: '12.50', currency: 'usd', default: 'on' });
  assert.equal(added.status, 303, added.text);
  const prod = await stripe.products.retrieve(p.id, { expand: ['default_price'] });
  assert.equal(prod.default_price.unit_amount, 1250);
  assert.equal(prod.default_price.currency, 'usd');
  const created = await eventFor('price.created', prod.default_price.id);
  assert.equal(created.event.data.object.product, p.id);
  const upd = await eventFor('product.updated', p.id);
  assert.deepEqual(upd.event.data.previous_attributes.default_price, first);
  // a price added without the box ticked leaves the default alone; zero-decimal currencies
  assert.equal((await submit(path, path, { action: 'add_price', amount: '1500', currency: 'jpy' })).status, 303);
  const yen = (await stripe.prices.list({ product: p.id, currency: 'jpy' })).data[0];
  assert.equal(yen.unit_amount, 1500);
  assert.equal((await stripe.products.retrieve(p.id)).default_price, prod.default_price.id);
  for (const [amount, currency] of [['12.5', 'jpy'], ['1.234', 'usd'], ['-3', 'usd'], ['ten', 'usd'], ['5', 'dollars']]) {
    const bad = await submit(path, path, { action: 'add_price', amount, currency });
    assert.equal(bad.status, 400, `${amount} ${currency}`);
    assert.ok(errorOf(bad.text), 'the page says why');
  }
  // the page offers Make default / Deactivate on active prices that are not the default
  const html = await page(path);
  assert.match(html, new RegExp(`name="price" value="${first}"><button type="submit" name="action" value="default">Make default`));
  assert.doesNotMatch(html, new RegExp(`name="price" value="${prod.default_price.id}"`));
  assert.equal((await submit(path, path, { action: 'default', price: first })).status, 303);
  assert.equal((await stripe.products.retrieve(p.id)).default_price, first);
  const off = await submit(path, path, { action: 'deactivate', price: yen.id });
  assert.equal(off.status, 303);
  assert.equal((await stripe.prices.retrieve(yen.id)).active, false);
  const pu = await eventFor('price.updated', yen.id);
  assert.deepEqual(pu.event.data.previous_attributes, { active: true });
  const refuse = await submit(path, path, { action: 'deactivate', price: first });
  assert.equal(refuse.status, 400);
  assert.match(errorOf(refuse.text), /default price/);
  assert.equal((await stripe.prices.retrieve(first)).active, true);
  const other = await stripe.prices.create({ currency: 'usd', unit_amount: 1, product_data: { name: 'Elsewhere' } });
  assert.equal((await submit(path, path, { action: 'deactivate', price: other.id })).status, 400);
  assert.equal((await submit(path, path, { action: 'default', price: 'price_nothere' })).status, 400);
});

test('coupons and promotion codes: created through the forms, coupon.created and promotion_code.created sent', only, async () => {
  const pct = await submit('/admin', '/admin/coupons', { name: 'Spring', percent_off: '15', amount_off: '', currency: 'sek' });
  assert.equal(pct.status, 303, pct.text);
  assert.equal(pct.headers.location, '/admin?done=coupon');
  const spring = (await stripe.coupons.list({ limit: 100 })).data.find((c) => c.name === 'Spring');
  assert.equal(spring.percent_off, 15);
  assert.equal(spring.amount_off, null);
  await eventFor('coupon.created', spring.id);
  assert.equal((await submit('/admin', '/admin/coupons', { name: 'Fiver', percent_off: '', amount_off: '50,00', currency: 'SEK' })).status, 303);
  const fiver = (await stripe.coupons.list({ limit: 100 })).data.find((c) => c.name === 'Fiver');
  assert.deepEqual([fiver.amount_off, fiver.currency], [5000, 'sek']);
  await eventFor('coupon.created', fiver.id);
  const both = await submit('/admin', '/admin/coupons', { name: 'Both', percent_off: '10', amount_off: '5', currency: 'usd' });
  assert.equal(both.status, 400);
  assert.match(errorOf(both.text), /percent_off or amount_off/);

  const promo = await submit('/admin', '/admin/promotion_codes', {
    coupon: spring.id, code: 'SPRING15', minimum_amount: '500', minimum_currency: 'sek', first_time: 'on', max_redemptions: '3',
  });
  assert.equal(promo.status, 303, promo.text);
  const pc = (await stripe.promotionCodes.list({ code: 'spring15' })).data[0];
  assert.deepEqual(pc.promotion, { type: 'coupon', coupon: spring.id });
  assert.equal(pc.max_redemptions, 3);
  assert.equal(pc.restrictions.first_time_transaction, true);
  assert.equal(pc.restrictions.minimum_amount, 50000);
  assert.equal(pc.restrictions.minimum_amount_currency, 'sek');
  const hit = await eventFor('promotion_code.created', pc.id);
  assert.equal(hit.event.data.object.code, 'SPRING15');
  const plain = await submit('/admin', '/admin/promotion_codes', { coupon: fiver.id, code: 'FIVER', minimum_amount: '', minimum_currency: 'sek', max_redemptions: '' });
  assert.equal(plain.status, 303);
  const fc = (await stripe.promotionCodes.list({ code: 'FIVER' })).data[0];
  assert.deepEqual([fc.max_redemptions, fc.restrictions.minimum_amount, fc.restrictions.first_time_transaction], [null, null, false]);
  for (const [fields, re] of [
    [{ coupon: spring.id, code: 'spring15' }, /already exists/],
    [{ coupon: spring.id, code: 'no spaces' }, /letters, digits/],
    [{ coupon: spring.id, code: '' }, /needs a code/],
    [{ coupon: 'nothere', code: 'GHOST' }, /No such coupon/],
    [{ coupon: spring.id, code: 'MAXBAD', max_redemptions: 'lots' }, /Invalid integer/],
  ]) {
    const bad = await submit('/admin', '/admin/promotion_codes', fields);
    assert.equal(bad.status, 400, fields.code);
    assert.match(errorOf(bad.text), re);
  }
  const html = await page('/admin');
  assert.match(html, /<strong>Spring<\/strong> 15% off/);
  assert.match(html, /<code class="promo">SPRING15<\/code>/);
  assert.match(html, /minimum SEK 500\.00; first order only/);
  assert.match(html, new RegExp(`<option value="${spring.id}">Spring</option>`));
});
