/* users.c — looking up shop users (data/users.json) and the logged-in user of a request. */
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "shop.h"

/* Finds the entry whose key equals value (ignoring case when nocase) and detaches a copy. */
static enum shop_err
users_find(const struct config *cfg, const char *key, const char *value, int nocase,
    cJSON **out)
{
	char path[600];
	cJSON *users = NULL, *u;
	const char *v;
	enum shop_err e;

	*out = NULL;
	if ((e = config_path(cfg, "users.json", path, sizeof(path))) != SHOP_OK ||
	    (e = store_read(path, &users)) != SHOP_OK)
		return e;
	e = SHOP_ERR_NOTFOUND;
	cJSON_ArrayForEach(u, users) {
		if ((v = json_str(u, key)) == NULL)
			continue;
		if (nocase ? strcasecmp(v, value) == 0 : strcmp(v, value) == 0) {
			*out = cJSON_Duplicate(u, 1);
			e = *out ? SHOP_OK : SHOP_ERR_NOMEM;
			break;
		}
	}
	cJSON_Delete(users);
	return e;
}

enum shop_err
users_find_id(const struct config *cfg, const char *id, cJSON **out)
{
	return users_find(cfg, "id", id, 0, out);
}

enum shop_err
users_find_email(const struct config *cfg, const char *email, cJSON **out)
{
	return users_find(cfg, "email", email, 1, out);
}

enum shop_err
users_current(const struct config *cfg, const struct request *req, cJSON **out)
{
	char id[64];
	time_t issued;
	enum shop_err e;

	*out = NULL;
	if (session_check(cfg, req->cookie, time(NULL), id, sizeof(id), &issued) != SHOP_OK)
		return SHOP_ERR_AUTH;
	if ((e = users_find_id(cfg, id, out)) != SHOP_OK)
		return e;
	/* Logging out ends every session made before it. */
	if ((long long)issued < json_int_or(*out, "sessions_valid_after", 0)) {
		cJSON_Delete(*out);
		*out = NULL;
		return SHOP_ERR_NOTFOUND;
	}
	return SHOP_OK;
}

cJSON *
users_require_login(const struct config *cfg, const struct request *req)
{
	cJSON *user;
	enum shop_err e = users_current(cfg, req, &user);

	if (e == SHOP_OK)
		return user;
	/* A signed cookie for a user who is gone or logged out: log the browser out. */
	if (e == SHOP_ERR_NOTFOUND)
		session_set_cookie(cfg, NULL);
	if (e == SHOP_ERR_AUTH || e == SHOP_ERR_NOTFOUND)
		http_send_error(401, "not_logged_in", NULL, "Please log in first.");
	else
		http_send_failure(e);
	return NULL;
}

cJSON *
users_public(const cJSON *user)
{
	cJSON *pub = cJSON_CreateObject();

	if (pub == NULL)
		return NULL;
	if (cJSON_AddStringToObject(pub, "email", json_str(user, "email")) == NULL ||
	    cJSON_AddStringToObject(pub, "name", json_str(user, "name")) == NULL) {
		cJSON_Delete(pub);
		return NULL;
	}
	return pub;
}

/* The Idempotency-Key of the customer for one e-mail (and, when a customer is replaced, the
 * one it replaces): identical forms sent at once, or a retry after a timeout, reach Stripe
 * with the same key and get the same customer. */
static void
users_customer_key(const char *email, const char *replaces, char *out, size_t outsz)
{
	unsigned char h[16];
	char hex[33];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)email, strlen(email));
	crypto_generichash_update(&st, (const unsigned char *)"|", 1);
	crypto_generichash_update(&st, (const unsigned char *)replaces, strlen(replaces));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, outsz, "shop-customer-%s", hex);
}

/* A customer the shop made for this e-mail whose user was never written (a timeout after
 * Stripe acted) is reused; otherwise one is created, idempotently. Only the e-mail goes into
 * the creation, so that every request for it sends the same parameters. */
enum shop_err
users_stripe_customer(const struct config *cfg, const char *email, const char *replaces,
    char *out, size_t outsz, struct stripe_result *res)
{
	struct buf q = { 0 }, form = { 0 };
	const cJSON *c;
	const char *id;
	char key[64];
	enum shop_err e = SHOP_ERR_NOMEM;
	int tries;

	if (buf_puts(&q, "/v1/customers?limit=100") || form_add(&q, "email", email))
		goto out;
	if ((e = stripe_request(cfg, "GET", q.data, NULL, NULL, res)) != SHOP_OK)
		goto out;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res->body, "data")) {
		id = json_str(c, "id");
		if (json_str(cJSON_GetObjectItemCaseSensitive(c, "metadata"), "shop_source") &&
		    id != NULL && valid_stripe_id(id, "cus_") && strcmp(id, replaces) != 0) {
			snprintf(out, outsz, "%s", id);
			goto out;
		}
	}
	e = SHOP_ERR_NOMEM;
	if (form_add(&form, "email", email) || form_add(&form, "metadata[shop_source]", "shop"))
		goto out;
	users_customer_key(email, replaces, key, sizeof(key));
	/* 409: the same key is in flight in another process; its answer is replayed soon. */
	for (tries = 0; tries < 5; tries++) {
		stripe_result_free(res);
		e = stripe_request(cfg, "POST", "/v1/customers", form.data, key, res);
		if (!(e == SHOP_ERR_STRIPE && res->status == 409))
			break;
		usleep(300000);
	}
	if (e != SHOP_OK)
		goto out;
	if ((id = json_str(res->body, "id")) == NULL || !valid_stripe_id(id, "cus_")) {
		LOG("Stripe returned a customer without an id");
		e = SHOP_ERR_STRIPE;
		goto out;
	}
	snprintf(out, outsz, "%s", id);
out:
	if (e == SHOP_OK)
		stripe_result_free(res);
	buf_free(&q);
	buf_free(&form);
	return e;
}

void
users_describe_customer(const struct config *cfg, const char *customer, const cJSON *user)
{
	struct buf form = { 0 };
	struct stripe_result res;
	char path[300];

	snprintf(path, sizeof(path), "/v1/customers/%s", customer);
	if (form_add(&form, "name", json_str(user, "name")) == SHOP_OK &&
	    form_add(&form, "metadata[shop_user_id]", json_str(user, "id")) == SHOP_OK &&
	    stripe_request(cfg, "POST", path, form.data, NULL, &res) != SHOP_OK)
		LOG("could not name customer %s; the user is saved all the same", customer);
	stripe_result_free(&res);
	buf_free(&form);
}

struct set_ctx {
	const char	*user_id, *key;
	cJSON		*value;		/* moved into the entry */
};

static enum shop_err
users_set_locked(cJSON *users, void *arg, int *changed)
{
	struct set_ctx *ctx = arg;
	cJSON *u;
	const char *id;

	cJSON_ArrayForEach(u, users)
		if ((id = json_str(u, "id")) != NULL && strcmp(id, ctx->user_id) == 0) {
			cJSON_DeleteItemFromObjectCaseSensitive(u, ctx->key);
			cJSON_AddItemToObject(u, ctx->key, ctx->value);
			ctx->value = NULL;
			*changed = 1;
			return SHOP_OK;
		}
	return SHOP_ERR_NOTFOUND;
}

enum shop_err
users_set(const struct config *cfg, const char *user_id, const char *key, cJSON *value)
{
	struct set_ctx ctx = { user_id, key, value };
	char path[600];
	enum shop_err e;

	if (value == NULL)
		return SHOP_ERR_NOMEM;
	if ((e = config_path(cfg, "users.json", path, sizeof(path))) == SHOP_OK)
		e = store_update(path, users_set_locked, &ctx);
	cJSON_Delete(ctx.value);
	return e;
}
