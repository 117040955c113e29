// Process-level behaviour: the state file (mode, atomic JSON, reload), a corrupt state
// file as a fatal startup error, SIGTERM exit status, and a webhook receiver that calls
// back into the API while its delivery is in flight. All of it is the emulator's own.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmu, startWebhookServer, payForm, CARD, emuOnly } = require('./emu');

test('state persists across a restart in a 0600 state.json inside a 0700 dir', emuOnly, async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'emu-state-')), 'nested', 'deeper');
  const a = await startEmu({ state: dir });
  const p = await a.stripe.products.create({ name: 'Kept' }, { idempotencyKey: 'keep-1' });
  const st = await a.stop();
  assert.equal(st.code, 0);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  const file = path.join(dir, 'state.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok(json.objects.product.some((x) => x.id === p.id));
  const b = await startEmu({ state: dir });
  assert.equal((await b.stripe.products.retrieve(p.id)).name, 'Kept');
  const replay = await b.stripe.products.create({ name: 'Kept' }, { idempotencyKey: 'keep-1' });
  assert.equal(replay.id, p.id);
  assert.ok((await b.stripe.events.list({ type: 'product.created' })).data.some((e) => e.data.object.id === p.id));
  await b.stop();
});

test('SIGINT stops it cleanly even when started with SIGINT ignored (a background job)', emuOnly, async () => {
  const emu = await startEmu({ ignoreSigint: true });
  const p = await emu.stripe.products.create({ name: 'Saved on SIGINT' });
  const st = await emu.stop('SIGINT');
  assert.deepEqual(st, { code: 0, sig: null });
  const json = JSON.parse(fs.readFileSync(path.join(emu.state, 'state.json'), 'utf8'));
  assert.ok(json.objects.product.some((x) => x.id === p.id));
});

test('a state file that does not parse stops the start with a clear message', emuOnly, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-bad-'));
  fs.writeFileSync(path.join(dir, 'state.json'), '{"objects": [truncated');
  await assert.rejects(startEmu({ state: dir }), /not valid JSON/);
  assert.equal(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'), '{"objects": [truncated');
});

test('the webhook receiver can call the API while its delivery is in flight', emuOnly, async () => {
  const SECRET = 'whsec_callback_secret';
  let api;
  const hook = await startWebhookServer(SECRET, {
    onEvent: async (ev) => (ev.type === 'checkout.session.completed'
      ? api.checkout.sessions.retrieve(ev.data.object.id, { expand: ['line_items'] }) : null),
  });
  const emu = await startEmu({ args: ['--webhook', hook.url, '--webhook-secret', SECRET] });
  api = emu.stripe;
  const price = await api.prices.create({ currency: 'gbp', unit_amount: 750, product_data: { name: 'Scone' } });
  const s = await api.checkout.sessions.create({ mode: 'payment', success_url: 'http://shop.test/ok', line_items: [{ price: price.id, quantity: 1 }] });
  assert.equal((await payForm(s.url, CARD)).status, 303);
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
  assert.equal(hit.extra.payment_status, 'paid');
  assert.equal(hit.extra.line_items.data[0].description, 'Scone');
  await emu.stop();
  await hook.close();
});

test('without --webhook-secret a secret is generated into STATE/webhook_secret (0600)', emuOnly, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-sec-'));
  const emu = await startEmu({ state: dir, args: ['--webhook', 'http://127.0.0.1:9/none'] });
  const file = path.join(dir, 'webhook_secret');
  assert.match(fs.readFileSync(file, 'utf8'), /^whsec_[A-Za-z0-9]{32}\n$/);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.ok(!emu.log().includes(fs.readFileSync(file, 'utf8').trim()), 'secret never logged');
  await emu.stop();
});
