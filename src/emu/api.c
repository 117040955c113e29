/*
 * api.c: the catalogue and customer resources: products, prices, customers, coupons,
 * promotion codes, events and payment intents (created and confirmed with Stripe's test
 * card tokens; the hosted page makes the others). Each handler checks its input
 * table first, then reads only checked values; emu_mu is held by the caller.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "emu.h"

static const struct emu_param p_price_data[] = {
	{"currency", P_STR, NULL}, {"unit_amount", P_INT, NULL},
	{"unit_amount_decimal", P_STR, NULL}, {"tax_behavior", P_STR, NULL},
	{"metadata", P_MAP, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_product_create[] = {
	{"id", P_STR, NULL}, {"name", P_STR, NULL}, {"active", P_BOOL, NULL},
	{"description", P_STR, NULL}, {"images", P_STRS, NULL}, {"metadata", P_MAP, NULL},
	{"default_price_data", P_OBJ, p_price_data}, {"url", P_STR, NULL},
	{"shippable", P_BOOL, NULL}, {"statement_descriptor", P_STR, NULL},
	{"unit_label", P_STR, NULL}, {"tax_code", P_STR, NULL}, {"expand", P_STRS, NULL},
	{NULL, 0, NULL}
};
static const struct emu_param p_product_update[] = {
	{"name", P_STR, NULL}, {"active", P_BOOL, NULL}, {"description", P_STR, NULL},
	{"images", P_STRS, NULL}, {"metadata", P_MAP, NULL}, {"default_price", P_STR, NULL},
	{"url", P_STR, NULL}, {"shippable", P_BOOL, NULL}, {"statement_descriptor", P_STR, NULL},
	{"unit_label", P_STR, NULL}, {"tax_code", P_STR, NULL}, {"expand", P_STRS, NULL},
	{NULL, 0, NULL}
};
static const struct emu_param p_product_list[] = {
	EMU_LIST_PARAMS, {"active", P_BOOL, NULL}, {"ids", P_STRS, NULL},
	{"shippable", P_BOOL, NULL}, {"url", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_recurring[] = {
	{"interval", P_STR, NULL}, {"interval_count", P_INT, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_product_data[] = {
	{"id", P_STR, NULL}, {"name", P_STR, NULL}, {"active", P_BOOL, NULL},
	{"metadata", P_MAP, NULL}, {"statement_descriptor", P_STR, NULL},
	{"unit_label", P_STR, NULL}, {"tax_code", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_price_create[] = {
	{"currency", P_STR, NULL}, {"product", P_STR, NULL},
	{"product_data", P_OBJ, p_product_data}, {"unit_amount", P_INT, NULL},
	{"unit_amount_decimal", P_STR, NULL}, {"active", P_BOOL, NULL},
	{"nickname", P_STR, NULL}, {"metadata", P_MAP, NULL}, {"lookup_key", P_STR, NULL},
	{"transfer_lookup_key", P_BOOL, NULL}, {"recurring", P_OBJ, p_recurring},
	{"tax_behavior", P_STR, NULL}, {"billing_scheme", P_STR, NULL},
	{"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_price_update[] = {
	{"active", P_BOOL, NULL}, {"nickname", P_STR, NULL}, {"metadata", P_MAP, NULL},
	{"lookup_key", P_STR, NULL}, {"transfer_lookup_key", P_BOOL, NULL},
	{"tax_behavior", P_STR, NULL}, {"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_price_list[] = {
	EMU_LIST_PARAMS, {"active", P_BOOL, NULL}, {"currency", P_STR, NULL},
	{"product", P_STR, NULL}, {"type", P_STR, NULL}, {"lookup_keys", P_STRS, NULL},
	{NULL, 0, NULL}
};
static const struct emu_param p_customer[] = {
	{"email", P_STR, NULL}, {"name", P_STR, NULL}, {"description", P_STR, NULL},
	{"phone", P_STR, NULL}, {"metadata", P_MAP, NULL}, {"preferred_locales", P_STRS, NULL},
	{"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_customer_list[] = {
	EMU_LIST_PARAMS, {"email", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_customer_search[] = {
	{"query", P_STR, NULL}, {"limit", P_INT, NULL}, {"page", P_STR, NULL},
	{"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_coupon_create[] = {
	{"id", P_STR, NULL}, {"percent_off", P_NUM, NULL}, {"amount_off", P_INT, NULL},
	{"currency", P_STR, NULL}, {"duration", P_STR, NULL},
	{"duration_in_months", P_INT, NULL}, {"max_redemptions", P_INT, NULL},
	{"redeem_by", P_INT, NULL}, {"name", P_STR, NULL}, {"metadata", P_MAP, NULL},
	{"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_list_only[] = {
	EMU_LIST_PARAMS, {NULL, 0, NULL}
};
static const struct emu_param p_promotion[] = {
	{"type", P_STR, NULL}, {"coupon", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_restrictions[] = {
	{"first_time_transaction", P_BOOL, NULL}, {"minimum_amount", P_INT, NULL},
	{"minimum_amount_currency", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_promo_create[] = {
	{"promotion", P_OBJ, p_promotion}, {"code", P_STR, NULL}, {"active", P_BOOL, NULL},
	{"customer", P_STR, NULL}, {"expires_at", P_INT, NULL},
	{"max_redemptions", P_INT, NULL}, {"metadata", P_MAP, NULL},
	{"restrictions", P_OBJ, p_restrictions}, {"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_promo_update[] = {
	{"active", P_BOOL, NULL}, {"metadata", P_MAP, NULL}, {"expand", P_STRS, NULL},
	{NULL, 0, NULL}
};
static const struct emu_param p_promo_list[] = {
	EMU_LIST_PARAMS, {"code", P_STR, NULL}, {"active", P_BOOL, NULL},
	{"coupon", P_STR, NULL}, {"customer", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_event_list[] = {
	EMU_LIST_PARAMS, {"type", P_STR, NULL}, {"types", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_pi_create[] = {
	{"amount", P_INT, NULL}, {"currency", P_STR, NULL}, {"payment_method", P_STR, NULL},
	{"confirm", P_BOOL, NULL}, {"customer", P_STR, NULL}, {"metadata", P_MAP, NULL},
	{"description", P_STR, NULL}, {"payment_method_types", P_STRS, NULL},
	{"return_url", P_STR, NULL}, {"expand", P_STRS, NULL}, {NULL, 0, NULL}
};

/* Stripe's test PaymentMethod tokens and what a charge to each does; code NULL succeeds. */
struct pi_token {
	const char *token, *code, *decline_code, *message;
};
static const struct pi_token g_pi_tokens[] = {
	{"pm_card_visa", NULL, NULL, NULL},
	{"pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."},
	{"pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
	    "Your card has insufficient funds."},
	{"pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card",
	    "Your card has expired."},
	{NULL, NULL, NULL, NULL}
};
#define PI_MAX_AMOUNT 99999999       /* Stripe: at most eight digits */

/* One clause of a search query: [-]field:'value' (exact) or field~'value' (substring). */
#define SEARCH_MAX_CLAUSES 10
struct search_clause {
	char field[128], val[256];
	int neg, substr;
};

/* Each type's fields in Stripe's order, with their defaults (see emu_new_obj). */
static const char g_product_tpl[] = "{\"active\":true,\"default_price\":null,"
    "\"description\":null,\"images\":[],\"marketing_features\":[],\"metadata\":{},"
    "\"name\":\"\",\"package_dimensions\":null,\"shippable\":null,"
    "\"statement_descriptor\":null,\"tax_code\":null,\"type\":\"service\","
    "\"unit_label\":null,\"updated\":0,\"url\":null}";
static const char g_price_tpl[] = "{\"active\":true,\"billing_scheme\":\"per_unit\","
    "\"currency\":\"\",\"custom_unit_amount\":null,\"lookup_key\":null,\"metadata\":{},"
    "\"nickname\":null,\"product\":\"\",\"recurring\":null,"
    "\"tax_behavior\":\"unspecified\",\"tiers_mode\":null,\"transform_quantity\":null,"
    "\"type\":\"one_time\",\"unit_amount\":0,\"unit_amount_decimal\":\"0\"}";
static const char g_customer_tpl[] = "{\"address\":null,\"balance\":0,\"currency\":null,"
    "\"default_source\":null,\"delinquent\":false,\"description\":null,\"discount\":null,"
    "\"email\":null,\"invoice_prefix\":\"\",\"invoice_settings\":{\"custom_fields\":null,"
    "\"default_payment_method\":null,\"footer\":null,\"rendering_options\":null},"
    "\"metadata\":{},\"name\":null,\"next_invoice_sequence\":1,\"phone\":null,"
    "\"preferred_locales\":[],\"shipping\":null,\"tax_exempt\":\"none\","
    "\"test_clock\":null}";
static const char g_coupon_tpl[] = "{\"amount_off\":null,\"currency\":null,"
    "\"duration\":\"once\",\"duration_in_months\":null,\"max_redemptions\":null,"
    "\"metadata\":{},\"name\":null,\"percent_off\":null,\"redeem_by\":null,"
    "\"times_redeemed\":0,\"valid\":true}";
static const char g_promo_tpl[] = "{\"active\":true,\"code\":\"\",\"customer\":null,"
    "\"customer_account\":null,\"expires_at\":null,\"max_redemptions\":null,"
    "\"metadata\":{},\"promotion\":{\"coupon\":null,\"type\":\"coupon\"},"
    "\"restrictions\":{\"currency_options\":{},\"first_time_transaction\":false,"
    "\"minimum_amount\":null,\"minimum_amount_currency\":null},\"times_redeemed\":0}";

static int currency_ok(struct emu_resp *rs, const char *cur, const char *param);
static void set_str(cJSON *o, const cJSON *p, const char *name);
static void set_bool(cJSON *o, const cJSON *p, const char *name);
static int price_check(struct emu_resp *rs, const cJSON *p, const char *prefix);
static cJSON *price_new(struct emu_req *rq, const cJSON *p, const char *product);
static void lower(char *s);
static void set_int(cJSON *o, const cJSON *p, const char *name);
static cJSON *strs_array(const cJSON *p, const char *name);
static int custom_id_ok(struct emu_resp *rs, const char *id, const char *type);
static int product_match(const cJSON *o, const cJSON *p);
static const char *pname(char *buf, size_t n, const char *prefix, const char *name);
static cJSON *lookup_key_owner(const char *key);
static void lookup_key_release(struct emu_req *rq, const char *key);
static int64_t price_amount(const cJSON *p);
static int price_match(const cJSON *o, const cJSON *p);
static int customer_match(const cJSON *o, const cJSON *p);
static int ci_contains(const char *hay, const char *needle);
static int search_clause(const cJSON *o, const struct search_clause *c);
static int search_parse(struct emu_resp *rs, const char *q, struct search_clause *c, int *n,
    int *any);
static const cJSON *active_code(const char *code, const cJSON *except);
static int promo_match(const cJSON *o, const cJSON *p);
static int type_matches(const char *pat, const char *type);
static int event_match(const cJSON *o, const cJSON *p);
static cJSON *product_new(struct emu_req *rq, const cJSON *p);
static const struct pi_token *pi_token_find(const char *pm);
static cJSON *pi_card_error(const struct pi_token *t, const cJSON *pi);
static void pi_decline(struct emu_req *rq, struct emu_resp *rs, cJSON *pi,
    const struct pi_token *t);

/* Currency codes are three letters; stored lowercase. */
static int
currency_ok(struct emu_resp *rs, const char *cur, const char *param)
{
	if (cur == NULL || strlen(cur) != 3 || !isalpha((unsigned char)cur[0]) ||
	    !isalpha((unsigned char)cur[1]) || !isalpha((unsigned char)cur[2])) {
		emu_bad(rs, param, "Invalid currency: %s. Stripe currently supports these "
		    "currencies: usd, eur, gbp, … (three-letter ISO codes)", cur ? cur : "");
		return -1;
	}
	return 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Copies an optional string parameter onto o ("" unsets it to null). */
static void
set_str(cJSON *o, const cJSON *p, const char *name)
{
	const char *v = emu_p_str(p, name);

	if (v != NULL)
		emu_jset(o, name, emu_jstr(v));
}

static void
set_bool(cJSON *o, const cJSON *p, const char *name)
{
	int b;

	if (emu_p_bool(p, name, &b))
		emu_jset(o, name, cJSON_CreateBool(b));
}

/* Copies an optional integer parameter onto o. */
static void
set_int(cJSON *o, const cJSON *p, const char *name)
{
	int64_t v;

	if (emu_p_int(p, name, &v))
		emu_jset(o, name, cJSON_CreateNumber((double)v));
}

static cJSON *
strs_array(const cJSON *p, const char *name)
{
	const cJSON *a = emu_jget(p, name);

	return cJSON_IsArray(a) ? cJSON_Duplicate(a, 1) : cJSON_CreateArray();
}

/* ---- products ---- */

static int
custom_id_ok(struct emu_resp *rs, const char *id, const char *type)
{
	if (strlen(id) > 200 || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != strlen(id)) {
		emu_bad(rs, "id", "Invalid id: use letters, digits, '_' and '-' only (at most "
		    "200 characters).");
		return -1;
	}
	if (emu_find(type, id) != NULL) {
		emu_error(rs, 400, "invalid_request_error", "resource_already_exists", "id",
		    "%s already exists.", type[0] == 'p' ? "Product" : "Coupon");
		return -1;
	}
	return 0;
}

void
api_products_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params, *dpd = emu_jget(p, "default_price_data");
	const char *id = emu_p_str(p, "id");
	cJSON *prod, *price;

	if (emu_params_check(rs, rq->params, p_product_create) != 0 ||
	    emu_p_need(rs, p, "name", NULL) == NULL)
		return;
	if (id != NULL && *id != '\0' && custom_id_ok(rs, id, "product") != 0)
		return;
	if (cJSON_IsObject(dpd) && price_check(rs, dpd, "default_price_data") != 0)
		return;
	prod = product_new(rq, p);
	if (cJSON_IsObject(dpd)) {
		price = price_new(rq, dpd, emu_jgets(prod, "id"));
		emu_jset(prod, "default_price", cJSON_CreateString(emu_jgets(price, "id")));
	}
	emu_event(rq, "product.created", prod, NULL);
	emu_respond_obj(rq, rs, prod);
}

static int
product_match(const cJSON *o, const cJSON *p)
{
	const cJSON *ids = emu_jget(p, "ids"), *c;
	int b, found;

	if (emu_p_bool(p, "active", &b) && emu_jtrue(o, "active") != b)
		return 0;
	if (emu_p_bool(p, "shippable", &b) && emu_jtrue(o, "shippable") != b)
		return 0;
	if (emu_p_str(p, "url") && *emu_p_str(p, "url") &&
	    strcmp(emu_jgets(o, "url") ? emu_jgets(o, "url") : "", emu_p_str(p, "url")) != 0)
		return 0;
	if (cJSON_IsArray(ids)) {
		found = 0;
		cJSON_ArrayForEach(c, ids)
			if (strcmp(c->valuestring, emu_jgets(o, "id")) == 0)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

void
api_products_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	if (emu_params_check(rs, rq->params, p_product_list) == 0)
		emu_list(rq, rs, emu_coll("product"), 1, "/v1/products", product_match);
}

void
api_products_update(struct emu_req *rq, struct emu_resp *rs, const char *id)
{
	const cJSON *p = rq->params;
	const char *dp = emu_p_str(p, "default_price"), *name = emu_p_str(p, "name");
	cJSON *o, *before, *after, *prev;
	const cJSON *price;

	if (emu_params_check(rs, rq->params, p_product_update) != 0)
		return;
	if ((o = emu_find("product", id)) == NULL) {
		emu_missing_obj(rs, "product", id, NULL);
		return;
	}
	if (name != NULL && emu_p_need(rs, p, "name", NULL) == NULL)
		return;
	if (dp != NULL && *dp != '\0') {
		price = emu_find("price", dp);
		if (price == NULL) {
			emu_missing_obj(rs, "price", dp, "default_price");
			return;
		}
		if (strcmp(emu_jgets(price, "product"), id) != 0 || !emu_jtrue(price, "active")) {
			emu_bad(rs, "default_price", "The price `%s` must be active and belong to "
			    "product `%s` to be its default price.", dp, id);
			return;
		}
	}
	before = emu_render(o);
	if (name != NULL)
		emu_jset(o, "name", cJSON_CreateString(name));
	set_bool(o, p, "active");
	set_str(o, p, "description");
	set_str(o, p, "default_price");
	set_bool(o, p, "shippable");
	set_str(o, p, "statement_descriptor");
	set_str(o, p, "unit_label");
	set_str(o, p, "tax_code");
	set_str(o, p, "url");
	if (emu_p_has(p, "images"))
		emu_jset(o, "images", strs_array(p, "images"));
	emu_p_metadata(o, p);
	after = emu_render(o);
	if ((prev = emu_diff(before, after)) != NULL) {
		emu_jset(o, "updated", cJSON_CreateNumber((double)emu_now()));
		emu_dirty();
		emu_event(rq, "product.updated", o, prev);
	}
	cJSON_Delete(before);
	cJSON_Delete(after);
	emu_respond_obj(rq, rs, o);
}

/* ---- prices ---- */

/* The name of parameter name, inside prefix[…] when there is one. */
static const char *
pname(char *buf, size_t n, const char *prefix, const char *name)
{
	if (prefix != NULL)
		snprintf(buf, n, "%s[%s]", prefix, name);
	else
		snprintf(buf, n, "%s", name);
	return buf;
}

/* The price holding lookup key key, or NULL. */
static cJSON *
lookup_key_owner(const char *key)
{
	cJSON *o;

	cJSON_ArrayForEach(o, emu_coll("price"))
		if (emu_jgets(o, "lookup_key") != NULL && strcmp(emu_jgets(o, "lookup_key"), key) == 0)
			return o;
	return NULL;
}

/* Moves lookup key key away from the price holding it, if any (transfer_lookup_key). */
static void
lookup_key_release(struct emu_req *rq, const char *key)
{
	cJSON *o = lookup_key_owner(key), *before;

	if (o == NULL)
		return;
	before = emu_render(o);
	emu_jset(o, "lookup_key", cJSON_CreateNull());
	emu_event(rq, "price.updated", o, emu_diff(before, o));
	cJSON_Delete(before);
}

/* Amount of a price body: unit_amount, or a whole unit_amount_decimal; -1 when absent. */
static int64_t
price_amount(const cJSON *p)
{
	const char *dec = emu_p_str(p, "unit_amount_decimal");
	int64_t amt;
	char *end;

	if (emu_p_int(p, "unit_amount", &amt))
		return amt;
	if (dec == NULL || *dec == '\0')
		return -1;
	amt = strtoll(dec, &end, 10);
	return *end == '\0' || strcmp(end, ".0") == 0 ? amt : -2;
}

/* Checks a price body (create params or default_price_data, then under prefix). Changes
 * nothing; answers 400 and returns -1 on the first problem. */
static int
price_check(struct emu_resp *rs, const cJSON *p, const char *prefix)
{
	char n[80];
	const cJSON *rec = emu_jget(p, "recurring");
	const char *cur, *lk = emu_p_str(p, "lookup_key"), *bs = emu_p_str(p, "billing_scheme");
	const char *interval;
	int64_t amt = price_amount(p), count;
	int transfer = 0;

	if ((cur = emu_p_need(rs, p, "currency", pname(n, sizeof(n), prefix, "currency"))) == NULL ||
	    currency_ok(rs, cur, n) != 0)
		return -1;
	if (amt == -1) {
		pname(n, sizeof(n), prefix, "unit_amount");
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", n,
		    "Missing required param: %s.", n);
		return -1;
	}
	if (amt < 0 || amt > 99999999999LL) {
		emu_bad(rs, pname(n, sizeof(n), prefix, "unit_amount"), "Invalid unit_amount: must "
		    "be a whole number between 0 and 99999999999.");
		return -1;
	}
	if (cJSON_IsObject(rec)) {
		if ((interval = emu_p_need(rs, rec, "interval", "recurring[interval]")) == NULL)
			return -1;
		if (strcmp(interval, "day") && strcmp(interval, "week") &&
		    strcmp(interval, "month") && strcmp(interval, "year")) {
			emu_bad(rs, "recurring[interval]", "Invalid recurring[interval]: must be one "
			    "of day, week, month, or year");
			return -1;
		}
		if (emu_p_int(rec, "interval_count", &count) && (count < 1 || count > 365)) {
			emu_bad(rs, "recurring[interval_count]", "Invalid interval_count.");
			return -1;
		}
	}
	if (bs != NULL && *bs != '\0' && strcmp(bs, "per_unit") != 0) {
		emu_bad(rs, "billing_scheme", "This emulator supports only billing_scheme=per_unit.");
		return -1;
	}
	emu_p_bool(p, "transfer_lookup_key", &transfer);
	if (lk != NULL && *lk != '\0' && !transfer && lookup_key_owner(lk) != NULL) {
		emu_bad(rs, "lookup_key", "A price (`%s`) already uses that lookup key.",
		    emu_jgets(lookup_key_owner(lk), "id"));
		return -1;
	}
	return 0;
}

/* Stores a price for product from a body that passed price_check. Returns it, borrowed. */
static cJSON *
price_new(struct emu_req *rq, const cJSON *p, const char *product)
{
	char cur[8], buf[32];
	const cJSON *rec = emu_jget(p, "recurring");
	const char *lk = emu_p_str(p, "lookup_key");
	int64_t amt = price_amount(p), count = 1;
	cJSON *pr, *r;

	snprintf(cur, sizeof(cur), "%s", emu_p_str(p, "currency"));
	lower(cur);
	if (lk != NULL && *lk != '\0')
		lookup_key_release(rq, lk);
	pr = emu_new_obj("price_", "price", EMU_ID_RAND, g_price_tpl);
	emu_jset(pr, "currency", cJSON_CreateString(cur));
	emu_jset(pr, "lookup_key", emu_jstr(lk));
	emu_jset(pr, "product", cJSON_CreateString(product));
	if (cJSON_IsObject(rec)) {
		emu_p_int(rec, "interval_count", &count);
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "interval", emu_p_str(rec, "interval"));
		cJSON_AddNumberToObject(r, "interval_count", (double)count);
		cJSON_AddNullToObject(r, "meter");
		cJSON_AddNullToObject(r, "trial_period_days");
		cJSON_AddStringToObject(r, "usage_type", "licensed");
		emu_jset(pr, "recurring", r);
		emu_jset(pr, "type", cJSON_CreateString("recurring"));
	}
	emu_jset(pr, "unit_amount", cJSON_CreateNumber((double)amt));
	snprintf(buf, sizeof(buf), "%lld", (long long)amt);
	emu_jset(pr, "unit_amount_decimal", cJSON_CreateString(buf));
	set_bool(pr, p, "active");
	set_str(pr, p, "nickname");
	set_str(pr, p, "tax_behavior");
	emu_p_metadata(pr, p);
	emu_insert("price", pr);
	emu_event(rq, "price.created", pr, NULL);
	return pr;
}

/* A new stored product from checked params p (a product body or product_data). The caller
 * records product.created once the product is complete. */
static cJSON *
product_new(struct emu_req *rq, const cJSON *p)
{
	const char *id = emu_p_str(p, "id");
	cJSON *prod = emu_new_obj("prod_", "product", EMU_ID_RAND, g_product_tpl);

	if (id != NULL && *id != '\0')
		emu_jset(prod, "id", cJSON_CreateString(id));
	if (emu_p_has(p, "images"))
		emu_jset(prod, "images", strs_array(p, "images"));
	emu_jset(prod, "name", cJSON_CreateString(emu_p_str(p, "name")));
	emu_jset(prod, "updated", cJSON_CreateNumber((double)emu_now()));
	set_bool(prod, p, "active");
	set_str(prod, p, "description");
	set_bool(prod, p, "shippable");
	set_str(prod, p, "statement_descriptor");
	set_str(prod, p, "unit_label");
	set_str(prod, p, "tax_code");
	set_str(prod, p, "url");
	emu_p_metadata(prod, p);
	emu_insert("product", prod);
	return prod;
}

void
api_prices_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params, *pd = emu_jget(p, "product_data");
	const char *product = emu_p_str(p, "product"), *pid;
	cJSON *prod = NULL;

	if (emu_params_check(rs, rq->params, p_price_create) != 0)
		return;
	if (product != NULL && *product != '\0' && cJSON_IsObject(pd)) {
		emu_bad(rs, "product_data", "You may only specify one of these parameters: product, "
		    "product_data.");
		return;
	}
	if (product != NULL && *product != '\0') {
		if ((prod = emu_find("product", product)) == NULL) {
			emu_missing_obj(rs, "product", product, "product");
			return;
		}
	} else if (cJSON_IsObject(pd)) {
		pid = emu_p_str(pd, "id");
		if (emu_p_need(rs, pd, "name", "product_data[name]") == NULL ||
		    (pid != NULL && *pid != '\0' && custom_id_ok(rs, pid, "product") != 0))
			return;
	} else {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", "product",
		    "Missing required param: product.");
		return;
	}
	if (price_check(rs, p, NULL) != 0)
		return;
	if (prod == NULL) {
		prod = product_new(rq, pd);
		emu_event(rq, "product.created", prod, NULL);
	}
	emu_respond_obj(rq, rs, price_new(rq, p, emu_jgets(prod, "id")));
}

static int
price_match(const cJSON *o, const cJSON *p)
{
	const char *s;
	const cJSON *lks = emu_jget(p, "lookup_keys"), *c;
	int b, found;

	if (emu_p_bool(p, "active", &b) && emu_jtrue(o, "active") != b)
		return 0;
	if ((s = emu_p_str(p, "currency")) && *s && !emu_str_ieq(s, emu_jgets(o, "currency")))
		return 0;
	if ((s = emu_p_str(p, "product")) && *s && strcmp(s, emu_jgets(o, "product")) != 0)
		return 0;
	if ((s = emu_p_str(p, "type")) && *s && strcmp(s, emu_jgets(o, "type")) != 0)
		return 0;
	if (cJSON_IsArray(lks)) {
		found = 0;
		cJSON_ArrayForEach(c, lks)
			if (emu_jgets(o, "lookup_key") &&
			    strcmp(c->valuestring, emu_jgets(o, "lookup_key")) == 0)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

void
api_prices_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const char *t;

	if (emu_params_check(rs, rq->params, p_price_list) != 0)
		return;
	if ((t = emu_p_str(rq->params, "type")) && *t && strcmp(t, "one_time") &&
	    strcmp(t, "recurring")) {
		emu_bad(rs, "type", "Invalid type: must be one of one_time or recurring");
		return;
	}
	emu_list(rq, rs, emu_coll("price"), 1, "/v1/prices", price_match);
}

void
api_prices_update(struct emu_req *rq, struct emu_resp *rs, const char *id)
{
	const cJSON *p = rq->params;
	const char *lk = emu_p_str(p, "lookup_key");
	cJSON *o, *before, *prev;
	int transfer = 0;

	if (emu_params_check(rs, rq->params, p_price_update) != 0)
		return;
	if ((o = emu_find("price", id)) == NULL) {
		emu_missing_obj(rs, "price", id, NULL);
		return;
	}
	emu_p_bool(p, "transfer_lookup_key", &transfer);
	if (lk != NULL && *lk != '\0' && lookup_key_owner(lk) != NULL &&
	    lookup_key_owner(lk) != o) {
		if (!transfer) {
			emu_bad(rs, "lookup_key", "A price (`%s`) already uses that lookup key.",
			    emu_jgets(lookup_key_owner(lk), "id"));
			return;
		}
		lookup_key_release(rq, lk);
	}
	before = emu_render(o);
	set_bool(o, p, "active");
	set_str(o, p, "nickname");
	set_str(o, p, "lookup_key");
	set_str(o, p, "tax_behavior");
	emu_p_metadata(o, p);
	if ((prev = emu_diff(before, o)) != NULL) {
		emu_dirty();
		emu_event(rq, "price.updated", o, prev);
	}
	cJSON_Delete(before);
	emu_respond_obj(rq, rs, o);
}

/* ---- customers ---- */

void
api_customers_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params;
	cJSON *c;
	char prefix[16];

	if (emu_params_check(rs, rq->params, p_customer) != 0)
		return;
	c = emu_new_obj("cus_", "customer", EMU_ID_RAND, g_customer_tpl);
	emu_new_id(prefix, sizeof(prefix), "", 8);
	for (char *q = prefix; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	emu_jset(c, "invoice_prefix", cJSON_CreateString(prefix));
	if (emu_p_has(p, "preferred_locales"))
		emu_jset(c, "preferred_locales", strs_array(p, "preferred_locales"));
	set_str(c, p, "email");
	set_str(c, p, "name");
	set_str(c, p, "description");
	set_str(c, p, "phone");
	emu_p_metadata(c, p);
	emu_insert("customer", c);
	emu_event(rq, "customer.created", c, NULL);
	emu_respond_obj(rq, rs, c);
}

static int
customer_match(const cJSON *o, const cJSON *p)
{
	const char *e = emu_p_str(p, "email");

	return e == NULL || *e == '\0' ||
	    (emu_jgets(o, "email") != NULL && strcmp(emu_jgets(o, "email"), e) == 0);
}

void
api_customers_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	if (emu_params_check(rs, rq->params, p_customer_list) == 0)
		emu_list(rq, rs, emu_coll("customer"), 1, "/v1/customers", customer_match);
}

/* ci_contains: does hay contain needle, ignoring ASCII case? */
static int
ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

/* Does one clause hold for customer o? Exact matches on email and name ignore case, as
 * Stripe's search does; "~" is a substring match; metadata['k'] matches exactly. */
static int
search_clause(const cJSON *o, const struct search_clause *c)
{
	const char *v;
	int hit;

	if (strncmp(c->field, "metadata['", 10) == 0) {
		char key[128];
		size_t n = strlen(c->field);

		if (n < 13 || n - 12 >= sizeof(key) || strcmp(c->field + n - 2, "']") != 0)
			return c->neg;
		snprintf(key, sizeof(key), "%.*s", (int)(n - 12), c->field + 10);
		v = emu_jgets(emu_jget(o, "metadata"), key);
		hit = v != NULL && (c->substr ? ci_contains(v, c->val) : strcmp(v, c->val) == 0);
	} else {
		v = emu_jgets(o, c->field);
		if (v == NULL)
			hit = 0;
		else if (c->substr)
			hit = ci_contains(v, c->val);
		else if (strcmp(c->field, "email") == 0 || strcmp(c->field, "name") == 0)
			hit = strcasecmp(v, c->val) == 0;
		else
			hit = strcmp(v, c->val) == 0;
	}
	return c->neg ? !hit : hit;
}

/*
 * Parses a search query: clauses [-]field:'value' or field~'value' (either quote, \ escapes
 * the next character), joined all by AND or all by OR, at most SEARCH_MAX_CLAUSES. Fills
 * c[0..*n) and *any (1 for OR). Answers 400 and returns -1 on anything else.
 */
static int
search_parse(struct emu_resp *rs, const char *q, struct search_clause *c, int *n, int *any)
{
	int join = -1;

	*n = 0;
	for (;;) {
		struct search_clause *cl = &c[*n];
		const char *f;
		size_t fl = 0, vl = 0;
		char quote;

		while (*q == ' ')
			q++;
		if (*q == '\0')
			break;
		if (*n > 0) {
			int j = strncmp(q, "AND ", 4) == 0 ? 0 : strncmp(q, "OR ", 3) == 0 ? 1 : -1;

			if (j < 0)
				goto bad;
			if (join >= 0 && j != join) {
				emu_bad(rs, "query", "Search queries cannot mix AND and OR.");
				return -1;
			}
			join = j;
			for (q += j ? 3 : 4; *q == ' '; q++)
				;
		}
		if (*n == SEARCH_MAX_CLAUSES) {
			emu_bad(rs, "query", "A search query can have at most %d clauses.",
			    SEARCH_MAX_CLAUSES);
			return -1;
		}
		memset(cl, 0, sizeof(*cl));
		if ((cl->neg = *q == '-'))
			q++;
		f = q;
		if (strncmp(q, "metadata['", 10) == 0 && strstr(q, "']") != NULL)
			q = strstr(q, "']") + 2;
		else
			q += strspn(q, "abcdefghijklmnopqrstuvwxyz_.");
		fl = (size_t)(q - f);
		if (fl == 0 || fl >= sizeof(cl->field) || (*q != ':' && *q != '~'))
			goto bad;
		memcpy(cl->field, f, fl);
		cl->substr = *q++ == '~';
		if ((quote = *q) != '\'' && quote != '"')
			goto bad;
		for (q++; *q != '\0' && *q != quote; q++) {
			if (*q == '\\' && q[1] != '\0')
				q++;
			if (vl + 1 >= sizeof(cl->val))
				goto bad;
			cl->val[vl++] = *q;
		}
		if (*q++ != quote)
			goto bad;
		if (cl->substr && strlen(cl->val) < 3) {
			emu_bad(rs, "query", "A substring search (~) needs at least 3 characters.");
			return -1;
		}
		(*n)++;
	}
	if (*n == 0)
		goto bad;
	*any = join == 1;
	return 0;
bad:
	emu_bad(rs, "query", "This emulator's search takes clauses like email:'x', name~'x' or "
	    "metadata['k']:'x' (optionally negated with -), joined by AND or by OR.");
	return -1;
}

void
api_customers_search(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const char *q, *page = emu_p_str(rq->params, "page");
	struct search_clause cl[SEARCH_MAX_CLAUSES];
	int nclause = 0, any = 0, skip = 0, n = 0, total = 0;
	int64_t limit = 10;
	cJSON *res, *data, *o;

	if (emu_params_check(rs, rq->params, p_customer_search) != 0 ||
	    (q = emu_p_need(rs, rq->params, "query", NULL)) == NULL)
		return;
	if (emu_p_has(rq->params, "limit") && (!emu_p_int(rq->params, "limit", &limit) ||
	    limit < 1 || limit > 100)) {
		emu_bad(rs, "limit", "Invalid limit: must be an integer between 1 and 100");
		return;
	}
	if (page != NULL && *page != '\0' && (sscanf(page, "page_%d", &skip) != 1 || skip < 0)) {
		emu_bad(rs, "page", "Invalid page token.");
		return;
	}
	if (search_parse(rs, q, cl, &nclause, &any) != 0)
		return;
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "object", "search_result");
	data = cJSON_AddArrayToObject(res, "data");
	for (o = emu_coll("customer")->child; o != NULL && o->next != NULL; o = o->next)
		;
	for (; o != NULL; o = o == emu_coll("customer")->child ? NULL : o->prev) {
		int ok = !any;

		for (int i = 0; i < nclause; i++)
			ok = any ? ok || search_clause(o, &cl[i]) : ok && search_clause(o, &cl[i]);
		if (!ok)
			continue;
		if (total++ >= skip && n < limit) {
			cJSON_AddItemToArray(data, emu_render(o));
			n++;
		}
	}
	cJSON_AddBoolToObject(res, "has_more", total > skip + n);
	if (total > skip + n) {
		char tok[32];
		snprintf(tok, sizeof(tok), "page_%d", skip + n);
		cJSON_AddStringToObject(res, "next_page", tok);
	} else
		cJSON_AddNullToObject(res, "next_page");
	cJSON_AddStringToObject(res, "url", "/v1/customers/search");
	if (emu_expand(rs, res, rq->params) == 0)
		emu_resp_json(rs, 200, res);
	else
		cJSON_Delete(res);
}

void
api_customers_update(struct emu_req *rq, struct emu_resp *rs, const char *id)
{
	const cJSON *p = rq->params;
	cJSON *o, *before, *prev;

	if (emu_params_check(rs, rq->params, p_customer) != 0)
		return;
	if ((o = emu_find("customer", id)) == NULL) {
		emu_missing_obj(rs, "customer", id, NULL);
		return;
	}
	before = emu_render(o);
	set_str(o, p, "email");
	set_str(o, p, "name");
	set_str(o, p, "description");
	set_str(o, p, "phone");
	if (emu_p_has(p, "preferred_locales"))
		emu_jset(o, "preferred_locales", strs_array(p, "preferred_locales"));
	emu_p_metadata(o, p);
	if ((prev = emu_diff(before, o)) != NULL) {
		emu_dirty();
		emu_event(rq, "customer.updated", o, prev);
	}
	cJSON_Delete(before);
	emu_respond_obj(rq, rs, o);
}

/* ---- coupons ---- */

void
api_coupons_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params;
	const char *id = emu_p_str(p, "id"), *cur = emu_p_str(p, "currency");
	const char *dur = emu_p_str(p, "duration");
	double pct = 0;
	int64_t off = 0, v;
	int has_pct, has_off;
	char lc[8] = "", rid[16];
	cJSON *c;

	if (emu_params_check(rs, rq->params, p_coupon_create) != 0)
		return;
	has_pct = emu_p_num(p, "percent_off", &pct);
	has_off = emu_p_int(p, "amount_off", &off);
	if (has_pct == has_off) {
		emu_bad(rs, has_pct ? "amount_off" : "percent_off", "You must specify either "
		    "percent_off or amount_off (but not both).");
		return;
	}
	if (has_pct && (pct <= 0 || pct > 100)) {
		emu_bad(rs, "percent_off", "Invalid percent_off: must be greater than 0 and at most "
		    "100.");
		return;
	}
	if (has_off && off <= 0) {
		emu_bad(rs, "amount_off", "Invalid amount_off: must be a positive integer.");
		return;
	}
	if (has_off && (cur == NULL || *cur == '\0')) {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", "currency",
		    "You must pass currency when passing amount_off.");
		return;
	}
	if (cur != NULL && *cur != '\0') {
		if (currency_ok(rs, cur, "currency") != 0)
			return;
		snprintf(lc, sizeof(lc), "%s", cur);
		lower(lc);
	}
	if (dur != NULL && *dur && strcmp(dur, "once") && strcmp(dur, "forever") &&
	    strcmp(dur, "repeating")) {
		emu_bad(rs, "duration", "Invalid duration: must be one of forever, once, or "
		    "repeating");
		return;
	}
	if (emu_p_int(p, "max_redemptions", &v) && v < 1) {
		emu_bad(rs, "max_redemptions", "Invalid max_redemptions: must be at least 1.");
		return;
	}
	if (emu_p_int(p, "redeem_by", &v) && v <= emu_now()) {
		emu_bad(rs, "redeem_by", "Invalid redeem_by: must be in the future.");
		return;
	}
	if (id != NULL && *id != '\0' && custom_id_ok(rs, id, "coupon") != 0)
		return;
	emu_new_id(rid, sizeof(rid), "", 8);
	c = emu_new_obj("", "coupon", 0, g_coupon_tpl);
	emu_jset(c, "id", cJSON_CreateString(id != NULL && *id ? id : rid));
	if (has_off)
		emu_jset(c, "amount_off", cJSON_CreateNumber((double)off));
	emu_jset(c, "currency", emu_jstr(lc));
	if (dur != NULL && *dur)
		emu_jset(c, "duration", cJSON_CreateString(dur));
	set_int(c, p, "duration_in_months");
	set_int(c, p, "max_redemptions");
	set_str(c, p, "name");
	if (has_pct)
		emu_jset(c, "percent_off", cJSON_CreateNumber(pct));
	set_int(c, p, "redeem_by");
	emu_p_metadata(c, p);
	emu_insert("coupon", c);
	emu_event(rq, "coupon.created", c, NULL);
	emu_respond_obj(rq, rs, c);
}

void
api_coupons_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	if (emu_params_check(rs, rq->params, p_list_only) == 0)
		emu_list(rq, rs, emu_coll("coupon"), 1, "/v1/coupons", NULL);
}

/* ---- promotion codes ---- */

static const cJSON *
active_code(const char *code, const cJSON *except)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, emu_coll("promotion_code"))
		if (o != except && emu_jtrue(o, "active") && emu_str_ieq(emu_jgets(o, "code"), code))
			return o;
	return NULL;
}

void
api_promos_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params, *pm = emu_jget(p, "promotion");
	const cJSON *rp = emu_jget(p, "restrictions"), *coupon;
	const char *type, *cid, *code = emu_p_str(p, "code"), *cus = emu_p_str(p, "customer");
	const char *mcur = emu_p_str(rp, "minimum_amount_currency");
	char gen[16], lc[8] = "";
	int64_t v, minamt = 0;
	int ftt = 0, active = 1, has_min;
	cJSON *o, *r;

	if (emu_params_check(rs, rq->params, p_promo_create) != 0)
		return;
	if (!cJSON_IsObject(pm)) {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", "promotion",
		    "Missing required param: promotion.");
		return;
	}
	if ((type = emu_p_need(rs, pm, "type", "promotion[type]")) == NULL)
		return;
	if (strcmp(type, "coupon") != 0) {
		emu_bad(rs, "promotion[type]", "Invalid promotion[type]: must be coupon");
		return;
	}
	if ((cid = emu_p_need(rs, pm, "coupon", "promotion[coupon]")) == NULL)
		return;
	if ((coupon = emu_find("coupon", cid)) == NULL) {
		emu_missing_obj(rs, "coupon", cid, "promotion[coupon]");
		return;
	}
	if (code != NULL && *code != '\0') {
		if (strlen(code) > 500 || strspn(code, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(code)) {
			emu_bad(rs, "code", "Invalid code: use letters, digits and dashes only.");
			return;
		}
	} else {
		emu_new_id(gen, sizeof(gen), "", 8);
		for (char *q = gen; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		code = gen;
	}
	emu_p_bool(p, "active", &active);
	if (active && active_code(code, NULL) != NULL) {
		emu_error(rs, 400, "invalid_request_error", "resource_already_exists", "code",
		    "An active promotion code with `code: %s` already exists.", code);
		return;
	}
	if (cus != NULL && *cus != '\0' && emu_find("customer", cus) == NULL) {
		emu_missing_obj(rs, "customer", cus, "customer");
		return;
	}
	if (emu_p_int(p, "expires_at", &v) && v <= emu_now()) {
		emu_bad(rs, "expires_at", "Invalid expires_at: must be in the future.");
		return;
	}
	if (emu_p_int(p, "max_redemptions", &v) && v < 1) {
		emu_bad(rs, "max_redemptions", "Invalid max_redemptions: must be at least 1.");
		return;
	}
	has_min = emu_p_int(rp, "minimum_amount", &minamt);
	if (has_min && (mcur == NULL || *mcur == '\0')) {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing",
		    "restrictions[minimum_amount_currency]", "You must pass "
		    "restrictions[minimum_amount_currency] with restrictions[minimum_amount].");
		return;
	}
	if (has_min && (minamt < 0 || currency_ok(rs, mcur, "restrictions[minimum_amount_currency]")
	    != 0)) {
		if (minamt < 0)
			emu_bad(rs, "restrictions[minimum_amount]", "Invalid minimum_amount.");
		return;
	}
	if (has_min) {
		snprintf(lc, sizeof(lc), "%s", mcur);
		lower(lc);
	}
	emu_p_bool(rp, "first_time_transaction", &ftt);
	o = emu_new_obj("promo_", "promotion_code", EMU_ID_RAND, g_promo_tpl);
	emu_jset(o, "active", cJSON_CreateBool(active));
	emu_jset(o, "code", cJSON_CreateString(code));
	emu_jset(o, "customer", emu_jstr(cus));
	set_int(o, p, "expires_at");
	set_int(o, p, "max_redemptions");
	emu_jset(emu_jget(o, "promotion"), "coupon", cJSON_CreateString(emu_jgets(coupon, "id")));
	r = emu_jget(o, "restrictions");
	emu_jset(r, "first_time_transaction", cJSON_CreateBool(ftt));
	if (has_min)
		emu_jset(r, "minimum_amount", cJSON_CreateNumber((double)minamt));
	emu_jset(r, "minimum_amount_currency", emu_jstr(lc));
	emu_p_metadata(o, p);
	emu_insert("promotion_code", o);
	emu_event(rq, "promotion_code.created", o, NULL);
	emu_respond_obj(rq, rs, o);
}

static int
promo_match(const cJSON *o, const cJSON *p)
{
	const char *s;
	int b;

	if ((s = emu_p_str(p, "code")) && *s && !emu_str_ieq(s, emu_jgets(o, "code")))
		return 0;
	if (emu_p_bool(p, "active", &b) && emu_jtrue(o, "active") != b)
		return 0;
	if ((s = emu_p_str(p, "coupon")) && *s &&
	    strcmp(s, emu_jgets(emu_jget(o, "promotion"), "coupon")) != 0)
		return 0;
	if ((s = emu_p_str(p, "customer")) && *s &&
	    !(emu_jgets(o, "customer") && strcmp(s, emu_jgets(o, "customer")) == 0))
		return 0;
	return 1;
}

void
api_promos_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	if (emu_params_check(rs, rq->params, p_promo_list) == 0)
		emu_list(rq, rs, emu_coll("promotion_code"), 1, "/v1/promotion_codes", promo_match);
}

void
api_promos_update(struct emu_req *rq, struct emu_resp *rs, const char *id)
{
	cJSON *o, *before, *prev;
	int active;

	if (emu_params_check(rs, rq->params, p_promo_update) != 0)
		return;
	if ((o = emu_find("promotion_code", id)) == NULL) {
		emu_missing_obj(rs, "promotion_code", id, NULL);
		return;
	}
	if (emu_p_bool(rq->params, "active", &active) && active && !emu_jtrue(o, "active") &&
	    active_code(emu_jgets(o, "code"), o) != NULL) {
		emu_error(rs, 400, "invalid_request_error", "resource_already_exists", "active",
		    "An active promotion code with `code: %s` already exists.", emu_jgets(o, "code"));
		return;
	}
	before = emu_render(o);
	set_bool(o, rq->params, "active");
	emu_p_metadata(o, rq->params);
	if ((prev = emu_diff(before, o)) != NULL) {
		emu_dirty();
		emu_event(rq, "promotion_code.updated", o, prev);
	}
	cJSON_Delete(before);
	emu_respond_obj(rq, rs, o);
}

/* ---- events ---- */

/* type filter: exact, or a prefix ending in ".*" as Stripe allows. */
static int
type_matches(const char *pat, const char *type)
{
	size_t n = strlen(pat);

	if (n >= 2 && strcmp(pat + n - 2, ".*") == 0)
		return strncmp(pat, type, n - 1) == 0;
	return strcmp(pat, type) == 0;
}

static int
event_match(const cJSON *o, const cJSON *p)
{
	const char *t = emu_p_str(p, "type"), *ot = emu_jgets(o, "type");
	const cJSON *ts = emu_jget(p, "types"), *c;

	if (t != NULL && *t && !type_matches(t, ot))
		return 0;
	if (cJSON_IsArray(ts)) {
		cJSON_ArrayForEach(c, ts)
			if (type_matches(c->valuestring, ot))
				return 1;
		return 0;
	}
	return 1;
}

void
api_events_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	if (emu_params_check(rs, rq->params, p_event_list) != 0)
		return;
	if (emu_p_str(rq->params, "type") && *emu_p_str(rq->params, "type") &&
	    cJSON_IsArray(emu_jget(rq->params, "types"))) {
		emu_bad(rs, "types", "You may only specify one of these parameters: type, types.");
		return;
	}
	emu_list(rq, rs, emu_coll("event"), 1, "/v1/events", event_match);
}

/* ---- payment intents ---- */

static const struct pi_token *
pi_token_find(const char *pm)
{
	for (const struct pi_token *t = g_pi_tokens; t->token != NULL; t++)
		if (strcmp(t->token, pm) == 0)
			return t;
	return NULL;
}

/* Stripe's card error for token t (caller owns it): the PI's last_payment_error, or, with
 * pi given, the body of the 402, which also carries the failed PI. */
static cJSON *
pi_card_error(const struct pi_token *t, const cJSON *pi)
{
	cJSON *e = cJSON_CreateObject();
	char url[100];

	snprintf(url, sizeof(url), "https://stripe.com/docs/error-codes/%s",
	    strcmp(t->code, "expired_card") == 0 ? "expired-card" : "card-declined");
	cJSON_AddStringToObject(e, "code", t->code);
	cJSON_AddStringToObject(e, "decline_code", t->decline_code);
	cJSON_AddStringToObject(e, "doc_url", url);
	cJSON_AddStringToObject(e, "message", t->message);
	if (pi != NULL) {
		cJSON_AddStringToObject(e, "param", "");
		cJSON_AddItemToObject(e, "payment_intent", emu_render(pi));
	}
	cJSON_AddStringToObject(e, "type", "card_error");
	return e;
}

/* A declined confirmation: the stored PI goes back to requires_payment_method (Stripe
 * drops the failed method) and the answer is the 402 card error. */
static void
pi_decline(struct emu_req *rq, struct emu_resp *rs, cJSON *pi, const struct pi_token *t)
{
	cJSON *body = cJSON_CreateObject();

	emu_jset(pi, "last_payment_error", pi_card_error(t, NULL));
	emu_jset(pi, "payment_method", cJSON_CreateNull());
	emu_jset(pi, "status", cJSON_CreateString("requires_payment_method"));
	emu_dirty();
	emu_event(rq, "payment_intent.payment_failed", pi, NULL);
	cJSON_AddItemToObject(body, "error", pi_card_error(t, pi));
	emu_resp_json(rs, 402, body);
}

void
api_pi_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params, *t;
	const char *cur, *pm = emu_p_str(p, "payment_method"), *cus = emu_p_str(p, "customer");
	const struct pi_token *tok = NULL;
	int64_t amount;
	int confirm = 0;
	char lc[8], pmid[40];
	cJSON *pi;

	if (emu_params_check(rs, rq->params, p_pi_create) != 0)
		return;
	if (!emu_p_int(p, "amount", &amount)) {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", "amount",
		    "Missing required param: amount.");
		return;
	}
	if (amount < 1 || amount > PI_MAX_AMOUNT) {
		emu_bad(rs, "amount", "Invalid amount: must be a positive integer of at most eight "
		    "digits.");
		return;
	}
	if ((cur = emu_p_need(rs, p, "currency", NULL)) == NULL ||
	    currency_ok(rs, cur, "currency") != 0)
		return;
	cJSON_ArrayForEach(t, emu_jget(p, "payment_method_types"))
		if (strcmp(t->valuestring, "card") != 0) {
			emu_bad(rs, "payment_method_types", "This emulator's payment intents take only "
			    "card.");
			return;
		}
	if (cus != NULL && *cus && emu_find("customer", cus) == NULL) {
		emu_missing_obj(rs, "customer", cus, "customer");
		return;
	}
	if (pm != NULL && *pm && (tok = pi_token_find(pm)) == NULL) {
		emu_missing_obj(rs, "PaymentMethod", pm, "payment_method");
		return;
	}
	emu_p_bool(p, "confirm", &confirm);
	if (confirm && tok == NULL) {
		emu_error(rs, 400, "invalid_request_error", "payment_intent_unexpected_state",
		    "payment_method", "You cannot confirm this PaymentIntent because it's missing a "
		    "payment method. Specify a payment method in payment_method.");
		return;
	}
	snprintf(lc, sizeof(lc), "%s", cur);
	lower(lc);
	pi = emu_new_obj("pi_", "payment_intent", EMU_ID_RAND, co_pi_tpl);
	emu_jset(pi, "amount", cJSON_CreateNumber((double)amount));
	emu_jset(pi, "currency", cJSON_CreateString(lc));
	emu_jset(pi, "customer", emu_jstr(cus));
	set_str(pi, p, "description");
	emu_p_metadata(pi, p);
	if (tok != NULL) {
		/* Stripe turns a test token into a fresh PaymentMethod each time */
		emu_new_id(pmid, sizeof(pmid), "pm_", EMU_ID_RAND);
		emu_jset(pi, "payment_method", cJSON_CreateString(pmid));
	}
	emu_jset(pi, "status", cJSON_CreateString(tok != NULL ? "requires_confirmation" :
	    "requires_payment_method"));
	emu_insert("payment_intent", pi);
	emu_event(rq, "payment_intent.created", pi, NULL);
	if (confirm && tok->code != NULL) {
		pi_decline(rq, rs, pi, tok);
		return;
	}
	if (confirm) {
		emu_jset(pi, "amount_received", cJSON_CreateNumber((double)amount));
		emu_jset(pi, "status", cJSON_CreateString("succeeded"));
		emu_event(rq, "payment_intent.succeeded", pi, NULL);
	}
	emu_respond_obj(rq, rs, pi);
}
