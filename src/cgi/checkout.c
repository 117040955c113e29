/* checkout — POST /api/checkout: a Stripe Checkout Session for the logged-in user's cart
 * (or, with "preview": true, what a discount code takes off); GET ?session_id=: the return
 * from the payment page, which writes the order once Stripe says it is paid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shop.h"

#define CART_MAX_LINES	50
#define CART_MAX_QTY	99

struct cart_line {
	char		price[256];
	long long	quantity;
};

/* The cart as the server sees it: prices checked with Stripe, amounts from Stripe. */
struct cart {
	struct cart_line lines[CART_MAX_LINES];
	size_t		 n;
	char		 currency[8];
	long long	 subtotal;
};

struct promo {
	char		 id[256];
	char		 code[80];
	long long	 discount;	/* an estimate for the preview; Stripe charges its own */
	char		 description[80];
};

/* Reads {"items":[{"price","quantity"}…]}; answers 400 naming the bad field. */
static enum shop_err
checkout_parse_items(const cJSON *root, struct cart *cart)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items"), *it;
	char param[64];
	const char *price;
	size_t i;

	memset(cart, 0, sizeof(*cart));
	if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) < 1 ||
	    cJSON_GetArraySize(items) > CART_MAX_LINES) {
		http_send_error(400, "invalid_field", "items",
		    "The cart must hold between 1 and 50 different products.");
		return SHOP_ERR_INPUT;
	}
	cJSON_ArrayForEach(it, items) {
		struct cart_line *l = &cart->lines[cart->n];

		snprintf(param, sizeof(param), "items[%zu].price", cart->n);
		if ((price = json_str(it, "price")) == NULL || !valid_price_id(price)) {
			http_send_error(400, "invalid_field", param, "A cart line has no valid price.");
			return SHOP_ERR_INPUT;
		}
		for (i = 0; i < cart->n; i++)
			if (strcmp(cart->lines[i].price, price) == 0) {
				http_send_error(400, "invalid_field", param,
				    "The same price appears twice in the cart.");
				return SHOP_ERR_INPUT;
			}
		snprintf(param, sizeof(param), "items[%zu].quantity", cart->n);
		if (!json_int(cJSON_GetObjectItemCaseSensitive(it, "quantity"), 1, CART_MAX_QTY,
		    &l->quantity)) {
			http_send_error(400, "invalid_field", param,
			    "A quantity must be a whole number from 1 to 99.");
			return SHOP_ERR_INPUT;
		}
		snprintf(l->price, sizeof(l->price), "%s", price);
		cart->n++;
	}
	return SHOP_OK;
}

/* Asks Stripe for each price: active, one-time, of an active product, one currency. */
static enum shop_err
checkout_price_cart(const struct config *cfg, struct cart *cart)
{
	char path[400], param[64], msg[300];
	struct stripe_result res;
	const cJSON *product;
	const char *type, *currency, *name;
	long long amount;
	enum shop_err e;
	size_t i;

	for (i = 0; i < cart->n; i++) {
		snprintf(path, sizeof(path), "/v1/prices/%s?expand%%5B%%5D=product",
		    cart->lines[i].price);
		snprintf(param, sizeof(param), "items[%zu].price", i);
		e = stripe_request(cfg, "GET", path, NULL, NULL, &res);
		if (e != SHOP_OK && !(e == SHOP_ERR_STRIPE && res.status == 404)) {
			stripe_send_failure(e, &res);
			stripe_result_free(&res);
			return e;
		}
		product = cJSON_GetObjectItemCaseSensitive(res.body, "product");
		type = json_str(res.body, "type");
		currency = json_str(res.body, "currency");
		name = json_str(product, "name");
		if (e != SHOP_OK || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res.body,
		    "active")) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(product, "active")) ||
		    type == NULL || strcmp(type, "one_time") != 0 || currency == NULL ||
		    strlen(currency) != 3 || !json_int(cJSON_GetObjectItemCaseSensitive(res.body,
		    "unit_amount"), 0, 100000000, &amount)) {
			snprintf(msg, sizeof(msg), "%s%s is no longer for sale. Remove it from the "
			    "cart to go on.", name ? name : "A product in your cart", name ? "" : "");
			http_send_error(409, "price_unavailable", param, msg);
			stripe_result_free(&res);
			return SHOP_ERR_CONFLICT;
		}
		if (cart->currency[0] == '\0')
			snprintf(cart->currency, sizeof(cart->currency), "%s", currency);
		else if (strcmp(cart->currency, currency) != 0) {
			http_send_error(409, "mixed_currencies", param,
			    "The cart holds prices in different currencies.");
			stripe_result_free(&res);
			return SHOP_ERR_CONFLICT;
		}
		cart->subtotal += amount * cart->lines[i].quantity;
		stripe_result_free(&res);
	}
	return SHOP_OK;
}

/* 1 when the user has an order already (for first-time-only codes), or when that cannot be
 * known: a damaged orders file must not let a first-order code through. */
static int
checkout_has_orders(const struct config *cfg, const cJSON *user)
{
	cJSON *orders;
	int found;

	if (user == NULL)
		return 0;
	if (orders_of_user(cfg, json_str(user, "id"), &orders) != SHOP_OK)
		return 1;
	found = cJSON_GetArraySize(orders) > 0;
	cJSON_Delete(orders);
	return found;
}

/* Why a promotion code does not apply to this cart and user, or NULL when it does. */
static const char *
checkout_promo_refusal(const struct config *cfg, const cJSON *pc, const cJSON *coupon,
    const struct cart *cart, const cJSON *user, char *msg, size_t msgsz)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(pc, "restrictions");
	const char *only_for = json_str(pc, "customer"), *cur;
	long long expires = json_int_or(pc, "expires_at", 0), max, min;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pc, "active")) ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(coupon, "valid")))
		return "This code is no longer valid.";
	if (expires != 0 && expires <= (long long)time(NULL))
		return "This code has expired.";
	max = json_int_or(pc, "max_redemptions", 0);
	if (max > 0 && json_int_or(pc, "times_redeemed", 0) >= max)
		return "This code has been used up.";
	if (only_for != NULL && (user == NULL || json_str(user, "stripe_customer") == NULL ||
	    strcmp(only_for, json_str(user, "stripe_customer")) != 0))
		return "This code belongs to another customer.";
	min = json_int_or(r, "minimum_amount", 0);
	cur = json_str(r, "minimum_amount_currency");
	if (min > 0 && (cart->subtotal < min || (cur && strcasecmp(cur, cart->currency)))) {
		snprintf(msg, msgsz, "This code needs an order of at least %lld.%02lld %s.",
		    min / 100, min % 100, cur ? cur : cart->currency);
		for (char *p = msg; *p; p++)
			if (p > msg + strlen(msg) - 5 && *p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		return msg;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "first_time_transaction")) &&
	    checkout_has_orders(cfg, user))
		return "This code is only for a first order.";
	cur = json_str(coupon, "currency");
	if (json_int_or(coupon, "amount_off", 0) > 0 && (cur == NULL ||
	    strcasecmp(cur, cart->currency) != 0))
		return "This code is for another currency.";
	return NULL;
}

/* Resolves a code through Stripe and checks it; answers 404/422 itself when it fails. */
static enum shop_err
checkout_promo(const struct config *cfg, const char *code, const struct cart *cart,
    const cJSON *user, struct promo *out)
{
	struct buf q = { 0 };
	struct stripe_result res = { 0 };
	const cJSON *pc, *coupon;
	const char *why;
	char msg[160];
	double pct;
	enum shop_err e = SHOP_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	if (buf_puts(&q, "/v1/promotion_codes?active=true&limit=1"
	    "&expand%5B%5D=data.promotion.coupon") || form_add(&q, "code", code))
		goto fail;
	if ((e = stripe_request(cfg, "GET", q.data, NULL, NULL, &res)) != SHOP_OK) {
		stripe_send_failure(e, &res);
		goto out;
	}
	pc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res.body, "data"), 0);
	coupon = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pc,
	    "promotion"), "coupon");
	if (pc == NULL || !cJSON_IsObject(coupon) || json_str(pc, "id") == NULL) {
		http_send_error(404, "promotion_code_not_found", "promotion_code",
		    "There is no such discount code.");
		e = SHOP_ERR_NOTFOUND;
		goto out;
	}
	if ((why = checkout_promo_refusal(cfg, pc, coupon, cart, user, msg, sizeof(msg)))) {
		http_send_error(422, "promotion_code_not_applicable", "promotion_code", why);
		e = SHOP_ERR_CONFLICT;
		goto out;
	}
	snprintf(out->id, sizeof(out->id), "%s", json_str(pc, "id"));
	snprintf(out->code, sizeof(out->code), "%s", json_str(pc, "code") ?
	    json_str(pc, "code") : code);
	pct = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(coupon, "percent_off"));
	if (!isnan(pct) && pct > 0) {
		out->discount = llround((double)cart->subtotal * pct / 100.0);
		snprintf(out->description, sizeof(out->description), "%g %% off", pct);
	} else {
		out->discount = json_int_or(coupon, "amount_off", 0);
		snprintf(out->description, sizeof(out->description), "%lld.%02lld off",
		    out->discount / 100, out->discount % 100);
	}
	if (out->discount > cart->subtotal)
		out->discount = cart->subtotal;
	e = SHOP_OK;
	goto out;
fail:
	http_send_failure(e);
out:
	stripe_result_free(&res);
	buf_free(&q);
	return e;
}

static void
checkout_preview(const struct cart *cart, const struct promo *promo)
{
	cJSON *answer = cJSON_CreateObject(), *p = cJSON_AddObjectToObject(answer, "preview");

	cJSON_AddStringToObject(p, "code", promo->code);
	cJSON_AddStringToObject(p, "description", promo->description);
	cJSON_AddStringToObject(p, "currency", cart->currency);
	cJSON_AddNumberToObject(p, "subtotal", (double)cart->subtotal);
	cJSON_AddNumberToObject(p, "discount", (double)promo->discount);
	cJSON_AddNumberToObject(p, "total", (double)(cart->subtotal - promo->discount));
	http_send_json(200, answer);
	cJSON_Delete(answer);
}

/* The form of a Checkout Session: the user's customer, our prices, the checked code. */
static enum shop_err
checkout_form(const struct config *cfg, const struct cart *cart, const struct promo *promo,
    const cJSON *user, struct buf *f)
{
	char key[64];
	size_t i;

	if (form_add(f, "mode", "payment") ||
	    form_add(f, "customer", json_str(user, "stripe_customer")) ||
	    form_add(f, "client_reference_id", json_str(user, "id")) ||
	    form_add(f, "metadata[user_id]", json_str(user, "id")) ||
	    form_addf(f, "success_url", "%s/success.html?session_id={CHECKOUT_SESSION_ID}",
	    cfg->base_url) ||
	    form_addf(f, "cancel_url", "%s/cancel.html", cfg->base_url))
		return SHOP_ERR_NOMEM;
	for (i = 0; i < cart->n; i++) {
		snprintf(key, sizeof(key), "line_items[%zu][price]", i);
		if (form_add(f, key, cart->lines[i].price))
			return SHOP_ERR_NOMEM;
		snprintf(key, sizeof(key), "line_items[%zu][quantity]", i);
		if (form_addf(f, key, "%lld", cart->lines[i].quantity))
			return SHOP_ERR_NOMEM;
	}
	if (promo->id[0] != '\0' &&
	    (form_add(f, "discounts[0][promotion_code]", promo->id) ||
	    form_add(f, "metadata[promotion_code]", promo->code)))
		return SHOP_ERR_NOMEM;
	return SHOP_OK;
}

/* 1 when Stripe refused because the user's customer does not exist there (deleted, or made
 * in another Stripe account). */
static int
checkout_customer_missing(enum shop_err e, const struct stripe_result *res)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(res->body, "error");
	const char *param = json_str(err, "param");

	return e == SHOP_ERR_STRIPE && strcmp(stripe_error_code(res), "resource_missing") == 0 &&
	    param != NULL && strcmp(param, "customer") == 0;
}

/* Gives the user a new Stripe customer, in users.json and in the caller's copy of the user. */
static enum shop_err
checkout_replace_customer(const struct config *cfg, cJSON *user, struct stripe_result *res)
{
	char customer[256];
	enum shop_err e;

	LOG("user %s: customer %s is gone from Stripe; making a new one", json_str(user, "id"),
	    json_str(user, "stripe_customer"));
	stripe_result_free(res);
	if ((e = users_stripe_customer(cfg, json_str(user, "email"),
	    json_str(user, "stripe_customer"), customer, sizeof(customer), res)) != SHOP_OK ||
	    (e = users_set(cfg, json_str(user, "id"), "stripe_customer",
	    cJSON_CreateString(customer))) != SHOP_OK)
		return e;
	users_describe_customer(cfg, customer, user);
	cJSON_ReplaceItemInObjectCaseSensitive(user, "stripe_customer",
	    cJSON_CreateString(customer));
	return SHOP_OK;
}

/* Creates the Checkout Session and answers {id, url}. */
static void
checkout_create(const struct config *cfg, const struct cart *cart, const struct promo *promo,
    cJSON *user)
{
	struct buf f = { 0 };
	struct stripe_result res = { 0 };
	cJSON *answer = NULL;
	enum shop_err e;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		buf_free(&f);
		stripe_result_free(&res);
		if ((e = checkout_form(cfg, cart, promo, user, &f)) != SHOP_OK)
			goto fail;
		e = stripe_request(cfg, "POST", "/v1/checkout/sessions", f.data, NULL, &res);
		if (attempt > 0 || !checkout_customer_missing(e, &res))
			break;
		if ((e = checkout_replace_customer(cfg, user, &res)) != SHOP_OK)
			break;
	}
	if (e == SHOP_ERR_STRIPE && res.status == 400 && promo->id[0] != '\0' &&
	    strcmp(stripe_error_code(&res), "resource_missing") != 0) {
		http_send_error(422, "promotion_code_not_applicable", "promotion_code",
		    "Stripe does not accept this discount code for this order.");
		goto out;
	}
	if (e == SHOP_ERR_STRIPE || e == SHOP_ERR_NETWORK) {
		stripe_send_failure(e, &res);
		goto out;
	}
	if (e != SHOP_OK)
		goto fail;
	if (json_str(res.body, "id") == NULL || json_str(res.body, "url") == NULL) {
		LOG("Stripe returned a session without id or url");
		stripe_send_failure(SHOP_ERR_STRIPE, NULL);
		goto out;
	}
	e = SHOP_ERR_NOMEM;
	if ((answer = cJSON_CreateObject()) == NULL)
		goto fail;
	cJSON_AddStringToObject(answer, "id", json_str(res.body, "id"));
	cJSON_AddStringToObject(answer, "url", json_str(res.body, "url"));
	http_send_json(200, answer);
	goto out;
fail:
	http_send_failure(e);
out:
	cJSON_Delete(answer);
	stripe_result_free(&res);
	buf_free(&f);
}

static void
checkout_post(const struct config *cfg, const struct request *req)
{
	static const struct json_field fields[] = {
		{ "promotion_code", valid_promo_code, 0 },
	};
	const char *code;
	struct cart cart;
	struct promo promo;
	cJSON *root = NULL, *user = NULL;
	const cJSON *item;
	int preview;

	if (json_input(req, fields, 1, &root, &code) != SHOP_OK)
		return;
	item = cJSON_GetObjectItemCaseSensitive(root, "preview");
	if (item != NULL && !cJSON_IsBool(item)) {
		http_send_error(400, "invalid_field", "preview", "preview must be true or false.");
		goto out;
	}
	preview = cJSON_IsTrue(item);
	/* A preview needs no login; a Checkout Session never exists without one. */
	if (!preview && (user = users_require_login(cfg, req)) == NULL)
		goto out;
	if (preview)
		(void)users_current(cfg, req, &user);	/* logged out: user stays NULL */
	memset(&promo, 0, sizeof(promo));
	if (checkout_parse_items(root, &cart) != SHOP_OK ||
	    checkout_price_cart(cfg, &cart) != SHOP_OK ||
	    (code != NULL && checkout_promo(cfg, code, &cart, user, &promo) != SHOP_OK))
		goto out;
	if (preview && code == NULL)
		http_send_error(400, "missing_field", "promotion_code",
		    "A preview needs a discount code.");
	else if (preview)
		checkout_preview(&cart, &promo);
	else
		checkout_create(cfg, &cart, &promo, user);
out:
	cJSON_Delete(user);
	cJSON_Delete(root);
}

/* Says why a session is not (yet) an order: still open, paid by a method that confirms
 * later, or expired. */
static void
checkout_not_paid(const cJSON *session)
{
	const char *status = json_str(session, "status");

	if (status != NULL && strcmp(status, "complete") == 0)
		http_send_error(409, "payment_processing", "session_id", "The payment is being "
		    "processed. The order appears under My orders once the bank confirms it.");
	else if (status != NULL && strcmp(status, "expired") == 0)
		http_send_error(409, "session_expired", "session_id",
		    "This payment page has expired. Nothing was charged.");
	else
		http_send_error(409, "payment_not_confirmed", "session_id",
		    "Stripe has not confirmed this payment. No order was written.");
}

/* The return from the payment page. The order is written only for a session Stripe calls
 * paid that belongs to the logged-in user; anything else writes nothing. */
static void
checkout_get(const struct config *cfg, const struct request *req)
{
	struct stripe_result res = { 0 };
	cJSON *user, *order = NULL, *answer = NULL;
	char *sid;
	const char *ref, *cus;
	enum shop_err e;

	if ((user = users_require_login(cfg, req)) == NULL)
		return;
	if ((sid = form_get(req->query, "session_id")) == NULL || !valid_session_id(sid)) {
		http_send_error(400, "invalid_field", "session_id", "session_id is missing or wrong.");
		goto out;
	}
	if ((e = orders_fetch_session(cfg, sid, &res)) != SHOP_OK) {
		if (e == SHOP_ERR_STRIPE && res.status == 404)
			http_send_error(404, "session_not_found", "session_id", "No such payment.");
		else
			stripe_send_failure(e, &res);
		goto out;
	}
	ref = json_str(res.body, "client_reference_id");
	cus = json_str(res.body, "customer");
	if (ref == NULL || cus == NULL || json_str(user, "stripe_customer") == NULL ||
	    strcmp(ref, json_str(user, "id")) != 0 ||
	    strcmp(cus, json_str(user, "stripe_customer")) != 0) {
		http_send_error(404, "session_not_found", "session_id", "No such payment.");
		goto out;
	}
	if ((e = orders_fulfil(cfg, res.body, &order)) == SHOP_ERR_CONFLICT) {
		checkout_not_paid(res.body);
		goto out;
	}
	if (e != SHOP_OK || (answer = cJSON_CreateObject()) == NULL) {
		http_send_failure(e != SHOP_OK ? e : SHOP_ERR_NOMEM);
		goto out;
	}
	cJSON_AddItemToObject(answer, "order", orders_public(order));
	http_send_json(200, answer);
out:
	cJSON_Delete(answer);
	cJSON_Delete(order);
	stripe_result_free(&res);
	free(sid);
	cJSON_Delete(user);
}

static const struct route routes[] = {
	{ HTTP_GET, checkout_get },
	{ HTTP_POST, checkout_post },
};

int
main(void)
{
	return http_main("checkout", routes, sizeof(routes) / sizeof(routes[0]), 64 * 1024);
}
