/* users.c — looking up shop users (data/users.json) and the logged-in user of a request. */
#include <stdio.h>
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

cJSON *
users_require_login(const struct config *cfg, const struct request *req)
{
	char id[64];
	cJSON *user = NULL;
	enum shop_err e;

	if (session_check(cfg, req->cookie, time(NULL), id, sizeof(id)) != SHOP_OK) {
		http_send_error(401, "not_logged_in", NULL, "Please log in first.");
		return NULL;
	}
	if ((e = users_find_id(cfg, id, &user)) == SHOP_ERR_NOTFOUND) {
		/* A valid cookie for a user who no longer exists: log the browser out. */
		session_set_cookie(cfg, NULL);
		http_send_error(401, "not_logged_in", NULL, "Please log in first.");
		return NULL;
	}
	if (e != SHOP_OK) {
		http_send_failure(e);
		return NULL;
	}
	return user;
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

/* A customer the shop made earlier for this e-mail whose user was never written (a timeout
 * after Stripe acted) is reused, so one user never has two customers. */
enum shop_err
users_stripe_customer(const struct config *cfg, const char *email, const char *name,
    const char *user_id, char *out, size_t outsz, struct stripe_result *res)
{
	struct buf q = { 0 }, form = { 0 };
	const cJSON *c;
	const char *id;
	enum shop_err e = SHOP_ERR_NOMEM;

	if (buf_puts(&q, "/v1/customers?limit=100&") || form_add(&q, "email", email))
		goto out;
	if ((e = stripe_request(cfg, "GET", q.data, NULL, NULL, res)) != SHOP_OK)
		goto out;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res->body, "data")) {
		id = json_str(c, "id");
		if (json_str(cJSON_GetObjectItemCaseSensitive(c, "metadata"), "shop_source") &&
		    id != NULL && valid_stripe_id(id, "cus_")) {
			snprintf(out, outsz, "%s", id);
			goto out;
		}
	}
	stripe_result_free(res);
	e = SHOP_ERR_NOMEM;
	if (form_add(&form, "email", email) || form_add(&form, "name", name) ||
	    form_add(&form, "metadata[shop_source]", "shop") ||
	    form_add(&form, "metadata[shop_user_id]", user_id))
		goto out;
	if ((e = stripe_request(cfg, "POST", "/v1/customers", form.data, NULL, res)) != SHOP_OK)
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

struct set_customer_ctx {
	const char *user_id, *customer;
};

static enum shop_err
users_set_customer_locked(cJSON *users, void *arg, int *changed)
{
	struct set_customer_ctx *ctx = arg;
	cJSON *u;
	const char *id;

	cJSON_ArrayForEach(u, users)
		if ((id = json_str(u, "id")) != NULL && strcmp(id, ctx->user_id) == 0) {
			cJSON_ReplaceItemInObjectCaseSensitive(u, "stripe_customer",
			    cJSON_CreateString(ctx->customer));
			*changed = 1;
			return SHOP_OK;
		}
	return SHOP_ERR_NOTFOUND;
}

enum shop_err
users_set_customer(const struct config *cfg, const char *user_id, const char *customer)
{
	struct set_customer_ctx ctx = { user_id, customer };
	char path[600];
	enum shop_err e;

	if ((e = config_path(cfg, "users.json", path, sizeof(path))) != SHOP_OK)
		return e;
	return store_update(path, users_set_customer_locked, &ctx);
}
