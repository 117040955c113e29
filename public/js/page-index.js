// index.html: the catalogue, one card per product with an "Add to cart" button.

import { start, api, el, t, money, errorText, message, addToCart, toast, onLangChange } from './shop.js';

const list = document.getElementById('products');
const status = document.getElementById('catalogue-status');
let products = null;

function card(p) {
  const img = p.images && p.images[0];
  const button = el('button', {
    type: 'button',
    class: 'btn add',
    dataset: { test: 'add-to-cart', price: p.price.id, product: p.id },
    onclick: () => add(p, button),
  }, t('index.add'));
  return el('li', { class: 'product card', dataset: { test: 'product', product: p.id } },
    el('div', { class: 'product-media' },
      img ? el('img', { src: img, alt: '', loading: 'lazy', width: '400', height: '300' }) : null),
    el('div', { class: 'product-body' },
      el('h2', { class: 'product-name' }, p.name),
      p.description ? el('p', { class: 'product-desc muted' }, p.description) : null,
      el('div', { class: 'product-foot' },
        el('span', { class: 'price', dataset: { test: 'price' } }, money(p.price.unit_amount, p.price.currency)),
        button)));
}

function add(p, button) {
  if (!addToCart(p)) { toast(t('index.maxQty', { name: p.name }), 'error'); return; }
  toast(t('index.addedToast', { name: p.name }), 'success');
  button.textContent = t('index.added');
  button.classList.add('added');
  clearTimeout(button.resetTimer);
  button.resetTimer = setTimeout(() => {
    button.textContent = t('index.add');
    button.classList.remove('added');
  }, 1400);
}

function render() {
  if (!products) return;
  const sellable = products.filter((p) => p && p.price && p.price.id);
  list.replaceChildren(...sellable.map(card));
  if (sellable.length === 0) message(status, 'info', t('index.empty'));
  else { status.replaceChildren(); status.hidden = true; }
}

async function load() {
  status.hidden = false;
  status.replaceChildren(el('p', { class: 'loading' }, t('index.loading')));
  const r = await api('GET', '/api/products');
  if (!r.ok || !r.data || !Array.isArray(r.data.products)) {
    message(status, 'error', errorText(r.error),
      el('button', { type: 'button', class: 'btn btn-secondary', onclick: load }, t('index.retry')));
    return;
  }
  products = r.data.products;
  render();
}

start();
onLangChange(() => { if (products) render(); else load(); });
load();
