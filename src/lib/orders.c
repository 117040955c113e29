/* orders.c — fulfilment: the one idempotent function, keyed by Checkout Session id, that
 * turns a session Stripe calls paid into exactly one entry of data/orders.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

struct fulfil_ctx {
	const cJSON	*session;
	const cJSON	*user;
	cJSON		*order;		/* out: a copy of the stored order */
};

enum shop_err
orders_fetch_session(const struct config *cfg, const char *session_id, struct stripe_result *res)
{
	char path[400];
	struct stripe_result items;
	enum shop_err e;

	if (!valid_session_id(session_id))
		return SHOP_ERR_INPUT;
	snprintf(path, sizeof(path), "/v1/checkout/sessions/%s", session_id);
	if ((e = stripe_request(cfg, "GET", path, NULL, NULL, res)) != SHOP_OK)
		return e;
	/* The list endpoint, not expand: it pages to 100 items where expand may stop short. */
	snprintf(path, sizeof(path), "/v1/checkout/sessions/%s/line_items?limit=100", session_id);
	if ((e = stripe_request(cfg, "GET", path, NULL, NULL, &items)) != SHOP_OK) {
		stripe_result_free(res);
		*res = items;
		return e;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(res->body, "line_items");
	cJSON_AddItemToObject(res->body, "line_items", items.body);
	return SHOP_OK;
}

/* The id of a field that may be an id or an expanded object. */
static const char *
id_of(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (cJSON_IsString(item))
		return item->valuestring;
	return json_str(item, "id");
}

static cJSON *
orders_items(const cJSON *session)
{
	const cJSON *li, *price;
	cJSON *items = cJSON_CreateArray(), *it;

	cJSON_ArrayForEach(li, cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(session, "line_items"), "data")) {
		price = cJSON_GetObjectItemCaseSensitive(li, "price");
		if ((it = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(items, it);
		cJSON_AddStringToObject(it, "product", id_of(price, "product") ?
		    id_of(price, "product") : "");
		cJSON_AddStringToObject(it, "price", json_str(price, "id") ?
		    json_str(price, "id") : "");
		cJSON_AddStringToObject(it, "name", json_str(li, "description") ?
		    json_str(li, "description") : "");
		cJSON_AddNumberToObject(it, "unit_amount", (double)json_int_or(price, "unit_amount", 0));
		cJSON_AddNumberToObject(it, "quantity", (double)json_int_or(li, "quantity", 0));
		cJSON_AddNumberToObject(it, "amount_total", (double)json_int_or(li, "amount_total", 0));
	}
	return items;
}

/* Builds the order entry from what Stripe says; amounts are Stripe's, never recomputed. */
static cJSON *
orders_new(const cJSON *s, const cJSON *user)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *td = cJSON_GetObjectItemCaseSensitive(s, "total_details");
	const char *code = json_str(cJSON_GetObjectItemCaseSensitive(s, "metadata"),
	    "promotion_code");
	const char *ps = json_str(s, "payment_status");

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "id", json_str(s, "id"));
	cJSON_AddNumberToObject(o, "created", (double)time(NULL));
	cJSON_AddStringToObject(o, "user", json_str(user, "id"));
	cJSON_AddStringToObject(o, "email", json_str(user, "email"));
	cJSON_AddStringToObject(o, "customer", id_of(s, "customer") ? id_of(s, "customer") : "");
	cJSON_AddStringToObject(o, "status", ps);	/* "paid" or "no_payment_required" */
	if (id_of(s, "payment_intent") != NULL)
		cJSON_AddStringToObject(o, "payment_intent", id_of(s, "payment_intent"));
	else
		cJSON_AddNullToObject(o, "payment_intent");
	cJSON_AddStringToObject(o, "currency", json_str(s, "currency") ? json_str(s, "currency") :
	    "");
	cJSON_AddNumberToObject(o, "subtotal", (double)json_int_or(s, "amount_subtotal", 0));
	cJSON_AddNumberToObject(o, "discount", (double)json_int_or(td, "amount_discount", 0));
	cJSON_AddNumberToObject(o, "total", (double)json_int_or(s, "amount_total", 0));
	if (code != NULL)
		cJSON_AddStringToObject(o, "promotion_code", code);
	else
		cJSON_AddNullToObject(o, "promotion_code");
	cJSON_AddItemToObject(o, "items", orders_items(s));
	return o;
}

static enum shop_err
orders_add_once(cJSON *orders, void *arg, int *changed)
{
	struct fulfil_ctx *ctx = arg;
	const char *id = json_str(ctx->session, "id");
	cJSON *o;

	cJSON_ArrayForEach(o, orders) {
		const char *oid = json_str(o, "id");

		if (oid != NULL && strcmp(oid, id) == 0) {
			ctx->order = cJSON_Duplicate(o, 1);	/* already fulfilled */
			return ctx->order ? SHOP_OK : SHOP_ERR_NOMEM;
		}
	}
	if ((o = orders_new(ctx->session, ctx->user)) == NULL ||
	    (ctx->order = cJSON_Duplicate(o, 1)) == NULL) {
		cJSON_Delete(o);
		return SHOP_ERR_NOMEM;
	}
	cJSON_AddItemToArray(orders, o);
	*changed = 1;
	return SHOP_OK;
}

enum shop_err
orders_fulfil(const struct config *cfg, const cJSON *session, cJSON **order)
{
	char path[600];
	const char *status = json_str(session, "status");
	const char *ps = json_str(session, "payment_status");
	const char *ref = json_str(session, "client_reference_id");
	const char *customer = id_of(session, "customer");
	struct fulfil_ctx ctx = { session, NULL, NULL };
	cJSON *user = NULL;
	enum shop_err e;

	*order = NULL;
	if (json_str(session, "id") == NULL || status == NULL || ps == NULL ||
	    strcmp(status, "complete") != 0 ||
	    (strcmp(ps, "paid") != 0 && strcmp(ps, "no_payment_required") != 0))
		return SHOP_ERR_CONFLICT;
	/* Only sessions this shop made: they name our user and that user's Stripe customer. */
	if (ref == NULL || !valid_user_id(ref) || customer == NULL)
		return SHOP_ERR_NOTFOUND;
	if ((e = users_find_id(cfg, ref, &user)) != SHOP_OK && e != SHOP_ERR_NOTFOUND)
		return e;
	if (user == NULL || json_str(user, "stripe_customer") == NULL ||
	    strcmp(json_str(user, "stripe_customer"), customer) != 0) {
		cJSON_Delete(user);
		return SHOP_ERR_NOTFOUND;
	}
	ctx.user = user;
	if ((e = config_path(cfg, "orders.json", path, sizeof(path))) == SHOP_OK &&
	    (e = store_update(path, orders_add_once, &ctx)) == SHOP_OK)
		*order = ctx.order;
	cJSON_Delete(user);
	return e;
}

cJSON *
orders_public(const cJSON *order)
{
	static const char *const hidden[] = { "user", "email", "customer", "payment_intent" };
	cJSON *pub = cJSON_Duplicate(order, 1);
	size_t i;

	for (i = 0; pub != NULL && i < sizeof(hidden) / sizeof(hidden[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(pub, hidden[i]);
	return pub;
}

static int
orders_newest_first(const void *a, const void *b)
{
	long long ta = json_int_or(*(cJSON *const *)a, "created", 0);
	long long tb = json_int_or(*(cJSON *const *)b, "created", 0);

	return (ta < tb) - (ta > tb);
}

enum shop_err
orders_of_user(const struct config *cfg, const char *user_id, cJSON **out)
{
	char path[600];
	cJSON *all = NULL, *o, **mine = NULL;
	const char *owner;
	size_t n = 0, i;
	enum shop_err e;

	*out = NULL;
	if ((e = config_path(cfg, "orders.json", path, sizeof(path))) != SHOP_OK ||
	    (e = store_read(path, &all)) != SHOP_OK)
		return e;
	e = SHOP_ERR_NOMEM;
	if ((mine = calloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(*mine))) == NULL ||
	    (*out = cJSON_CreateArray()) == NULL)
		goto fail;
	cJSON_ArrayForEach(o, all)
		if ((owner = json_str(o, "user")) != NULL && strcmp(owner, user_id) == 0)
			mine[n++] = o;
	qsort(mine, n, sizeof(*mine), orders_newest_first);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(*out, cJSON_Duplicate(mine[i], 1));
	e = SHOP_OK;
fail:
	free(mine);
	cJSON_Delete(all);
	return e;
}
