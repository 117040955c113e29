// success.html?session_id=cs_…: the return from the payment page. Asks the server to confirm the
// payment (it writes the order once), shows the order and empties the cart. "Not confirmed yet"
// is retried a few times with a short pause, since the payment may still be settling.

import { start, api, el, t, errorText, message, renderOrder, clearCart, loginUrl, onLangChange } from './shop.js';

const status = document.getElementById('success-status');
const section = document.getElementById('success');
const sessionId = new URLSearchParams(location.search).get('session_id') || '';
const RETRIES = 5;
const PAUSE_MS = 1500;
let order = null;
let view = null; // () => void: redraws the current state after a language switch

function show(fn) { view = fn; fn(); }

function retryButton() {
  return el('button', { type: 'button', class: 'btn', id: 'retry', onclick: () => confirm(0) }, t('success.retry'));
}

async function confirm(attempt) {
  show(() => {
    status.hidden = false;
    status.replaceChildren(el('p', { class: 'loading' }, t(attempt ? 'success.waiting' : 'success.checking')));
  });
  const r = await api('GET', `/api/checkout?session_id=${encodeURIComponent(sessionId)}`);
  if (r.ok && r.data && r.data.order) {
    order = r.data.order;
    clearCart();
    show(renderSuccess);
    return;
  }
  const code = r.error && r.error.code;
  // The shopper has paid by a method that confirms later: the cart's work is done.
  if (code === 'payment_processing') clearCart();
  if (code === 'payment_not_confirmed' && attempt < RETRIES) {
    setTimeout(() => confirm(attempt + 1), PAUSE_MS);
    return;
  }
  if (r.status === 401) {
    show(() => message(status, 'info', t('success.login'),
      el('a', { class: 'btn', href: loginUrl() }, t('nav.login'))));
  } else if (code === 'payment_not_confirmed') {
    show(() => message(status, 'info', t('success.notConfirmed'), retryButton(),
      el('a', { class: 'btn btn-secondary', href: 'cart.html' }, t('cancel.back'))));
  } else if (r.status === 404) {
    show(() => message(status, 'error', t('success.notFound'),
      el('a', { class: 'btn btn-secondary', href: 'orders.html' }, t('nav.orders'))));
  } else {
    show(() => message(status, 'error', errorText(r.error), retryButton()));
  }
}

function renderSuccess() {
  document.getElementById('pending').hidden = true;
  section.hidden = false;
  document.getElementById('order').replaceChildren(renderOrder(order));
}

start();
onLangChange(() => { if (view) view(); });
if (/^cs_[A-Za-z0-9_]+$/.test(sessionId)) {
  confirm(0);
} else {
  show(() => message(status, 'error', t('success.noSession'),
    el('a', { class: 'btn btn-secondary', href: 'orders.html' }, t('nav.orders'))));
}
