// The hosted payment page, all of it, posted as a browser would (plain form POSTs): every
// test card with Stripe's decline code and message, checks made before paying, 3-D Secure,
// the delayed bank debit and its async events (settled by moving the emulator's clock), a
// 100 %-off session, and redemptions counted on every path. Emulator only.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startEmu, startWebhookServer, raw, payForm, CARD } = require('./emu');

const SECRET = 'whsec_hosted_page_secret_0123456789';
const only = { skip: process.env.STRIPE_LIVE === '1' ? 'emulator only' : false };
const SUCCESS = 'http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}';
let emu;
let hook;
let stripe;
let price;

test.before(async () => {
  if (only.skip) return;
  hook = await startWebhookServer(SECRET);
  emu = await startEmu({ args: ['--webhook', hook.url, '--webhook-secret', SECRET] });
  stripe = emu.stripe;
  price = await stripe.prices.create({ currency: 'usd', unit_amount: 2500, product_data: { name: 'Kettle' } });
});
test.after(async () => {
  if (only.skip) return;
  await emu.stop();
  await hook.close();
});

const newSession = (extra = {}) => stripe.checkout.sessions.create({
  mode: 'payment', success_url: SUCCESS, cancel_url: 'http://shop.test/cart',
  line_items: [{ price: price.id, quantity: 1 }], ...extra,
});
const BANK = { email: 'bank@example.com', billingName: 'Bea Bank', method: 'bank' };
const advance = (secs) => raw(emu, 'POST', '/_emu/clock', `advance=${secs}`);
// The error box: {code, text} (text with the page's HTML escapes undone).
async function errorBox(res) {
  const html = await res.text();
  const m = html.match(/<div class="error" id="error" role="alert" data-code="([^"]*)">([^<]*)<\/div>/);
  assert.ok(m, 'the page shows an error');
  return { code: m[1], text: m[2].replace(/&#39;/g, "'").replace(/&amp;/g, '&'), html };
}
const completedEvents = async (id, type = 'checkout.session.completed') =>
  (await stripe.events.list({ type, limit: 100 })).data.filter((e) => e.data.object.id === id);

test('every declining test card: Stripe code and message, session open, no event', only, async () => {
  const s = await newSession();
  const cards = [
    ['4000 0000 0000 0002', 'generic_decline', 'Your card was declined.'],
    ['4000 0000 0000 9995', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['4000 0000 0000 9987', 'lost_card', 'Your card was declined.'],
    ['4000 0000 0000 9979', 'stolen_card', 'Your card was declined.'],
    ['4000 0000 0000 0069', 'expired_card', 'Your card has expired.'],
    ['4000 0000 0000 0127', 'incorrect_cvc', "Your card's security code is incorrect."],
    ['4000 0000 0000 0119', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'],
    ['4242 4242 4242 4241', 'incorrect_number', 'Your card number is incorrect.'],
    ['4111 1111 1111 1111', 'card_declined', /non test card/],
  ];
  for (const [number, code, message] of cards) {
    const res = await payForm(s.url, { ...CARD, cardNumber: number });
    assert.equal(res.status, 402, number);
    const box = await errorBox(res);
    assert.equal(box.code, code, number);
    if (message instanceof RegExp) assert.match(box.text, message, number);
    else assert.equal(box.text, message, number);
    assert.match(box.html, /value="buyer@example.com"/, 'what the payer typed is kept');
    assert.match(box.html, /value="Ada Buyer"/);
  }
  const now = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(now.status, 'open');
  assert.equal(now.payment_status, 'unpaid');
  assert.equal(now.payment_intent, null);
  assert.deepEqual(await completedEvents(s.id), []);
});

test('checks before paying: incomplete number, past expiry, bad CVC', only, async () => {
  const s = await newSession();
  const d = new Date();
  const lastMonth = d.getUTCMonth() === 0 ? null : `${String(d.getUTCMonth()).padStart(2, '0')}/${String(d.getUTCFullYear() % 100)}`;
  const cases = [
    [{ cardNumber: '4242 4242' }, 'incomplete_number', /incomplete/],
    [{ cardNumber: '4242-4242-4242-424x' }, 'invalid_number', /invalid/],
    [{ cardExpiry: '01 / 20' }, 'invalid_expiry_year_past', /expiration year is in the past/],
    [{ cardExpiry: '13 / 40' }, 'invalid_expiry_month', /invalid/],
    [{ cardExpiry: '12' }, 'incomplete_expiry', /incomplete/],
    [{ cardCvc: '12' }, 'incomplete_cvc', /security code is incomplete/],
  ];
  if (lastMonth) cases.push([{ cardExpiry: lastMonth }, 'invalid_expiry_month_past', /expiration date is in the past/]);
  for (const [fields, code, re] of cases) {
    const res = await payForm(s.url, { ...CARD, ...fields });
    assert.equal(res.status, 402, JSON.stringify(fields));
    const box = await errorBox(res);
    assert.equal(box.code, code, JSON.stringify(fields));
    assert.match(box.text, re);
  }
  // the current month is still good, and a four-digit year works
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const ok = await payForm(s.url, { ...CARD, cardExpiry: `${mm}/${d.getUTCFullYear()}`, cardNumber: '5555 5555 5555 4444' });
  assert.equal(ok.status, 303);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).payment_status, 'paid');
});

test('3-D Secure: fail goes back to the form with an error, complete pays and sends the event', only, async () => {
  const s = await newSession();
  const challenge = await payForm(s.url, { ...CARD, cardNumber: '4000 0025 0000 3155' });
  assert.equal(challenge.status, 200);
  const page = await challenge.text();
  assert.match(page, /3D Secure/);
  assert.match(page, /<button type="submit" id="complete"/);
  assert.match(page, /<button type="submit" id="fail"/);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).status, 'open', 'nothing is paid during the challenge');
  const fail = await payForm(s.url, { action: '3ds_fail' });
  assert.equal(fail.status, 402);
  const box = await errorBox(fail);
  assert.equal(box.code, 'payment_intent_authentication_failure');
  assert.match(box.text, /unable to authenticate your payment method/);
  assert.match(box.html, /id="cardNumber"/, 'back on the form');
  assert.equal((await payForm(s.url, { action: '3ds_complete' })).status, 400, 'no challenge left to complete');
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).status, 'open');
  await payForm(s.url, { ...CARD, cardNumber: '4000002500003155' });
  const done = await payForm(s.url, { action: '3ds_complete' });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), `http://shop.test/ok?session_id=${s.id}`);
  const paid = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(paid.payment_status, 'paid');
  assert.equal(paid.payment_intent.status, 'succeeded');
  await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
});

test('the form offers card (default) or bank transfer, each with labelled fields', only, async () => {
  const s = await newSession();
  const html = await (await fetch(s.url)).text();
  assert.match(html, /<input type="radio" name="method" value="card" id="methodCard" checked>/);
  assert.match(html, /<label for="methodCard"[^>]*>Card<\/label>/);
  assert.match(html, /<input type="radio" name="method" value="bank" id="methodBank">/);
  assert.match(html, /<label for="methodBank"[^>]*>Bank transfer \(confirms later\)<\/label>/);
  assert.match(html, /<label for="bankAccount">Account number<\/label><input id="bankAccount" name="bankAccount"/);
  assert.match(html, /#methodCard:checked~#bankFields/, 'the unchosen fields are hidden by CSS, no script');
  assert.doesNotMatch(html, /<script/);
  // a refused bank payment comes back with bank still chosen
  const bad = await payForm(s.url, { ...BANK, bankAccount: '000000000000' });
  assert.equal(bad.status, 402);
  const box = await errorBox(bad);
  assert.equal(box.code, 'account_number_invalid');
  assert.match(box.html, /id="methodBank" checked/);
  // sessions limited to one method show only that one
  const cardOnly = await (await fetch((await newSession({ payment_method_types: ['card'] })).url)).text();
  assert.doesNotMatch(cardOnly, /id="bankAccount"|id="methodBank"/);
  assert.match(cardOnly, /id="cardNumber" name="cardNumber"[^>]*required/);
  const bankOnly = await newSession({ payment_method_types: ['us_bank_account'] });
  const bankHtml = await (await fetch(bankOnly.url)).text();
  assert.doesNotMatch(bankHtml, /id="cardNumber"|id="methodCard"/);
  assert.match(bankHtml, /<input type="hidden" name="method" value="bank">/);
  const byCard = await payForm(bankOnly.url, { ...CARD, method: 'card' });
  assert.equal(byCard.status, 400);
});

test('bank transfer that succeeds: complete and unpaid at once, paid 60 s later on the clock', only, async () => {
  const s = await newSession({ metadata: { order: 'bank-ok' } });
  const res = await payForm(s.url, { ...BANK, bankAccount: '0001 2345 6789' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `http://shop.test/ok?session_id=${s.id}`);
  const now = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(now.status, 'complete');
  assert.equal(now.payment_status, 'unpaid');
  assert.equal(now.url, null);
  assert.match(now.payment_intent.id, /^pi_/);
  assert.equal(now.payment_intent.status, 'processing');
  assert.deepEqual(now.payment_intent.payment_method_types, ['us_bank_account']);
  assert.equal(now.payment_intent.amount, 2500);
  assert.equal(now.payment_intent.amount_received, 0);
  const completed = await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
  assert.equal(completed.event.data.object.payment_status, 'unpaid');
  const again = await fetch(s.url);
  assert.match(await again.text(), /being processed/);
  await advance(50);   // (not 59: real seconds pass too)
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).payment_status, 'unpaid', 'not due yet');
  assert.equal((await advance(10)).status, 200);
  const paid = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(paid.payment_status, 'paid');
  assert.equal(paid.status, 'complete');
  assert.equal(paid.payment_intent.status, 'succeeded');
  assert.equal(paid.payment_intent.amount_received, 2500);
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.async_payment_succeeded' && e.data.object.id === s.id);
  assert.equal(hit.event.data.object.payment_status, 'paid');
  assert.deepEqual(hit.event.data.object.metadata, { order: 'bank-ok' });
  assert.deepEqual(await completedEvents(s.id, 'checkout.session.async_payment_failed'), []);
});

test('bank transfer that fails: stays unpaid, payment intent back to requires_payment_method', only, async () => {
  const s = await newSession();
  assert.equal((await payForm(s.url, { ...BANK, bankAccount: '000111111116' })).status, 303);
  await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
  await advance(60);
  const after = await stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(after.status, 'complete');
  assert.equal(after.payment_status, 'unpaid');
  assert.equal(after.payment_intent.status, 'requires_payment_method');
  assert.equal(after.payment_intent.last_payment_error.code, 'no_account');
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.async_payment_failed' && e.data.object.id === s.id);
  assert.equal(hit.event.data.object.payment_status, 'unpaid');
  assert.deepEqual(await completedEvents(s.id, 'checkout.session.async_payment_succeeded'), []);
});

test('100 % off: no card fields, a Complete order button, no_payment_required, redemptions counted', only, async () => {
  const coupon = await stripe.coupons.create({ percent_off: 100, name: 'On the house' });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'FREEBIE' });
  const s = await newSession({ allow_promotion_codes: true });
  const applied = await payForm(s.url, { action: 'apply', promotionCode: 'freebie' });
  const html = await applied.text();
  assert.match(html, /<button type="submit" id="submit">Complete order<\/button>/);
  assert.doesNotMatch(html, /id="cardNumber"|id="methodCard"|id="bankAccount"/);
  assert.match(html, /<label for="billingName">Full name<\/label>/);
  assert.equal((await stripe.checkout.sessions.retrieve(s.id)).amount_total, 0);
  const res = await payForm(s.url, { email: 'free@example.com', billingName: 'Free Rider' });
  assert.equal(res.status, 303);
  const done = await stripe.checkout.sessions.retrieve(s.id);
  assert.equal(done.status, 'complete');
  assert.equal(done.payment_status, 'no_payment_required');
  assert.equal(done.payment_intent, null);
  assert.equal(done.total_details.amount_discount, 2500);
  const hit = await hook.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === s.id);
  assert.equal(hit.event.data.object.payment_status, 'no_payment_required');
  assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
  assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 1);
});

test('redemptions count on every path: card, 3-D Secure, bank (even when it later fails)', only, async () => {
  const coupon = await stripe.coupons.create({ amount_off: 500, currency: 'usd' });
  const promo = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  const withCode = () => newSession({ discounts: [{ promotion_code: promo.id }] });
  assert.equal((await payForm((await withCode()).url, CARD)).status, 303);
  const tds = await withCode();
  await payForm(tds.url, { ...CARD, cardNumber: '4000002500003155' });
  assert.equal((await payForm(tds.url, { action: '3ds_complete' })).status, 303);
  assert.equal((await payForm((await withCode()).url, { ...BANK, bankAccount: '000111111116' })).status, 303);
  assert.equal((await stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 3);
  assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 3);
  await advance(60);
  assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 3);
});
