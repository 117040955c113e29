/* stripe.c — the Stripe client: libcurl, form bodies, the pinned API version, one reused
 * handle per process (keep-alive), and a bounded time for every call. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

#define STRIPE_MAX_BODY (16L * 1024 * 1024)

/* Kept for the life of the process on purpose: the connection to Stripe is reused. */
static CURL *stripe_curl;

static size_t
stripe_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > STRIPE_MAX_BODY || buf_append(b, p, size * n) != SHOP_OK)
		return 0;	/* aborts the transfer */
	return size * n;
}

/* Logs Stripe's Request-Id so a failed call can be found in Stripe's dashboard. */
static size_t
stripe_on_header(char *p, size_t size, size_t n, void *arg)
{
	char *reqid = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Request-Id:", 11) == 0 && len - 12 < 64) {
		memcpy(reqid, p + 12, len - 12);
		reqid[strcspn(reqid, "\r\n")] = '\0';
	}
	return len;
}

enum shop_err
stripe_request(const struct config *cfg, const char *method, const char *path,
    const char *form, const char *idem, struct stripe_result *res)
{
	struct curl_slist *hdrs = NULL;
	struct buf url = { 0 }, auth = { 0 }, body = { 0 }, idh = { 0 };
	char reqid[64] = "";
	CURLcode cc;
	enum shop_err e = SHOP_ERR_NOMEM;
	int plen = (int)strcspn(path, "?");	/* logs leave out the query: it may hold an e-mail */

	memset(res, 0, sizeof(*res));
	if (stripe_curl == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
		    (stripe_curl = curl_easy_init()) == NULL)
			return SHOP_ERR_NOMEM;
	}
	curl_easy_reset(stripe_curl);
	if (buf_printf(&url, "%s%s", cfg->stripe_api_base, path) ||
	    buf_printf(&auth, "Authorization: Bearer %s", cfg->stripe_key) ||
	    (idem != NULL && buf_printf(&idh, "Idempotency-Key: %s", idem)))
		goto out;
	hdrs = curl_slist_append(hdrs, auth.data);
	hdrs = curl_slist_append(hdrs, "Stripe-Version: " STRIPE_API_VERSION);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (idem != NULL)
		hdrs = curl_slist_append(hdrs, idh.data);
	curl_easy_setopt(stripe_curl, CURLOPT_URL, url.data);
	curl_easy_setopt(stripe_curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(stripe_curl, CURLOPT_USERAGENT, "shop-c/1.0");
	curl_easy_setopt(stripe_curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(stripe_curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(stripe_curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(stripe_curl, CURLOPT_TIMEOUT, cfg->stripe_timeout);
	curl_easy_setopt(stripe_curl, CURLOPT_WRITEFUNCTION, stripe_on_body);
	curl_easy_setopt(stripe_curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(stripe_curl, CURLOPT_HEADERFUNCTION, stripe_on_header);
	curl_easy_setopt(stripe_curl, CURLOPT_HEADERDATA, reqid);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(stripe_curl, CURLOPT_POST, 1L);
		curl_easy_setopt(stripe_curl, CURLOPT_POSTFIELDS, form ? form : "");
	} else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(stripe_curl, CURLOPT_CUSTOMREQUEST, method);

	if ((cc = curl_easy_perform(stripe_curl)) != CURLE_OK) {
		res->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		LOG("%s %.*s: %s", method, plen, path, curl_easy_strerror(cc));
		e = SHOP_ERR_NETWORK;
		goto out;
	}
	curl_easy_getinfo(stripe_curl, CURLINFO_RESPONSE_CODE, &res->status);
	res->body = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	if (res->body == NULL) {
		LOG("%s %.*s: %ld with a body that is not JSON (request %s)", method, plen, path,
		    res->status, reqid);
		e = SHOP_ERR_NETWORK;	/* a proxy or outage page, not Stripe speaking */
		goto out;
	}
	if (res->status >= 200 && res->status < 300)
		e = SHOP_OK;
	else {
		/* A GET of something absent is an answer the caller expects, not a failure. */
		if (!(res->status == 404 && strcmp(method, "GET") == 0))
			LOG("%s %.*s: %ld %s (request %s)", method, plen, path, res->status,
			    stripe_error_code(res), reqid);
		e = SHOP_ERR_STRIPE;
	}
out:
	curl_slist_free_all(hdrs);
	buf_free(&url);
	if (auth.data != NULL)
		sodium_memzero(auth.data, auth.len);
	buf_free(&auth);
	buf_free(&body);
	buf_free(&idh);
	return e;
}

void
stripe_result_free(struct stripe_result *res)
{
	cJSON_Delete(res->body);
	res->body = NULL;
}

const char *
stripe_error_code(const struct stripe_result *res)
{
	const cJSON *err;
	const char *code;

	if (res == NULL || res->body == NULL)
		return "";
	err = cJSON_GetObjectItemCaseSensitive(res->body, "error");
	if ((code = json_str(err, "code")) == NULL && (code = json_str(err, "type")) == NULL)
		return "";
	return code;
}

void
stripe_send_failure(enum shop_err e, const struct stripe_result *res)
{
	if (e == SHOP_ERR_NETWORK && res != NULL && res->timed_out)
		http_send_error(504, "stripe_timeout", NULL, "The payment service did not answer "
		    "in time. Nothing was charged or saved; please try again.");
	else if (e == SHOP_ERR_NETWORK)
		http_send_error(502, "stripe_unavailable", NULL, "The payment service cannot be "
		    "reached right now. Nothing was charged or saved; please try again.");
	else if (res != NULL && res->status == 429)
		http_send_error(503, "stripe_busy", NULL, "The payment service is busy. "
		    "Please try again in a moment.");
	else
		http_send_error(502, "stripe_error", NULL, "The payment service refused the "
		    "request. Nothing was charged; please try again later.");
}
