/* webhook — POST /api/webhook: Stripe's events. Only a verified Stripe-Signature counts;
 * paid Checkout Sessions are fulfilled, catalogue changes refresh the product cache. */
#include <string.h>

#include "shop.h"

#define WEBHOOK_MAX_BODY (512 * 1024)

static void
webhook_ok(const char *what)
{
	cJSON *answer = cJSON_CreateObject();

	cJSON_AddBoolToObject(answer, "received", 1);
	cJSON_AddStringToObject(answer, "handled", what);
	http_send_json(200, answer);
	cJSON_Delete(answer);
}

/* The session in the event is only a hint: the order is built from the session as Stripe
 * returns it now, with its line items. */
static void
webhook_fulfil(const struct config *cfg, const cJSON *session)
{
	struct stripe_result res;
	cJSON *order = NULL;
	const char *id = json_str(session, "id");
	enum shop_err e;

	if (id == NULL || !valid_session_id(id)) {
		http_send_error(400, "invalid_event", "data.object.id", "The event has no session.");
		return;
	}
	if ((e = orders_fetch_session(cfg, id, &res)) != SHOP_OK) {
		/* 5xx makes Stripe deliver the event again later. */
		if (e == SHOP_ERR_STRIPE && res.status == 404)
			webhook_ok("ignored: not this account's session");
		else
			http_send_error(503, "stripe_unavailable", NULL, "Stripe could not be asked; "
			    "retry later.");
		stripe_result_free(&res);
		return;
	}
	e = orders_fulfil(cfg, res.body, &order);
	if (e == SHOP_OK)
		webhook_ok("order");
	else if (e == SHOP_ERR_CONFLICT)
		webhook_ok("ignored: not paid yet");
	else if (e == SHOP_ERR_NOTFOUND)
		webhook_ok("ignored: not a session of this shop");
	else
		http_send_failure(e);	/* 500: Stripe retries */
	cJSON_Delete(order);
	stripe_result_free(&res);
}

static void
webhook_post(const struct config *cfg, const struct request *req)
{
	cJSON *event;
	const char *type;
	const cJSON *object;

	if (webhook_verify(cfg->webhook_secret, req->stripe_signature, req->body, req->body_len,
	    time(NULL), WEBHOOK_TOLERANCE) != SHOP_OK) {
		LOG("refused an event whose Stripe-Signature does not verify");
		http_send_error(400, "bad_signature", NULL,
		    "The Stripe-Signature header does not verify.");
		return;
	}
	event = cJSON_ParseWithLength(req->body, req->body_len);
	type = json_str(event, "type");
	object = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(event, "data"),
	    "object");
	if (type == NULL || !cJSON_IsObject(object))
		http_send_error(400, "invalid_event", NULL, "The body is not a Stripe event.");
	else if (strcmp(type, "checkout.session.completed") == 0 ||
	    strcmp(type, "checkout.session.async_payment_succeeded") == 0)
		webhook_fulfil(cfg, object);
	else if (strncmp(type, "product.", 8) == 0 || strncmp(type, "price.", 6) == 0) {
		catalog_invalidate(cfg);
		webhook_ok("catalogue");
	} else
		webhook_ok("ignored");
	cJSON_Delete(event);
}

static const struct route routes[] = {
	{ HTTP_POST, webhook_post },
};

int
main(void)
{
	return http_main("webhook", routes, sizeof(routes) / sizeof(routes[0]),
	    WEBHOOK_MAX_BODY);
}
