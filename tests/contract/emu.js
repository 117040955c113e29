// Starts build/stripe-emu on a free port with a fresh state dir, for one test file.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const Stripe = require('stripe');

const BIN = path.resolve(__dirname, '..', '..', 'build', 'stripe-emu');

// Resolves to {port, base, stripe, state, stop(), log()} once the emulator says it listens.
// ignoreSigint starts it the way a shell starts a background job: with SIGINT ignored.
async function startEmu({ state, args = [], env = {}, ignoreSigint = false } = {}) {
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
  const stripe = new Stripe('sk_test_contract', {
    host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0,
  });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return {
    port, state, stripe, child,
    base: `http://127.0.0.1:${port}`,
    log: () => stderr,
    // SIGTERM (or sig), then the exit status ({code, sig}).
    stop: async (sig = 'SIGTERM') => { if (child.exitCode === null) child.kill(sig); return exited; },
  };
}

// Raw API call with form data (for what the SDK never sends: expand[]=, bad keys…).
async function raw(emu, method, p, body, headers = {}) {
  const res = await fetch(emu.base + p, {
    method,
    headers: { Authorization: 'Bearer sk_test_contract', ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}), ...headers },
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
        res.writeHead(400); res.end(String(e.message)); return;
      }
      // like the shop's handler: it may call back into the API before answering
      const extra = onEvent ? await onEvent(ev).catch((e) => ({ error: e })) : undefined;
      events.push({ event: ev, headers: req.headers, extra });
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
  return { url, events, waitFor, close: () => new Promise((r) => server.close(r)) };
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

module.exports = { startEmu, raw, startWebhookServer, payForm, CARD, Stripe };
