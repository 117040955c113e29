// Starts build/stripe-emu on a free port with a fresh state dir, for one test file; or, with
// STRIPE_LIVE=1 (`make check-live`), stands in for it with real Stripe in test mode, so the
// same tests show where the emulator and Stripe differ.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const https = require('node:https');
const Stripe = require('stripe');

// STRIPE_EMU_BIN runs another build (a sanitizer build, a clean checkout's) with these tests.
const BIN = process.env.STRIPE_EMU_BIN || path.resolve(__dirname, '..', '..', 'build', 'stripe-emu');
const EMU_KEY = 'sk_test_contract';

// Live mode: api.stripe.com with STRIPE_SECRET_KEY, which must be a test-mode key.
const live = process.env.STRIPE_LIVE === '1';
// STRIPE_LIVE_BASE points live mode elsewhere: at an emulator you started yourself, to check
// that the suite keeps to its own objects in a shared, never-reset account.
const LIVE_BASE = (process.env.STRIPE_LIVE_BASE || 'https://api.stripe.com').replace(/\/$/, '');
function liveKey() {
  const k = process.env.STRIPE_SECRET_KEY || '';
  if (k === '') throw new Error('STRIPE_LIVE=1 needs STRIPE_SECRET_KEY set to a test-mode secret key (sk_test_…)');
  if (!k.startsWith('sk_test_')) throw new Error(`STRIPE_LIVE=1 runs only with a test-mode key (sk_test_…), not ${k.slice(0, 8)}…`);
  return k;
}
if (live) liveKey();   // fail the file at once, with the reason, rather than in every test

// Tests that need the emulator's own endpoints (hosted page, /_emu/…, its process and state
// dir, webhooks delivered to this machine): test(name, emuOnly, fn).
const emuOnly = { skip: live ? 'emulator only' : false };

// Unique per run: names, lookup keys, codes and e-mails that must not collide with earlier runs
// in a live account (where nothing is ever reset).
const RUN = Date.now().toString(36) + crypto.randomBytes(3).toString('hex');

// An SDK client for key (the emulator's or the live one), with SDK options opts.
function makeClient(emu, key, opts = {}) {
  const u = new URL(emu.base);
  const where = { host: u.hostname, port: u.port || (u.protocol === 'https:' ? 443 : 80), protocol: u.protocol.replace(':', '') };
  const c = new Stripe(key, { ...where, maxNetworkRetries: 0, ...opts });
  // every response the SDK sees, success or error, for the Request-Id check
  c.on('response', (r) => emu.responses.push({ method: r.method, path: r.path, status: r.status, request_id: r.request_id }));
  return c;
}

// Live stand-in for startEmu: same shape, no process. Options that only make sense for a
// local emulator are refused, so an unmarked emulator-only test fails loudly.
function liveTarget(opts) {
  const extra = Object.keys(opts).filter((k) => opts[k] !== undefined && !(Array.isArray(opts[k]) && opts[k].length === 0));
  if (extra.length) throw new Error(`emulator only: startEmu(${extra.join(', ')}) has no meaning against real Stripe`);
  const emu = {
    live: true, port: null, state: null, child: null, key: liveKey(), base: LIVE_BASE, responses: [],
    log: () => '',
    stop: async () => ({ code: 0, sig: null }),
  };
  emu.client = (key = emu.key, o) => makeClient(emu, key, o);
  emu.stripe = emu.client();
  return emu;
}

// Resolves to {port, base, key, stripe, client(key, opts), responses, state, stop(), log()}
// once the emulator says it listens; responses lists every answer its SDK clients saw.
// ignoreSigint starts it the way a shell starts a background job: with SIGINT ignored.
async function startEmu(opts = {}) {
  if (live) return liveTarget(opts);
  let { state } = opts;
  const { args = [], env = {}, ignoreSigint = false } = opts;
  state = state || fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-emu-'));
  const argv = ['--host', '127.0.0.1', '--port', '0', '--state', state, ...args];
  const child = spawn(ignoreSigint ? 'sh' : BIN, ignoreSigint ? ['-c', 'trap "" INT; exec "$0" "$@"', BIN, ...argv] : argv, {
    env: { PATH: process.env.PATH, ASAN_OPTIONS: process.env.ASAN_OPTIONS || '', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    // STRIPE_EMU_TEST_LOG=file keeps every emulator's stderr (sanitizer reports, request log)
    if (process.env.STRIPE_EMU_TEST_LOG) fs.appendFileSync(process.env.STRIPE_EMU_TEST_LOG, d);
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/stripe-emu listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`stripe-emu exited ${code}: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  const emu = {
    live: false, port, state, child, key: EMU_KEY, responses: [],
    base: `http://127.0.0.1:${port}`,
    log: () => stderr,
    // SIGTERM (or sig), then the exit status ({code, sig}).
    stop: async (sig = 'SIGTERM') => { if (child.exitCode === null) child.kill(sig); return exited; },
  };
  emu.client = (key = emu.key, o) => makeClient(emu, key, o);
  emu.stripe = emu.client();
  return emu;
}

// Raw API call with form data (for what the SDK never sends: expand[]=, bad keys…).
async function raw(emu, method, p, body, headers = {}) {
  const res = await fetch(emu.base + p, {
    method,
    headers: { Authorization: `Bearer ${emu.key}`, ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* HTML */ }
  return { status: res.status, headers: res.headers, json, text };
}

// A tiny webhook receiver: collects events whose signature verifies with the SDK.
async function startWebhookServer(secret, { failFirst = 0, onEvent = null } = {}) {
  const verifier = new Stripe('sk_test_x');
  const events = [];
  const refused = [];   // deliveries whose signature did not verify: {header, error}
  const waiters = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (failures < failFirst) { failures++; res.writeHead(500); res.end('try later'); return; }
      let ev;
      try {
        ev = verifier.webhooks.constructEvent(Buffer.concat(chunks), req.headers['stripe-signature'], secret);
      } catch (e) {
        refused.push({ header: req.headers['stripe-signature'], error: String(e.message) });
        res.writeHead(400); res.end(String(e.message)); return;
      }
      // like the shop's handler: it may call back into the API before answering
      const extra = onEvent ? await onEvent(ev).catch((e) => ({ error: e })) : undefined;
      events.push({ event: ev, headers: req.headers, raw: Buffer.concat(chunks), extra });
      res.writeHead(200); res.end('ok');
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  // Waits until an event matching pred has arrived (or times out).
  async function waitFor(pred, ms = 8000) {
    const end = Date.now() + ms;
    for (;;) {
      const hit = events.find((e) => pred(e.event));
      if (hit) return hit;
      if (Date.now() > end) throw new Error('timed out waiting for webhook; got ' + events.map((e) => e.event.type).join(','));
      await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  }
  return { url, events, refused, waitFor, close: () => new Promise((r) => server.close(r)) };
}

// Fills and posts the hosted payment form; returns the fetch Response (redirects not followed).
async function payForm(url, fields) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'pay', ...fields }).toString(),
  });
}

const CARD = { email: 'buyer@example.com', cardNumber: '4242 4242 4242 4242', cardExpiry: '12 / 34', cardCvc: '123', billingName: 'Ada Buyer' };

// Retries fn until it returns a truthy value: Stripe's search (and, briefly, its event list)
// is eventually consistent; the emulator answers at once, so there this is one call.
async function eventually(fn, { ms = live ? 90000 : 0, every = 2000 } = {}) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, every));
  }
}

// An HTTP proxy in front of emu.base that passes every request on, but for the first `cut`
// POSTs closes the client's connection instead of answering, after the API has acted: the
// SDK then retries with the same Idempotency-Key, as it would after a network failure.
// seen lists every request that reached the API: {method, path, key, status, replayed}.
async function startCuttingProxy(emu, { cut = 1 } = {}) {
  const up = new URL(emu.base);
  const mod = up.protocol === 'https:' ? https : http;
  const seen = [];
  let cutDone = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: up.host };
      delete headers.connection;
      const out = mod.request({ hostname: up.hostname, port: up.port || (up.protocol === 'https:' ? 443 : 80), method: req.method, path: req.url, headers }, (ur) => {
        const body = [];
        ur.on('data', (c) => body.push(c));
        ur.on('end', () => {
          seen.push({ method: req.method, path: req.url, key: req.headers['idempotency-key'], status: ur.statusCode, replayed: ur.headers['idempotent-replayed'] || null });
          if (req.method === 'POST' && cutDone < cut) {
            cutDone++;
            req.socket.destroy();
            return;
          }
          const h = { ...ur.headers };
          for (const k of ['connection', 'keep-alive', 'transfer-encoding', 'content-length']) delete h[k];
          const b = Buffer.concat(body);
          res.writeHead(ur.statusCode, { ...h, 'content-length': b.length });
          res.end(b);
        });
      });
      out.on('error', () => req.socket.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  // an SDK client that goes through the proxy (plain HTTP to it, whatever is behind it)
  const client = (opts = {}) => new Stripe(emu.key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, ...opts });
  return { port, seen, client, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

module.exports = {
  startEmu, raw, startWebhookServer, payForm, CARD, Stripe, live, emuOnly, RUN, eventually,
  startCuttingProxy,
};
