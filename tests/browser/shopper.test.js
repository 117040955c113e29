// The whole shopper path in a real browser: register, fill the cart, change a quantity, apply a
// discount code, pay on the emulator's hosted page, see the order on the success page and in
// "My orders", log out and back in. Starts its own shop (src/scripts/run.sh) on test ports with
// a fresh data folder and stops it at the end. Screenshots of every page go to tests/artifacts/.
//
//   cd tests && node --test browser/
//
// Needs the built shop (make), nginx, spawn-fcgi and /usr/bin/chromium.

'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
const SHOP_PORT = process.env.SHOP_TEST_PORT || '18080';
const EMU_PORT = process.env.STRIPE_EMU_TEST_PORT || '12112';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let shop; // the run.sh child process
let shopLog = '';
let dataDir;
let base; // the shop's URL as run.sh prints it
let browser;
const problems = []; // page errors and CSP refusals seen in any page

/* ---------- the shop ---------- */

function startShop() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-browser-'));
  const env = { ...process.env, SHOP_DATA_DIR: dataDir, SHOP_PORT, STRIPE_EMU_PORT: EMU_PORT };
  // Always the local emulator, never a configured Stripe account.
  delete env.STRIPE_SECRET_KEY;
  delete env.STRIPE_API_BASE;
  delete env.SHOP_BASE_URL;
  shop = spawn('sh', ['src/scripts/run.sh'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the shop did not start within 60 s:\n${shopLog}`)), 60000);
    const onData = (chunk) => {
      shopLog += chunk;
      const m = shopLog.match(/shop is at (http:\/\/\S+)/);
      if (m && !base) {
        base = m[1].replace(/\/$/, '');
        clearTimeout(timer);
        resolve();
      }
    };
    shop.stdout.setEncoding('utf8').on('data', onData);
    shop.stderr.setEncoding('utf8').on('data', onData);
    shop.on('exit', (code) => {
      clearTimeout(timer);
      if (!base) reject(new Error(`run.sh exited with ${code} before the shop was up:\n${shopLog}`));
    });
  });
}

async function stopShop() {
  if (shop && shop.exitCode === null && shop.signalCode === null) {
    const exited = new Promise((resolve) => shop.once('exit', resolve));
    shop.kill('SIGTERM'); // run.sh stops nginx, the FastCGI processes and the emulator
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 20000));
    if (await Promise.race([exited, timeout]) === 'timeout') shop.kill('SIGKILL');
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'browser-shop.log'), shopLog);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

/* ---------- browser helpers ---------- */

async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(250); // let the toast and the badge animation settle
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Money text → its digits, so "1 234,50 kr" and "1234,50 kr" compare equal whatever the spaces. */
const digits = (s) => String(s).replace(/\D/g, '');
/** Öre → the digits the page shows for it (two decimals). */
const oreDigits = (n) => String(n).padStart(3, '0');

const cartLines = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('shop.cart') || '[]'));

/* ---------- the walk ---------- */

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of ['cgi-bin/checkout', 'build/stripe-emu', 'build/seed']) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run make first`);
  }
  await startShop();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, { timeout: 90000 });

after(async () => {
  if (browser) await browser.close();
  await stopShop();
}, { timeout: 60000 });

test('a shopper registers, buys two products with a discount code and finds the order', { timeout: 180000 }, async (t) => {
  const user = { name: 'Astrid Testsson', email: `astrid.${Date.now()}@example.com`, password: 'lingon-2024' };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await newPage(context);
  let sessionId;
  let expected; // {subtotal, discount, total} in öre

  await t.test('the catalogue shows products with prices and add buttons', async () => {
    await page.goto(`${base}/index.html`);
    await page.locator('[data-test=add-to-cart]').first().waitFor();
    assert.ok(await page.locator('[data-test=product]').count() >= 2, 'at least two products');
    assert.equal(await page.locator('#cart-count').textContent(), '0');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await shot(page, '01-index');
  });

  await t.test('registering logs the shopper in and returns to the shop', async () => {
    await page.click('#register-link');
    await page.waitForURL(/register\.html/);
    await page.click('#submit'); // empty form: the shopper is told what is missing
    assert.ok(await page.locator('#email-error').isVisible(), 'an empty email is flagged');
    await page.fill('#name', user.name);
    await page.fill('#email', user.email);
    await page.fill('#password', user.password);
    await shot(page, '02-register');
    await page.click('#submit');
    await page.waitForURL(/index\.html/);
    await page.locator('#who').waitFor();
    assert.match(await page.locator('#who').textContent(), /Astrid/);
  });

  await t.test('adding two products fills the cart and the header count', async () => {
    const add = page.locator('[data-test=add-to-cart]');
    await add.nth(0).click();
    await add.nth(1).click();
    assert.equal(await page.locator('#cart-count').textContent(), '2');
    await shot(page, '03-index-added');
  });

  await t.test('changing a quantity updates the line, the count and the subtotal', async () => {
    await page.click('#cart-link');
    await page.waitForURL(/cart\.html/);
    await page.locator('[data-test=cart-line]').first().waitFor();
    assert.equal(await page.locator('[data-test=cart-line]').count(), 2);
    await page.locator('[data-test=qty-inc]').first().click();
    assert.equal(await page.locator('[data-test=qty]').first().inputValue(), '2');
    assert.equal(await page.locator('#cart-count').textContent(), '3');
    const lines = await cartLines(page);
    assert.deepEqual(lines.map((l) => l.quantity), [2, 1]);
    const subtotal = lines.reduce((s, l) => s + l.unit_amount * l.quantity, 0);
    assert.equal(digits(await page.locator('#subtotal').textContent()), oreDigits(subtotal));
    assert.equal(digits(await page.locator('[data-test=line-total]').first().textContent()),
      oreDigits(lines[0].unit_amount * 2));
    expected = { subtotal, discount: Math.round(subtotal / 10) };
    expected.total = subtotal - expected.discount;
  });

  await t.test('an unknown discount code is refused in words', async () => {
    await page.fill('#promo-code', 'NOSUCHCODE');
    await page.click('#apply-promo');
    await page.locator('[data-test=promo-error]').waitFor();
    assert.match(await page.locator('[data-test=promo-error]').textContent(), /discount code/i);
    assert.ok(await page.locator('#discount-line').isHidden());
    await shot(page, '04-cart-bad-code');
  });

  await t.test('SAVE10 previews 10 % off and the new total', async () => {
    await page.fill('#promo-code', 'save10');
    await page.click('#apply-promo');
    await page.locator('[data-test=promo-applied]').waitFor();
    assert.ok(await page.locator('#discount-line').isVisible());
    assert.match(await page.locator('#discount-label').textContent(), /SAVE10/);
    assert.equal(digits(await page.locator('#discount').textContent()), oreDigits(expected.discount));
    assert.equal(digits(await page.locator('#total').textContent()), oreDigits(expected.total));
    await shot(page, '05-cart-discount');
  });

  await t.test('checkout leads to the hosted payment page, which takes the test card', async () => {
    await page.click('#checkout');
    await page.waitForURL((u) => !u.toString().startsWith(base), { timeout: 30000 });
    await page.locator('#cardNumber').waitFor();
    await shot(page, '06-payment-page');
    const email = page.locator('#email');
    if (await email.count() && await email.isEditable() && !(await email.inputValue())) await email.fill(user.email);
    await page.fill('#cardNumber', '4242 4242 4242 4242');
    await page.fill('#cardExpiry', '12/34');
    await page.fill('#cardCvc', '123');
    await page.fill('#billingName', user.name);
    await page.click('#submit');
    await page.waitForURL(/success\.html\?session_id=cs_/, { timeout: 30000 });
    sessionId = new URL(page.url()).searchParams.get('session_id');
  });

  await t.test('the success page shows the paid order with the discount and empties the cart', async () => {
    const order = page.locator('[data-test=order]');
    await order.waitFor({ timeout: 20000 });
    assert.equal(await order.getAttribute('data-order-id'), sessionId);
    assert.equal(await page.locator('[data-test=order-item]').count(), 2);
    assert.match(await page.locator('[data-test=order-discount]').textContent(), /SAVE10/);
    assert.equal(digits(await page.locator('[data-test=order-discount] dd').textContent()), oreDigits(expected.discount));
    assert.equal(digits(await page.locator('[data-test=order-total]').textContent()), oreDigits(expected.total));
    assert.match(await page.locator('[data-test=order-status]').textContent(), /paid/i);
    assert.equal(await page.locator('#cart-count').textContent(), '0');
    assert.deepEqual(await cartLines(page), []);
    await shot(page, '07-success');
  });

  await t.test('"My orders" lists the order, newest first', async () => {
    await page.click('.orders-link');
    await page.waitForURL(/orders\.html/);
    const first = page.locator('[data-test=order]').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('data-order-id'), sessionId);
    assert.match(await first.locator('[data-test=order-discount]').textContent(), /SAVE10/);
    assert.equal(digits(await first.locator('[data-test=order-total]').textContent()), oreDigits(expected.total));
    await shot(page, '08-orders');
  });

  await t.test('after logging out, "My orders" asks for a login and comes back after it', async () => {
    await page.click('#logout');
    await page.waitForURL(/index\.html/);
    await page.locator('#login-link').waitFor();
    await page.goto(`${base}/orders.html`);
    await page.waitForURL(/login\.html\?next=orders\.html/);
    await page.fill('#email', user.email);
    await page.fill('#password', 'wrong-password');
    await page.click('#submit');
    await page.locator('#auth-status .notice-error').waitFor();
    await shot(page, '09-login-wrong-password');
    await page.fill('#password', user.password);
    await page.click('#submit');
    await page.waitForURL(/orders\.html/);
    await page.locator('[data-test=order]').first().waitFor();
  });

  await t.test('the language switch turns the page Swedish and is remembered', async () => {
    await page.click('.lang-switch [data-lang=sv]');
    assert.equal(await page.getAttribute('html', 'lang'), 'sv');
    assert.match(await page.locator('h1').textContent(), /Mina beställningar/);
    await page.goto(`${base}/cancel.html`);
    assert.equal(await page.getAttribute('html', 'lang'), 'sv');
    await shot(page, '10-cancel-sv');
  });

  await t.test('every page fits a 375 px phone screen without sideways scrolling', async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 812 }, locale: 'sv-SE', storageState: await context.storageState(),
    });
    const p = await newPage(phone);
    const pages = [
      ['cart.html', '#cart-empty'],
      ['index.html', '[data-test=add-to-cart]'],
      ['login.html', '#email'],
      ['register.html', '#name'],
      [`success.html?session_id=${sessionId}`, '[data-test=order]'],
      ['orders.html', '[data-test=order]'],
      ['cancel.html', '#back-to-cart'],
    ];
    for (const [url, ready] of pages) {
      await p.goto(`${base}/${url}`);
      await p.locator(ready).first().waitFor();
      const name = url.replace(/\.html.*/, '');
      if (name === 'index') {
        await p.locator('[data-test=add-to-cart]').nth(2).click();
        await p.locator('[data-test=add-to-cart]').nth(3).click();
      }
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow} px at 375 px`);
      await shot(p, `phone-${name}`);
      if (name === 'index') {
        await p.goto(`${base}/cart.html`);
        await p.locator('[data-test=cart-line]').first().waitFor();
        await shot(p, 'phone-cart-full');
      }
    }
    await phone.close();
  });

  await context.close();
  assert.deepEqual(problems, [], 'no script errors and nothing refused by the Content-Security-Policy');
});

test('the cart copes with being logged out, a code that does not apply, an item no longer sold and an unpaid return', { timeout: 180000 }, async (t) => {
  const user = { name: 'Bo Kantfall', email: `bo.${Date.now()}@example.com`, password: 'hjortron-77' };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await newPage(context);
  let sessionId;

  await t.test('checkout while logged out goes to the login page, and registering returns to the cart', async () => {
    await page.goto(`${base}/index.html`);
    const add = page.locator('[data-test=add-to-cart]');
    await add.nth(2).click();
    await add.nth(5).click();
    await page.goto(`${base}/cart.html`);
    await page.locator('#checkout-status .notice-info').waitFor(); // "log in to pay"
    await page.click('#checkout');
    await page.waitForURL(/login\.html\?next=cart\.html/);
    await page.click('#switch-link'); // "create account" keeps ?next=
    await page.waitForURL(/register\.html\?next=cart\.html/);
    await page.fill('#name', user.name);
    await page.fill('#email', user.email);
    await page.fill('#password', user.password);
    await page.click('#submit');
    await page.waitForURL(/cart\.html$/);
    await page.locator('[data-test=cart-line]').first().waitFor();
    assert.equal(await page.locator('[data-test=cart-line]').count(), 2);
  });

  await t.test('BIG100 on a small cart says it needs an order of 500 kr', async () => {
    await page.fill('#promo-code', 'BIG100');
    await page.click('#apply-promo');
    const err = page.locator('[data-test=promo-error]');
    await err.waitFor();
    assert.match(await err.textContent(), /500,00/);
    assert.ok(await page.locator('#discount-line').isHidden());
    await shot(page, '11-cart-code-not-applicable');
    await page.fill('#promo-code', '');
  });

  await t.test('an item whose price was withdrawn is named, and can be removed', async () => {
    const lines = await cartLines(page);
    const gone = lines[1];
    // The shop owner withdraws the price in the (emulated) Stripe dashboard.
    const res = await fetch(`http://127.0.0.1:${EMU_PORT}/v1/prices/${gone.price}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test_browser', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'active=false',
    });
    assert.equal(res.status, 200, await res.text());
    await page.click('#checkout');
    const notice = page.locator('[data-test=unavailable]');
    await notice.waitFor();
    assert.equal(await notice.count(), 1);
    assert.match(await notice.textContent(), new RegExp(gone.name));
    assert.match(await page.locator('#checkout-status').textContent(), new RegExp(gone.name));
    await shot(page, '12-cart-price-unavailable');
    await notice.locator('button').click();
    assert.equal(await page.locator('[data-test=cart-line]').count(), 1);
    assert.equal(await page.locator('#cart-count').textContent(), '1');
    assert.equal(await page.locator('#checkout-status').textContent(), '');
  });

  await t.test('going back from the payment page keeps the cart', async () => {
    await page.click('#checkout');
    await page.waitForURL((u) => !u.toString().startsWith(base), { timeout: 30000 });
    sessionId = (page.url().match(/cs_[A-Za-z0-9_]+/) || [])[0];
    await page.click('#cancel');
    await page.waitForURL(/cancel\.html/);
    assert.equal(await page.locator('#cart-count').textContent(), '1');
  });

  await t.test('returning to the success page without paying says the payment is not confirmed', async () => {
    assert.ok(sessionId, 'the payment page URL names its session');
    await page.goto(`${base}/success.html?session_id=${sessionId}`);
    const notice = page.locator('#success-status .notice');
    await notice.waitFor({ timeout: 20000 });
    assert.match(await notice.textContent(), /not confirmed yet/i);
    assert.ok(await page.locator('#retry').isVisible());
    assert.equal(await page.locator('#cart-count').textContent(), '1', 'the cart is kept');
    await shot(page, '13-success-not-confirmed');
  });

  await context.close();
  assert.deepEqual(problems, [], 'no script errors and nothing refused by the Content-Security-Policy');
});

test('a bank transfer that confirms later: the shopper is told it is processing, then sees the order', { timeout: 120000 }, async (t) => {
  const user = { name: 'Cilla Banksson', email: `cilla.${Date.now()}@example.com`, password: 'vinbär-2025' };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await newPage(context);
  let sessionId;

  await t.test('she registers, fills the cart and pays by bank transfer', async () => {
    await page.goto(`${base}/register.html`);
    await page.fill('#name', user.name);
    await page.fill('#email', user.email);
    await page.fill('#password', user.password);
    await page.click('#submit');
    await page.waitForURL(/index\.html/);
    await page.locator('[data-test=add-to-cart]').nth(3).click();
    await page.goto(`${base}/cart.html`);
    await page.click('#checkout');
    await page.waitForURL((u) => !u.toString().startsWith(base), { timeout: 30000 });
    await page.check('#methodBank');
    await page.fill('#bankAccount', '000123456789');
    await page.fill('#billingName', user.name);
    await page.click('#submit');
    await page.waitForURL(/success\.html\?session_id=cs_/, { timeout: 30000 });
    sessionId = new URL(page.url()).searchParams.get('session_id');
  });

  await t.test('the success page says the payment is being processed, not that it is an order', async () => {
    const notice = page.locator('#success-status .notice');
    await notice.waitFor({ timeout: 20000 });
    assert.match(await notice.textContent(), /being processed/i);
    assert.equal(await page.locator('[data-test=order]').count(), 0);
    await shot(page, '14-success-processing');
  });

  await t.test('"My orders" lists the payment as processing', async () => {
    await page.goto(`${base}/orders.html`);
    const pending = page.locator('[data-test=pending-payment]');
    await pending.first().waitFor({ timeout: 20000 });
    assert.match(await pending.first().textContent(), /being processed/i);
    await shot(page, '15-orders-processing');
  });

  await t.test('once the bank confirms, the order is in "My orders"', async () => {
    // The emulator's clock moves a minute on: the transfer settles and its webhook arrives.
    const r = await fetch(`http://127.0.0.1:${EMU_PORT}/_emu/clock`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test_browser', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'advance=61',
    });
    assert.equal(r.status, 200);
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      await page.goto(`${base}/orders.html`);
      await page.locator('[data-test=order], [data-test=pending-payment]').first().waitFor();
      found = await page.locator(`[data-test=order][data-order-id="${sessionId}"]`).count() === 1;
      if (!found) await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(found, 'the order appears once the payment is confirmed');
    assert.equal(await page.locator('[data-test=pending-payment]').count(), 0);
    await shot(page, '16-orders-confirmed');
  });

  await context.close();
  assert.deepEqual(problems, [], 'no script errors and nothing refused by the Content-Security-Policy');
});
