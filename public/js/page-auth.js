// login.html and register.html: one form each, client-side checks in the shopper's language,
// then POST /api/login or /api/register and on to ?next= (same-site relative paths only).

import { start, api, el, t, errorText, message, safeNext, onUser, onLangChange } from './shop.js';

const form = document.getElementById('auth-form');
const mode = form.dataset.mode; // "login" | "register"
const status = document.getElementById('auth-status');
const submit = document.getElementById('submit');
const next = safeNext('index.html');
const rawNext = new URLSearchParams(location.search).get('next');

// Carry ?next= over to the other form, so "register instead" still returns to the cart.
const switchLink = document.getElementById('switch-link');
if (rawNext && next !== 'index.html') {
  switchLink.href = `${switchLink.getAttribute('href')}?next=${encodeURIComponent(next)}`;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// field id → [check, error key] in order; the first failing check is shown.
const checks = {
  name: [[(v) => v.trim() !== '', 'auth.required']],
  email: [[(v) => v.trim() !== '', 'auth.required'], [(v) => EMAIL.test(v.trim()), 'auth.emailInvalid']],
  password: mode === 'register'
    ? [[(v) => v !== '', 'auth.required'], [(v) => [...v].length >= 8, 'auth.passwordShort'],
      [(v) => new TextEncoder().encode(v).length <= 256, 'auth.passwordLong']]
    : [[(v) => v !== '', 'auth.required']],
};
const shown = {}; // field id → error key on display, so a language switch can re-translate

function setFieldError(id, key) {
  const input = document.getElementById(id);
  const out = document.getElementById(`${id}-error`);
  if (!input || !out) return;
  shown[id] = key || null;
  out.textContent = key ? t(key) : '';
  input.setAttribute('aria-invalid', key ? 'true' : 'false');
  input.closest('.field').classList.toggle('invalid', Boolean(key));
}

function validate(id) {
  const input = document.getElementById(id);
  if (!input) return true;
  const failed = checks[id].find(([ok]) => !ok(input.value));
  setFieldError(id, failed ? failed[1] : null);
  return !failed;
}

const fields = Object.keys(checks).filter((id) => document.getElementById(id));
for (const id of fields) {
  const input = document.getElementById(id);
  // Check on leaving a field, and re-check as the shopper fixes a field already marked wrong.
  input.addEventListener('blur', () => { if (input.value !== '') validate(id); });
  input.addEventListener('input', () => { if (shown[id]) validate(id); });
}

// The server's field checks (missing_field / invalid_field with param) are shown under the field.
const fieldMessage = { email: 'auth.emailInvalid', password: 'auth.passwordInvalid', name: 'auth.nameInvalid' };

let busy = false;
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (busy) return;
  status.replaceChildren();
  const bad = fields.filter((id) => !validate(id));
  if (bad.length) { document.getElementById(bad[0]).focus(); return; }

  const val = (id) => document.getElementById(id).value;
  const body = { email: val('email').trim(), password: val('password') };
  if (mode === 'register') body.name = val('name').trim(); // not form.name: that is the form's own name
  busy = true;
  submit.disabled = true;
  submit.textContent = t('auth.working');
  const r = await api('POST', mode === 'register' ? '/api/register' : '/api/login', body);
  if (r.ok) { location.href = next; return; }
  busy = false;
  submit.disabled = false;
  submit.textContent = t(mode === 'register' ? 'auth.registerButton' : 'auth.loginButton');

  const code = r.error && r.error.code;
  const field = r.error && fields.includes(r.error.param) ? r.error.param : null;
  if ((code === 'invalid_field' || code === 'missing_field') && field) {
    setFieldError(field, code === 'missing_field' ? 'auth.required' : fieldMessage[field]);
    document.getElementById(field).focus();
    return;
  }
  if (code === 'email_taken') {
    const loginHref = `login.html${rawNext ? `?next=${encodeURIComponent(next)}` : ''}`;
    message(status, 'error', errorText(r.error), el('a', { href: loginHref, class: 'btn btn-secondary' }, t('page.login')));
  } else {
    message(status, 'error', errorText(r.error));
  }
  if (code === 'email_taken') document.getElementById('email').setAttribute('aria-invalid', 'true');
  if (code === 'invalid_credentials') { const pw = document.getElementById('password'); pw.value = ''; pw.focus(); }
});

// Already logged in: say so, and offer to continue where the shopper was going.
onUser((user) => {
  if (!user || status.childElementCount) return;
  message(status, 'info', t('auth.alreadyIn', { name: user.name || user.email }),
    el('a', { href: next, class: 'btn btn-secondary' }, t('auth.continue')));
});

onLangChange(() => {
  for (const [id, key] of Object.entries(shown)) if (key) setFieldError(id, key);
  if (!busy) submit.textContent = t(mode === 'register' ? 'auth.registerButton' : 'auth.loginButton');
});

start();
