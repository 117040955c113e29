// Shared by every page: the API client, the cart in localStorage, money and date formatting,
// error texts, the site header and the order view.

import { t, has, lang, locale, setLang, LANGS, applyStatic, onLangChange } from './i18n.js';

export { t, lang, onLangChange };

/* ---------- small DOM helper ---------- */

/**
 * el('div', {class: 'x', dataset: {test: 'y'}, onclick: fn}, child, 'text', …)
 * Children may be nodes, strings, null/false (skipped) or arrays of those.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/* ---------- API ---------- */

/**
 * Calls the shop's API. Never throws: resolves to {ok, status, data, error}, where error is
 * {code, message, param?} from the server, or one of our own codes: network, server, too_many,
 * too_large, unknown.
 */
export async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    return { ok: false, status: 0, data: null, error: { code: 'network' } };
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (res.ok) return { ok: true, status: res.status, data, error: null };
  let error = data && data.error && typeof data.error === 'object' ? data.error : null;
  if (res.status === 429) error = { code: 'too_many', ...(error ? { message: error.message } : {}) };
  else if (res.status === 413) error = { code: 'too_large' };
  else if (res.status >= 500 && !(error && has(`error.${error.code}`))) error = { code: 'server' };
  else if (!error) error = { code: res.status === 401 ? 'not_logged_in' : res.status === 404 ? 'not_found' : 'unknown' };
  return { ok: false, status: res.status, data, error };
}

/** The shopper-facing words for an API error: our translation if we know the code, else the server's message. */
export function errorText(error) {
  if (!error) return t('error.unknown');
  const key = `error.${error.code}`;
  if (error.code && has(key)) return t(key);
  if (error.message) return error.message;
  return t('error.unknown');
}

/* ---------- money and dates ---------- */

const moneyFormats = new Map();

/** Formats an amount in minor units (öre) as Swedish currency text, e.g. 14900 sek → "149,00 kr". */
export function money(minor, currency = 'sek') {
  const cur = String(currency || 'sek').toUpperCase();
  let f = moneyFormats.get(cur);
  if (!f) {
    try { f = new Intl.NumberFormat('sv-SE', { style: 'currency', currency: cur }); } catch {
      f = new Intl.NumberFormat('sv-SE', { style: 'currency', currency: 'SEK' });
    }
    moneyFormats.set(cur, f);
  }
  const digits = f.resolvedOptions().maximumFractionDigits;
  return f.format(Number(minor || 0) / 10 ** digits);
}

/** Unix seconds → a date and time in the shopper's language. */
export function formatDate(unix) {
  const d = new Date(Number(unix) * 1000);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeStyle: 'short' }).format(d);
}

/* ---------- cart (localStorage "shop.cart") ---------- */

const CART_KEY = 'shop.cart';
const PROMO_KEY = 'shop.promo';
export const MAX_QTY = 99;

export function clampQty(n) {
  const q = Math.floor(Number(n));
  if (!Number.isFinite(q) || q < 1) return 1;
  return Math.min(MAX_QTY, q);
}

function validLine(l) {
  return l && typeof l === 'object' && typeof l.price === 'string' && l.price
    && Number.isFinite(Number(l.unit_amount));
}

export function loadCart() {
  try {
    const v = JSON.parse(localStorage.getItem(CART_KEY) || '[]');
    return Array.isArray(v) ? v.filter(validLine).map((l) => ({ ...l, quantity: clampQty(l.quantity) })) : [];
  } catch {
    return [];
  }
}

export function saveCart(lines) {
  try { localStorage.setItem(CART_KEY, JSON.stringify(lines)); } catch { /* full or private mode */ }
  window.dispatchEvent(new CustomEvent('shop:cart'));
}

/** Adds one of a catalogue product. Returns false when the line is already at the maximum. */
export function addToCart(product) {
  const lines = loadCart();
  const line = lines.find((l) => l.price === product.price.id);
  if (line) {
    if (line.quantity >= MAX_QTY) return false;
    line.quantity += 1;
  } else {
    lines.push({
      price: product.price.id,
      product: product.id,
      name: product.name,
      unit_amount: product.price.unit_amount,
      currency: product.price.currency,
      image: (product.images && product.images[0]) || '',
      quantity: 1,
    });
  }
  saveCart(lines);
  return true;
}

export function setQuantity(price, quantity) {
  const lines = loadCart();
  const line = lines.find((l) => l.price === price);
  if (!line) return;
  line.quantity = clampQty(quantity);
  saveCart(lines);
}

export function removeLine(price) {
  saveCart(loadCart().filter((l) => l.price !== price));
}

export function clearCart() {
  saveCart([]);
  setPromo(null);
}

export function cartCount(lines = loadCart()) {
  return lines.reduce((n, l) => n + l.quantity, 0);
}

export function getPromo() {
  try { return localStorage.getItem(PROMO_KEY) || null; } catch { return null; }
}

export function setPromo(code) {
  try {
    if (code) localStorage.setItem(PROMO_KEY, code); else localStorage.removeItem(PROMO_KEY);
  } catch { /* ignore */ }
}

/* ---------- navigation ---------- */

/**
 * The ?next= target if it is a relative path on this site, else the fallback. Refuses schemes,
 * protocol-relative "//host" and backslash tricks, then checks the resolved origin.
 */
export function safeNext(fallback = 'index.html') {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || /^[a-z][a-z0-9+.-]*:/i.test(next) || /^[\\/]{2}/.test(next) || /[\\\s]/.test(next)) return fallback;
  try {
    const u = new URL(next, location.href);
    return u.origin === location.origin ? next : fallback;
  } catch {
    return fallback;
  }
}

/** login.html?next=<this page, with its query> */
export function loginUrl(next = currentPage()) {
  return `login.html?next=${encodeURIComponent(next)}`;
}

export function currentPage() {
  const file = location.pathname.split('/').pop() || 'index.html';
  return file + location.search;
}

/* ---------- header ---------- */

let user = null;
let userKnown = false;
const userListeners = [];

/** Calls fn(user|null) once the login state is known, and again whenever it changes. */
export function onUser(fn) {
  userListeners.push(fn);
  if (userKnown) fn(user);
}

export function currentUser() { return user; }

function setUser(u) {
  user = u;
  userKnown = true;
  renderAccount();
  for (const fn of userListeners) fn(user);
}

async function loadUser() {
  const r = await api('GET', '/api/login');
  setUser(r.ok && r.data && r.data.user ? r.data.user : null);
}

const bagIcon = () => {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', 'M6 7h12l1 13H5L6 7zm3 0a3 3 0 0 1 6 0');
  svg.append(p);
  return svg;
};

function renderHeader() {
  const header = document.getElementById('site-header');
  if (!header) return;
  const page = location.pathname.split('/').pop() || 'index.html';
  const here = (file) => (page === file ? 'page' : null);
  header.replaceChildren(
    el('div', { class: 'container header-inner' },
      el('a', { class: 'brand', href: 'index.html', 'aria-label': `${t('shop.name')} – ${t('nav.home')}` },
        el('img', { src: 'favicon.svg', alt: '', width: '32', height: '32' }),
        el('span', { class: 'brand-text' },
          el('span', { class: 'brand-name' }, t('shop.name')),
          el('span', { class: 'brand-tagline' }, t('shop.tagline')))),
      el('nav', { class: 'main-nav', 'aria-label': t('nav.label') },
        el('a', { href: 'orders.html', class: 'orders-link', 'aria-current': here('orders.html') }, t('nav.orders')),
        el('a', { href: 'cart.html', class: 'cart-link', 'aria-current': here('cart.html'), id: 'cart-link' },
          bagIcon(),
          el('span', { class: 'cart-link-text' }, t('nav.cart')),
          el('span', { id: 'cart-count', class: 'badge', dataset: { test: 'cart-count' } }, '0'))),
      el('div', { class: 'account', id: 'account' }),
      el('div', { class: 'lang-switch', role: 'group', 'aria-label': t('nav.lang') },
        LANGS.map((l) => el('button', {
          type: 'button',
          lang: l,
          'aria-pressed': String(l === lang()),
          dataset: { lang: l },
          onclick: () => setLang(l),
        }, l.toUpperCase())))));
  renderCount();
  renderAccount();
}

function renderAccount() {
  const box = document.getElementById('account');
  if (!box) return;
  if (!userKnown) { box.replaceChildren(); return; }
  if (user) {
    box.replaceChildren(
      el('span', { class: 'who', id: 'who', title: user.email || '' },
        el('span', { class: 'visually-hidden' }, t('nav.loggedInAs', { name: '' })),
        el('span', { class: 'avatar', 'aria-hidden': 'true' }, (user.name || user.email || '?').trim().charAt(0).toUpperCase()),
        el('span', { class: 'who-name' }, user.name || user.email)),
      el('button', { type: 'button', class: 'btn-link', id: 'logout', onclick: logout }, t('nav.logout')));
  } else {
    const next = ['login.html', 'register.html'].includes(location.pathname.split('/').pop()) ? safeNext('') : currentPage();
    const q = next ? `?next=${encodeURIComponent(next)}` : '';
    box.replaceChildren(
      el('a', { href: `login.html${q}`, id: 'login-link' }, t('nav.login')),
      el('a', { href: `register.html${q}`, class: 'pill', id: 'register-link' }, t('nav.register')));
  }
}

async function logout() {
  const r = await api('DELETE', '/api/login');
  if (!r.ok && r.status !== 401) { toast(errorText(r.error), 'error'); return; }
  location.href = 'index.html';
}

function renderCount() {
  const badge = document.getElementById('cart-count');
  if (!badge) return;
  const n = cartCount();
  const changed = badge.textContent !== String(n);
  badge.textContent = String(n);
  badge.classList.toggle('empty', n === 0);
  const link = document.getElementById('cart-link');
  if (link) link.setAttribute('aria-label', `${t('nav.cart')}: ${t('cart.countLabel', { n })}`);
  if (changed) {
    badge.classList.remove('bump');
    void badge.offsetWidth; // restart the animation
    badge.classList.add('bump');
  }
}

/* ---------- toast ---------- */

let toastTimer = 0;
export function toast(text, kind = 'info') {
  let box = document.getElementById('toast');
  if (!box) {
    box = el('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  box.textContent = text;
  box.dataset.kind = kind;
  box.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove('show'), 3200);
}

/* ---------- messages ---------- */

/** Shows a message box (kind: error|info|success) in container, with optional action nodes. */
export function message(container, kind, text, ...actions) {
  container.replaceChildren(el('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('p', {}, text),
    actions.length ? el('div', { class: 'notice-actions' }, actions) : null));
  container.hidden = false;
}

/* ---------- orders ---------- */

export function statusText(status) {
  return has(`status.${status}`) ? t(`status.${status}`) : String(status || '');
}

/** One order as an <article>: date, status, items, subtotal, discount with code, total. */
export function renderOrder(order, { headingLevel = 'h2' } = {}) {
  const cur = order.currency || 'sek';
  const items = Array.isArray(order.items) ? order.items : [];
  const discount = Number(order.discount || 0);
  const shortId = String(order.id || '').replace(/^cs_(test_|live_)?/, '').slice(-8).toUpperCase();
  return el('article', { class: 'order card', dataset: { test: 'order', orderId: order.id || '' } },
    el('header', { class: 'order-head' },
      el(headingLevel, { class: 'order-title' }, `${t('order.number')} #${shortId}`),
      el('span', { class: `status status-${order.status}`, dataset: { test: 'order-status' } }, statusText(order.status)),
      Number.isFinite(Number(order.created)) && order.created
        ? el('p', { class: 'order-date muted' }, el('time', { datetime: new Date(order.created * 1000).toISOString() }, formatDate(order.created)))
        : null),
    el('ul', { class: 'order-items', 'aria-label': t('order.items') },
      items.map((it) => el('li', { dataset: { test: 'order-item' } },
        el('span', { class: 'order-item-name' }, it.name,
          el('span', { class: 'muted order-item-qty' }, t('order.qty', { n: it.quantity, price: money(it.unit_amount, cur) }))),
        el('span', { class: 'amount' }, money(it.unit_amount * it.quantity, cur))))),
    el('dl', { class: 'totals' },
      el('div', {}, el('dt', {}, t('order.subtotal')), el('dd', { class: 'amount' }, money(order.subtotal, cur))),
      discount > 0 || order.promotion_code
        ? el('div', { class: 'discount', dataset: { test: 'order-discount' } },
          el('dt', {}, order.promotion_code ? t('order.discountCode', { code: order.promotion_code }) : t('order.discount')),
          el('dd', { class: 'amount' }, `−${money(discount, cur)}`))
        : null,
      el('div', { class: 'grand' }, el('dt', {}, t('order.total')), el('dd', { class: 'amount', dataset: { test: 'order-total' } }, money(order.total, cur)))));
}

/* ---------- start-up ---------- */

/**
 * Every page calls this first: fills static text, draws the header, fetches who is logged in,
 * keeps the cart count live (also across tabs) and re-draws on a language switch.
 */
export function start({ needUser = true } = {}) {
  applyStatic();
  renderHeader();
  window.addEventListener('shop:cart', renderCount);
  window.addEventListener('storage', (e) => {
    if (e.key === CART_KEY) { renderCount(); window.dispatchEvent(new CustomEvent('shop:cart-external')); }
  });
  onLangChange(renderHeader);
  if (needUser) loadUser();
}
