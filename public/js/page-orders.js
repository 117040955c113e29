// orders.html: the logged-in shopper's orders, newest first.

import { start, api, el, t, errorText, message, renderOrder, loginUrl, onLangChange } from './shop.js';

const status = document.getElementById('orders-status');
const list = document.getElementById('orders');
let orders = null;

function render() {
  if (!orders) return;
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
  render();
}

start();
onLangChange(render);
load();
