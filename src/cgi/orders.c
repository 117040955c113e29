/* orders — GET /api/orders: the logged-in user's orders from data/orders.json, newest first,
 * and the payments Stripe has not confirmed yet (bank transfers still processing, or failed),
 * which are not orders but which the shopper should see. */
#include <stdio.h>
#include <string.h>

#include "shop.h"

static int
orders_has(const cJSON *mine, const char *id)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, mine)
		if (json_str(o, "id") != NULL && strcmp(json_str(o, "id"), id) == 0)
			return 1;
	return 0;
}

/* Completed but unpaid Checkout Sessions of the user's customer: "processing" while the
 * payment may still go through, "failed" once it cannot. Best effort: when Stripe cannot be
 * asked, the list is empty and the orders are still shown. */
static cJSON *
orders_pending(const struct config *cfg, const cJSON *user, const cJSON *mine)
{
	struct buf q = { 0 };
	struct stripe_result res = { 0 };
	const cJSON *s, *pi;
	const char *id, *ps, *pis;
	cJSON *list = cJSON_CreateArray(), *p;

	if (list == NULL || buf_puts(&q, "/v1/checkout/sessions?status=complete&limit=20"
	    "&expand%5B%5D=data.payment_intent") ||
	    form_add(&q, "customer", json_str(user, "stripe_customer")) ||
	    stripe_request(cfg, "GET", q.data, NULL, NULL, &res) != SHOP_OK)
		goto out;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res.body, "data")) {
		id = json_str(s, "id");
		ps = json_str(s, "payment_status");
		if (id == NULL || ps == NULL || strcmp(ps, "unpaid") != 0 || orders_has(mine, id))
			continue;
		pi = cJSON_GetObjectItemCaseSensitive(s, "payment_intent");
		pis = json_str(pi, "status");
		if ((p = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(list, p);
		cJSON_AddStringToObject(p, "id", id);
		cJSON_AddNumberToObject(p, "created", (double)json_int_or(s, "created", 0));
		cJSON_AddStringToObject(p, "status", pis != NULL && strcmp(pis, "processing") != 0 &&
		    strcmp(pis, "succeeded") != 0 ? "failed" : "processing");
		cJSON_AddStringToObject(p, "currency", json_str(s, "currency") ?
		    json_str(s, "currency") : "");
		cJSON_AddNumberToObject(p, "total", (double)json_int_or(s, "amount_total", 0));
	}
out:
	stripe_result_free(&res);
	buf_free(&q);
	return list;
}

static void
orders_get(const struct config *cfg, const struct request *req)
{
	cJSON *user, *mine = NULL, *o, *answer = NULL, *list;
	enum shop_err e;

	if ((user = users_require_login(cfg, req)) == NULL)
		return;
	if ((e = orders_of_user(cfg, json_str(user, "id"), &mine)) != SHOP_OK)
		goto fail;
	e = SHOP_ERR_NOMEM;
	if ((answer = cJSON_CreateObject()) == NULL ||
	    (list = cJSON_AddArrayToObject(answer, "orders")) == NULL)
		goto fail;
	cJSON_ArrayForEach(o, mine)
		cJSON_AddItemToArray(list, orders_public(o));
	cJSON_AddItemToObject(answer, "pending", orders_pending(cfg, user, mine));
	http_send_json(200, answer);
	e = SHOP_OK;
fail:
	if (e != SHOP_OK)
		http_send_failure(e);
	cJSON_Delete(answer);
	cJSON_Delete(mine);
	cJSON_Delete(user);
}

static const struct route routes[] = {
	{ HTTP_GET, orders_get },
};

int
main(void)
{
	return http_main("orders", routes, sizeof(routes) / sizeof(routes[0]), 0);
}
