/*
 * webhook.c: events and their delivery. Every state change records an event; when a webhook
 * URL is configured, a background worker POSTs each one, signed like Stripe in test mode
 * (Stripe-Signature: t=…,v1=HMAC-SHA256("t.body"),v0=<decoy>), retrying with backoff until
 * a 2xx. Pending deliveries live in the saved state, so they survive a restart. The worker
 * also runs the due work each second (session expiry, bank debits settling).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "emu.h"

static pthread_t g_thread;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static atomic_int g_stop;
static int g_running;

static void hmac_hex(const char *key, const char *ts, const char *body, char *hex,
    size_t n);
static void sign(const char *body, time_t t, char *out, size_t n);
static size_t discard(char *p, size_t size, size_t nmemb, void *ud);
static int abort_on_stop(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un);
static long deliver(const char *url, const char *body);
static cJSON *next_due(time_t now, time_t *wake);
static void *worker(void *arg);

/*
 * Records an event of type about obj (a stored object, snapshot taken now). prev, owned by
 * the event afterwards, holds previous_attributes for *.updated events. rq may be NULL for
 * changes not caused by an API request (the hosted page, expiry), as Stripe reports them.
 */
void
emu_event(struct emu_req *rq, const char *type, const cJSON *obj, cJSON *prev)
{
	cJSON *ev = emu_base("evt_", "event", EMU_ID_RAND), *data, *req;
	int hooks = emu_cfg.webhook_url[0] != '\0';

	cJSON_AddStringToObject(ev, "api_version", EMU_API_VERSION);
	data = cJSON_AddObjectToObject(ev, "data");
	cJSON_AddItemToObject(data, "object", emu_render(obj));
	if (prev != NULL)
		cJSON_AddItemToObject(data, "previous_attributes", prev);
	cJSON_AddNumberToObject(ev, "pending_webhooks", hooks);
	req = cJSON_AddObjectToObject(ev, "request");
	emu_jset(req, "id", emu_jstr(rq != NULL ? rq->id : NULL));
	emu_jset(req, "idempotency_key", emu_jstr(rq != NULL ? rq->idem_key : NULL));
	cJSON_AddStringToObject(ev, "type", type);
	if (hooks) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "event", emu_jgets(ev, "id"));
		cJSON_AddNumberToObject(d, "attempts", 0);
		cJSON_AddNumberToObject(d, "next_at", (double)time(NULL));
		cJSON_AddItemToArray(emu_root_array("deliveries"), d);
	}
	emu_insert("event", ev);
}

/* previous_attributes: the top-level fields of before that differ in after ("updated"
 * aside). Caller frees; NULL when nothing else changed. */
cJSON *
emu_diff(const cJSON *before, const cJSON *after)
{
	cJSON *prev = cJSON_CreateObject();
	const cJSON *a;

	cJSON_ArrayForEach(a, after) {
		const cJSON *b = emu_jget(before, a->string);

		if (strcmp(a->string, "updated") == 0 || a->string[0] == '_')
			continue;
		if (b == NULL)
			cJSON_AddNullToObject(prev, a->string);
		else if (!cJSON_Compare(a, b, 1))
			cJSON_AddItemToObject(prev, a->string, cJSON_Duplicate(b, 1));
	}
	if (prev->child == NULL) {
		cJSON_Delete(prev);
		return NULL;
	}
	return prev;
}

/* Lowercase hex HMAC-SHA256 of "ts.body" under key; hex holds at least 65 bytes. */
static void
hmac_hex(const char *key, const char *ts, const char *body, char *hex, size_t n)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, n, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

/*
 * Stripe-Signature value: v1 keyed with the whole whsec_ string, as Stripe's libraries use
 * it, then, as Stripe does in test mode, a decoy v0 that receivers must ignore (here keyed
 * with a random string, so it never verifies). The signature time is the real clock, never
 * the emulator's: receivers compare it with their own.
 */
static void
sign(const char *body, time_t t, char *out, size_t n)
{
	static char decoy[40];     /* only the worker thread signs */
	char ts[32], v1[65], v0[65];

	snprintf(ts, sizeof(ts), "%lld", (long long)t);
	hmac_hex(emu_cfg.webhook_secret, ts, body, v1, sizeof(v1));
	if (decoy[0] == '\0')
		emu_new_id(decoy, sizeof(decoy), "decoy_", 32);
	hmac_hex(decoy, ts, body, v0, sizeof(v0));
	snprintf(out, n, "t=%s,v1=%s,v0=%s", ts, v1, v0);
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *ud)
{
	return size * nmemb;
}

static int
abort_on_stop(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	return atomic_load(&g_stop) ? 1 : 0;
}

/* POSTs one event body; returns the HTTP status, or 0 when there was no answer. Runs
 * without emu_mu: the receiver may well call back into the emulator. */
static long
deliver(const char *url, const char *body)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char sig[300], sighdr[320];
	long code = 0;

	if (h == NULL)
		return 0;
	sign(body, time(NULL), sig, sizeof(sig));
	snprintf(sighdr, sizeof(sighdr), "Stripe-Signature: %s", sig);
	hd = curl_slist_append(hd, "Content-Type: application/json; charset=utf-8");
	hd = curl_slist_append(hd, "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)");
	hd = curl_slist_append(hd, "Accept: */*; q=0.5, application/xml");
	hd = curl_slist_append(hd, "Expect:");
	hd = curl_slist_append(hd, sighdr);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return code;
}

/* The earliest delivery that is due now, or NULL; *wake is when the next one will be. */
static cJSON *
next_due(time_t now, time_t *wake)
{
	cJSON *d, *best = NULL;

	*wake = now + 1;
	cJSON_ArrayForEach(d, emu_root_array("deliveries")) {
		time_t at = (time_t)emu_jgeti(d, "next_at", 0);

		if (at <= now && (best == NULL || at < emu_jgeti(best, "next_at", 0)))
			best = d;
		else if (at > now && at < *wake)
			*wake = at;
	}
	return best;
}

static void *
worker(void *arg)
{
	pthread_mutex_lock(&emu_mu);
	while (!atomic_load(&g_stop)) {
		time_t now = time(NULL), wake;
		cJSON *d, *ev;
		char *body = NULL, evid[64];
		long code;
		int attempts;

		co_run_due();
		d = cJSON_GetArraySize(emu_root_array("deliveries")) > 0 &&
		    emu_cfg.webhook_url[0] != '\0' ? next_due(now, &wake) : NULL;
		if (d == NULL) {
			struct timespec ts = { .tv_sec = now + 1, .tv_nsec = 0 };

			if (emu_take_dirty())
				emu_store_save();
			pthread_cond_timedwait(&g_cv, &emu_mu, &ts);
			continue;
		}
		snprintf(evid, sizeof(evid), "%s", emu_jgets(d, "event") ? emu_jgets(d, "event") :
		    "");
		if ((ev = emu_find("event", evid)) == NULL) {
			cJSON_Delete(cJSON_DetachItemViaPointer(emu_root_array("deliveries"), d));
			emu_dirty();
			continue;
		}
		body = cJSON_Print(ev);
		if (emu_take_dirty())
			emu_store_save();
		pthread_mutex_unlock(&emu_mu);
		code = body != NULL ? deliver(emu_cfg.webhook_url, body) : 0;
		free(body);
		pthread_mutex_lock(&emu_mu);
		/* the state may have changed meanwhile: find the delivery again */
		cJSON_ArrayForEach(d, emu_root_array("deliveries"))
			if (strcmp(emu_jgets(d, "event") ? emu_jgets(d, "event") : "", evid) == 0)
				break;
		if (d == NULL)
			continue;
		if (code >= 200 && code < 300) {
			cJSON_Delete(cJSON_DetachItemViaPointer(emu_root_array("deliveries"), d));
			if ((ev = emu_find("event", evid)) != NULL)
				emu_jset(ev, "pending_webhooks", cJSON_CreateNumber(0));
			emu_log("webhook", "%s delivered (%ld)", evid, code);
		} else {
			attempts = (int)emu_jgeti(d, "attempts", 0) + 1;
			emu_jset(d, "attempts", cJSON_CreateNumber(attempts));
			emu_jset(d, "next_at", cJSON_CreateNumber((double)(time(NULL) +
			    (attempts > 5 ? 30 : 1 << (attempts - 1)))));
			emu_log("webhook", "%s not delivered (status %ld, attempt %d); will retry",
			    evid, code, attempts);
		}
		emu_dirty();
		if (emu_take_dirty())
			emu_store_save();
	}
	pthread_mutex_unlock(&emu_mu);
	return NULL;
}

int
emu_worker_start(void)
{
	if (pthread_create(&g_thread, NULL, worker, NULL) != 0) {
		emu_log("worker", "cannot start the worker thread");
		return -1;
	}
	g_running = 1;
	return 0;
}

void
emu_worker_stop(void)
{
	if (!g_running)
		return;
	atomic_store(&g_stop, 1);
	pthread_mutex_lock(&emu_mu);
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&emu_mu);
	pthread_join(g_thread, NULL);
	g_running = 0;
}

/* Wakes the worker after a change, so new events go out at once. */
void
emu_worker_kick(void)
{
	pthread_cond_signal(&g_cv);
}
