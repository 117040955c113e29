// orders.html: the logged-in shopper's orders, newest first.

import { start, api, el, t, errorText, message, renderOrder, loginUrl, onLangChange, money, formatDate } from './shop.js';

const status = document.getElementById('orders-status');
const list = document.getElementById('orders');
const pendingList = document.getElementById('pending-payments');
let orders = null;
let pending = [];

// Payments Stripe has not confirmed (a bank transfer still processing, or one that failed):
// not orders, but the shopper should know where they stand.
function renderPending() {
  pendingList.hidden = pending.length === 0;
  pendingList.replaceChildren(...(pending.length === 0 ? [] : [
    el('h2', {}, t('pending.heading')),
    ...pending.map((p) => el('article', { class: `card pending-payment pending-payment-${p.status}`, dataset: { test: 'pending-payment' } },
      el('p', {}, el('strong', {}, money(p.total, p.currency || 'sek')), ' · ', formatDate(p.created)),
      el('p', { class: `status status-${p.status}` }, t(`pending.${p.status}`)))),
  ]));
}

function render() {
  if (!orders) return;
  renderPending();
  if (orders.length === 0) {
    message(status, 'info', t('orders.empty'), el('a', { class: 'btn', href: 'index.html' }, t('orders.shop')));
    list.replaceChildren();
    return;
  }
  status.replaceChildren();
  status.hidden = true;
  const sorted = [...orders].sort((a, b) => (b.created || 0) - (a.created || 0));
  list.replaceChildren(...sorted.map((o) => renderOrder(o)));
}

async function load() {
  status.hidden = false;
  status.replaceChildren(el('p', { class: 'loading' }, t('orders.loading')));
  const r = await api('GET', '/api/orders');
  if (r.status === 401) { location.replace(loginUrl('orders.html')); return; }
  if (!r.ok || !r.data || !Array.isArray(r.data.orders)) {
    message(status, 'error', errorText(r.error),
      el('button', { type: 'button', class: 'btn btn-secondary', onclick: load }, t('index.retry')));
    return;
  }
  orders = r.data.orders;
  pending = Array.isArray(r.data.pending) ? r.data.pending : [];
  render();
}

start();
onLangChange(render);
load();
