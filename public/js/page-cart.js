// cart.html: the cart lines, a discount code previewed by the server, and checkout.

import {
  start, api, el, t, lang, money, errorText, message, loadCart, saveCart, setQuantity, removeLine, clampQty,
  getPromo, setPromo, loginUrl, onUser, onLangChange, toast, MAX_QTY,
} from './shop.js';

const $ = (id) => document.getElementById(id);
const listEl = $('cart-lines');
const promoInput = $('promo-code');
const promoStatus = $('promo-status');
const checkoutBtn = $('checkout');
const checkoutStatus = $('checkout-status');

let lines = loadCart();
const unavailable = new Set(); // price ids the server said are no longer sold
const lineErrors = new Map(); // price id → error object for that line

// The discount code: `code` is what the shopper applied (kept across the login round trip);
// `preview` is the server's answer for the cart as it is now, null while (re)checking.
const promo = { code: getPromo(), preview: null, error: null, checking: false, seq: 0, timer: 0 };
let loggedIn = null;
let busy = false;

function items() {
  return lines.map((l) => ({ price: l.price, quantity: l.quantity }));
}

function currencies() {
  return [...new Set(lines.map((l) => String(l.currency || 'sek').toLowerCase()))];
}

function subtotalText() {
  return currencies().map((c) => money(lines.filter((l) => String(l.currency || 'sek').toLowerCase() === c)
    .reduce((s, l) => s + l.unit_amount * l.quantity, 0), c)).join(' + ');
}

/* ---------- lines ---------- */

function lineNode(line, i) {
  const id = `qty-${i}`;
  const input = el('input', {
    id, type: 'number', inputmode: 'numeric', min: '1', max: String(MAX_QTY), step: '1',
    value: String(line.quantity), class: 'qty-input', dataset: { test: 'qty' },
  });
  const dec = el('button', { type: 'button', class: 'qty-btn', dataset: { test: 'qty-dec' }, 'aria-label': t('cart.decrease', { name: line.name }) }, '−');
  const inc = el('button', { type: 'button', class: 'qty-btn', dataset: { test: 'qty-inc' }, 'aria-label': t('cart.increase', { name: line.name }) }, '+');
  const total = el('p', { class: 'line-total amount', dataset: { test: 'line-total' } });
  const li = el('li', { class: 'cart-line', dataset: { test: 'cart-line', price: line.price } },
    el('div', { class: 'line-media' }, line.image ? el('img', { src: line.image, alt: '', width: '96', height: '72' }) : null),
    el('div', { class: 'line-info' },
      el('h3', { class: 'line-name' }, line.name),
      el('p', { class: 'muted line-unit' }, t('cart.unitPrice', { price: money(line.unit_amount, line.currency) }))),
    el('div', { class: 'qty', role: 'group', 'aria-label': t('cart.quantityFor', { name: line.name }) },
      el('label', { for: id, class: 'visually-hidden' }, t('cart.quantityFor', { name: line.name })),
      dec, input, inc),
    total,
    el('button', {
      type: 'button', class: 'btn-link remove', dataset: { test: 'remove' },
      'aria-label': t('cart.removeItem', { name: line.name }), onclick: () => remove(line),
    }, t('cart.remove')),
    lineNotice(line));

  const show = () => {
    input.value = String(line.quantity);
    dec.disabled = line.quantity <= 1;
    inc.disabled = line.quantity >= MAX_QTY;
    total.textContent = money(line.unit_amount * line.quantity, line.currency);
  };
  const change = (q, { typing = false } = {}) => {
    const n = clampQty(q);
    if (!typing) input.value = String(n);
    if (n === line.quantity) return;
    line.quantity = n;
    setQuantity(line.price, n);
    lineErrors.delete(line.price);
    if (!typing) show(); else { dec.disabled = n <= 1; inc.disabled = n >= MAX_QTY; total.textContent = money(line.unit_amount * n, line.currency); }
    cartChanged();
  };
  dec.addEventListener('click', () => change(line.quantity - 1));
  inc.addEventListener('click', () => {
    if (line.quantity >= MAX_QTY) { toast(t('cart.maxQty'), 'error'); return; }
    change(line.quantity + 1);
  });
  // While typing, take whole numbers in range at once; settle anything else on change/blur.
  input.addEventListener('input', () => {
    const v = input.value.trim();
    if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_QTY) change(Number(v), { typing: true });
  });
  input.addEventListener('change', () => change(input.value === '' ? line.quantity : input.value));
  show();
  return li;
}

function lineNotice(line) {
  if (unavailable.has(line.price)) {
    return el('div', { class: 'line-notice notice notice-error', role: 'alert', dataset: { test: 'unavailable' } },
      el('p', {}, t('cart.unavailable', { name: line.name })),
      el('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => remove(line) },
        t('cart.unavailableRemove', { name: line.name })));
  }
  const err = lineErrors.get(line.price);
  if (err) return el('div', { class: 'line-notice notice notice-error', role: 'alert' }, el('p', {}, errorText(err)));
  return null;
}

function renderAll() {
  const empty = lines.length === 0;
  $('cart-empty').hidden = !empty;
  $('cart-full').hidden = empty;
  listEl.replaceChildren(...lines.map(lineNode));
  renderSummary();
}

function remove(line) {
  removeLine(line.price);
  lines = loadCart();
  unavailable.delete(line.price);
  lineErrors.delete(line.price);
  toast(t('cart.removed', { name: line.name }));
  if (checkoutStatus.dataset.price === line.price) clearCheckoutStatus();
  renderAll();
  cartChanged({ rerendered: true });
  const h1 = document.querySelector('h1');
  h1.tabIndex = -1;
  h1.focus();
}

/* ---------- summary, discount code ---------- */

function renderSummary() {
  const mixed = currencies().length > 1;
  const p = promo.preview;
  $('subtotal').textContent = p ? money(p.subtotal, p.currency) : subtotalText();
  const dl = $('discount-line');
  dl.hidden = !p || !(Number(p.discount) > 0);
  if (p) {
    $('discount-label').textContent = `${t('cart.discount')} (${p.code || promo.code})`;
    $('discount').textContent = `−${money(p.discount, p.currency)}`;
  }
  $('total').textContent = p ? money(p.total, p.currency) : subtotalText();
  renderPromoStatus();
  if (!busy) checkoutBtn.disabled = lines.length === 0 || mixed;
  // The notice above the checkout button: an error from the last attempt stays until the next one;
  // the hints (mixed currencies, please log in) follow the state of the cart and the login.
  const kind = checkoutStatus.dataset.kind;
  if (kind === 'error') return;
  if (mixed) showCheckoutNotice('mixed', 'error', t('cart.mixedCurrency'));
  else if (loggedIn === false && lines.length) showCheckoutNotice('login', 'info', t('cart.loginFirst'));
  else if (kind) clearCheckoutStatus();
}

/** tag says why the notice is there: "error" (from the server), "mixed" or "login" (hints). */
function showCheckoutNotice(tag, kind, text, ...actions) {
  message(checkoutStatus, kind, text, ...actions);
  checkoutStatus.dataset.kind = tag;
}

function clearCheckoutStatus() {
  checkoutStatus.replaceChildren();
  delete checkoutStatus.dataset.kind;
  delete checkoutStatus.dataset.price;
}

function renderPromoStatus() {
  if (promo.checking) {
    promoStatus.replaceChildren(el('p', { class: 'loading small' }, t('cart.promoChecking')));
  } else if (promo.preview) {
    const p = promo.preview;
    promoStatus.replaceChildren(el('div', { class: 'promo-applied', dataset: { test: 'promo-applied' } },
      el('span', { class: 'promo-chip' }, '✓ ', p.code || promo.code),
      el('span', { class: 'promo-desc' }, promoDescription(p)),
      el('button', { type: 'button', class: 'btn-link', id: 'remove-promo', onclick: clearPromo }, t('cart.promoRemove'))));
  } else if (promo.error) {
    const login = promo.error.code === 'not_logged_in';
    promoStatus.replaceChildren(el('div', { class: 'field-error', role: 'alert', dataset: { test: 'promo-error' } },
      login ? t('cart.promoLogin') : promoErrorText(promo.error),
      login ? [' ', el('a', { href: loginUrl('cart.html') }, t('nav.login'))] : null));
  } else {
    promoStatus.replaceChildren();
  }
  promoInput.setAttribute('aria-invalid', promo.error ? 'true' : 'false');
}

// The server explains a refused code in English; known reasons are said in the shopper's language.
const promoReasons = [
  [/no longer valid/i, () => t('promo.invalid')],
  [/expired/i, () => t('promo.expired')],
  [/used up/i, () => t('promo.usedUp')],
  [/another customer/i, () => t('promo.otherCustomer')],
  [/at least (\d+)\.(\d\d) ([a-z]{3})/i, (m) => t('promo.minimum', { amount: money(Number(m[1]) * 100 + Number(m[2]), m[3]) })],
  [/first order/i, () => t('promo.firstOrder')],
  [/another currency/i, () => t('promo.otherCurrency')],
];

function promoErrorText(error) {
  if (error.code === 'promotion_code_not_applicable' && error.message) {
    for (const [re, say] of promoReasons) {
      const m = error.message.match(re);
      if (m) return say(m);
    }
  }
  return errorText(error);
}

/** "10 % off" or "50,00 kr off" in the shopper's language, from the server's numbers. */
function promoDescription(p) {
  const pct = String(p.description || '').match(/^(\d+(?:\.\d+)?) ?% off$/);
  if (pct) return t('promo.percentOff', { pct: pct[1].replace('.', lang() === 'sv' ? ',' : '.') });
  return t('promo.amountOff', { amount: money(p.discount, p.currency) });
}

function clearPromo() {
  promo.code = null;
  promo.preview = null;
  promo.error = null;
  promo.checking = false;
  promo.seq += 1;
  setPromo(null);
  promoInput.value = '';
  renderSummary();
  promoInput.focus();
}

async function checkPromo(code) {
  const seq = ++promo.seq;
  promo.checking = true;
  promo.preview = null;
  promo.error = null;
  renderSummary();
  const r = await api('POST', '/api/checkout', { items: items(), promotion_code: code, preview: true });
  if (seq !== promo.seq) return; // the cart or the code changed meanwhile; a newer check is on its way
  promo.checking = false;
  if (r.ok && r.data && r.data.preview) {
    promo.code = code;
    promo.preview = r.data.preview;
    setPromo(code);
  } else {
    promo.code = null;
    setPromo(null);
    promo.error = r.error;
    if (r.status === 401) promo.error = { code: 'not_logged_in' };
    if (itemError(r.error)) promo.error = null; // shown on the line instead
  }
  renderSummary();
}

// Once the shopper edits the code, the complaint about the previous one no longer applies.
promoInput.addEventListener('input', () => {
  if (promo.error) { promo.error = null; renderPromoStatus(); }
});

$('promo-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const code = promoInput.value.trim();
  if (!code) {
    promo.error = { code: 'promo_empty', message: t('cart.promoEmpty') };
    promo.preview = null;
    renderSummary();
    promoInput.focus();
    return;
  }
  if (lines.length === 0) return;
  checkPromo(code);
});

/** After any change of the cart: re-check an applied code against the new contents. */
function cartChanged({ rerendered = false } = {}) {
  if (!rerendered) renderSummary();
  clearTimeout(promo.timer);
  if (promo.code && lines.length) {
    promo.preview = null;
    promo.checking = true;
    promo.seq += 1;
    renderSummary();
    const code = promo.code;
    promo.timer = setTimeout(() => checkPromo(code), 450);
  }
}

/* ---------- errors about one line: items[i].price / items[i].quantity ---------- */

function itemError(error) {
  const m = error && typeof error.param === 'string' && error.param.match(/^items\[(\d+)\]/);
  const line = m && lines[Number(m[1])];
  if (!line) return null;
  if (error.code === 'price_unavailable') unavailable.add(line.price);
  else lineErrors.set(line.price, error);
  renderAll();
  return line;
}

/* ---------- checkout ---------- */

async function checkout() {
  if (busy || lines.length === 0) return;
  if (loggedIn === false) { location.href = loginUrl('cart.html'); return; }
  clearCheckoutStatus();
  if (promo.error) { promo.error = null; renderPromoStatus(); }
  const code = promo.code || promoInput.value.trim() || null;
  const body = { items: items() };
  if (code) body.promotion_code = code;
  busy = true;
  checkoutBtn.disabled = true;
  checkoutBtn.textContent = t('cart.redirecting');
  checkoutBtn.classList.add('working');
  const r = await api('POST', '/api/checkout', body);
  if (r.ok && r.data && r.data.url) {
    location.href = r.data.url;
    // Back/forward cache may bring this page back as it is: make the button usable again then.
    window.addEventListener('pageshow', resetButton, { once: true });
    return;
  }
  resetButton();
  if (r.status === 401) { location.href = loginUrl('cart.html'); return; }
  const line = itemError(r.error);
  if (line && r.error.code === 'price_unavailable') {
    showCheckoutNotice('error', 'error', t('cart.unavailable', { name: line.name }),
      el('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => remove(line) },
        t('cart.unavailableRemove', { name: line.name })));
    checkoutStatus.dataset.price = line.price;
  } else if (r.error && r.error.code === 'price_unavailable') {
    showCheckoutNotice('error', 'error', errorText(r.error.message ? { message: r.error.message } : r.error));
  } else if (r.error && (r.error.param === 'promotion_code' || /^promotion_code/.test(r.error.code || ''))) {
    promo.code = null;
    promo.preview = null;
    promo.error = r.error;
    setPromo(null);
    renderSummary();
    promoInput.focus();
  } else if (!line) {
    showCheckoutNotice('error', 'error', errorText(r.error));
  }
}

function resetButton() {
  busy = false;
  checkoutBtn.textContent = t('cart.checkout');
  checkoutBtn.classList.remove('working');
  checkoutBtn.disabled = lines.length === 0 || currencies().length > 1;
}

checkoutBtn.addEventListener('click', checkout);

/* ---------- start ---------- */

// Fresh names and prices from the catalogue, so the cart shows what the server will charge.
async function refreshFromCatalogue() {
  const r = await api('GET', '/api/products');
  if (!r.ok || !r.data || !Array.isArray(r.data.products)) return;
  const byPrice = new Map(r.data.products.filter((p) => p && p.price).map((p) => [p.price.id, p]));
  let changed = false;
  for (const l of lines) {
    const p = byPrice.get(l.price);
    if (!p) continue;
    const fresh = { name: p.name, unit_amount: p.price.unit_amount, currency: p.price.currency, image: (p.images && p.images[0]) || l.image };
    for (const [k, v] of Object.entries(fresh)) if (v !== undefined && l[k] !== v) { l[k] = v; changed = true; }
  }
  if (changed) { saveCart(lines); renderAll(); cartChanged({ rerendered: true }); }
}

start();
onUser((u) => { loggedIn = Boolean(u); renderSummary(); });
onLangChange(renderAll);
window.addEventListener('shop:cart-external', () => { lines = loadCart(); renderAll(); cartChanged({ rerendered: true }); });
if (promo.code) promoInput.value = promo.code;
renderAll();
if (lines.length) {
  refreshFromCatalogue();
  if (promo.code) checkPromo(promo.code);
}
