/*
 * checkout.c: Checkout Sessions in payment mode: create (line items from stored prices,
 * one discount or allow_promotion_codes), retrieve, list, line items, expire, the
 * totals/discount arithmetic shared with the hosted page, completion by card or by a delayed
 * bank debit, and the due work (expiry at expires_at, settling bank debits). A session keeps
 * its line items in the private field "_line_items"; they are shown only when expanded or
 * listed. A processing payment intent keeps its session and due time in private fields.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"

#define CO_MAX_ITEMS    100
#define CO_MAX_QUANTITY 999999
#define CO_DEFAULT_TTL  (24 * 3600)
#define CO_MIN_TTL      (30 * 60)

static const struct emu_param p_line_item[] = {
	{"price", P_STR, NULL}, {"quantity", P_INT, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_discount[] = {
	{"coupon", P_STR, NULL}, {"promotion_code", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_pi_data[] = {
	{"description", P_STR, NULL}, {"metadata", P_MAP, NULL}, {"receipt_email", P_STR, NULL},
	{NULL, 0, NULL}
};
static const struct emu_param p_create[] = {
	{"mode", P_STR, NULL}, {"line_items", P_OBJS, p_line_item},
	{"success_url", P_STR, NULL}, {"cancel_url", P_STR, NULL}, {"customer", P_STR, NULL},
	{"customer_email", P_STR, NULL}, {"client_reference_id", P_STR, NULL},
	{"metadata", P_MAP, NULL}, {"allow_promotion_codes", P_BOOL, NULL},
	{"discounts", P_OBJS, p_discount}, {"expires_at", P_INT, NULL},
	{"payment_method_types", P_STRS, NULL}, {"locale", P_STR, NULL},
	{"submit_type", P_STR, NULL}, {"ui_mode", P_STR, NULL},
	{"payment_intent_data", P_OBJ, p_pi_data}, {"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_list[] = {
	EMU_LIST_PARAMS, {"customer", P_STR, NULL}, {"status", P_STR, NULL},
	{"payment_intent", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_expand_only[] = {
	{"expand", P_STRS, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_items_list[] = {
	EMU_LIST_PARAMS, {NULL, 0, NULL}
};

static int url_ok(struct emu_resp *rs, const cJSON *p, const char *name);
static cJSON *build_items(struct emu_resp *rs, const cJSON *p, char *cur, size_t curlen);
static int resolve_discount(struct emu_resp *rs, const cJSON *p, const cJSON **coupon,
    const cJSON **promo);
static int has_paid_before(const cJSON *session);
static void copy_strs(cJSON *o, const cJSON *p, const char *const *names);
static cJSON *session_new(const cJSON *p, const char *cur, int64_t expires);
static int session_match(const cJSON *o, const cJSON *p);
static void redeem(cJSON *o);
static void totals(cJSON *session);
static cJSON *pi_new(const cJSON *session, enum co_pay how);
static void expire_due(int64_t now);
static void settle(cJSON *pi, cJSON *session);

/* Is currency one whose amounts have no minor unit (¥500 is 500, not 5.00)? */
int
emu_zero_decimal(const char *currency)
{
	static const char *const zero_dec[] = {
		"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
		"vnd", "vuv", "xaf", "xof", "xpf", NULL
	};

	for (int i = 0; zero_dec[i] != NULL; i++)
		if (emu_str_ieq(currency, zero_dec[i]))
			return 1;
	return 0;
}

/* Formats an amount in minor units for people: "$1,234.50", "¥500", "CHF 10.00". */
void
emu_money(char *buf, size_t n, int64_t amount, const char *currency)
{
	static const struct { const char *cur, *sym; } syms[] = {
		{"usd", "$"}, {"eur", "\xe2\x82\xac"}, {"gbp", "\xc2\xa3"}, {"jpy", "\xc2\xa5"},
		{"cad", "CA$"}, {"aud", "A$"}, {"inr", "\xe2\x82\xb9"}, {NULL, NULL}
	};
	char sym[16] = "", digits[32], grouped[48];
	int zd = emu_zero_decimal(currency), len, g = 0;
	uint64_t a = amount < 0 ? (uint64_t)(-amount) : (uint64_t)amount, whole;

	for (int i = 0; syms[i].cur != NULL; i++)
		if (emu_str_ieq(currency, syms[i].cur))
			snprintf(sym, sizeof(sym), "%s", syms[i].sym);
	if (sym[0] == '\0' && currency != NULL) {
		snprintf(sym, sizeof(sym), "%.3s ", currency);
		for (char *s = sym; *s; s++)
			*s = (char)toupper((unsigned char)*s);
	}
	whole = zd ? a : a / 100;
	len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)whole);
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
	if (zd)
		snprintf(buf, n, "%s%s%s", amount < 0 ? "-" : "", sym, grouped);
	else
		snprintf(buf, n, "%s%s%s.%02u", amount < 0 ? "-" : "", sym, grouped,
		    (unsigned)(a % 100));
}

static int
url_ok(struct emu_resp *rs, const cJSON *p, const char *name)
{
	const char *u = emu_p_str(p, name);

	if (u == NULL || *u == '\0')
		return 0;
	if ((strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
	    strlen(u) > 5000 || strpbrk(u, " \t\r\n<>\"") != NULL) {
		emu_bad(rs, name, "Not a valid URL");
		return -1;
	}
	return 0;
}

/*
 * Checks line_items and builds the session's items (caller owns the array). Every price
 * must exist, be active, one-time and share one currency, written lowercase to cur.
 */
static cJSON *
build_items(struct emu_resp *rs, const cJSON *p, char *cur, size_t curlen)
{
	const cJSON *li = emu_jget(p, "line_items"), *it;
	cJSON *items = cJSON_CreateArray();
	char param[64];
	int i = 0;

	cur[0] = '\0';
	if (!cJSON_IsArray(li) || cJSON_GetArraySize(li) == 0) {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", "line_items",
		    "Missing required param: line_items.");
		goto fail;
	}
	if (cJSON_GetArraySize(li) > CO_MAX_ITEMS) {
		emu_bad(rs, "line_items", "You may only specify up to %d line items in payment "
		    "mode.", CO_MAX_ITEMS);
		goto fail;
	}
	cJSON_ArrayForEach(it, li) {
		const char *pid, *pcur;
		const cJSON *price, *prod;
		int64_t qty, unit;
		cJSON *item;
		char lid[64];

		snprintf(param, sizeof(param), "line_items[%d][price]", i);
		if ((pid = emu_p_need(rs, it, "price", param)) == NULL)
			goto fail;
		if ((price = emu_find("price", pid)) == NULL) {
			emu_missing_obj(rs, "price", pid, param);
			goto fail;
		}
		if (!emu_jtrue(price, "active")) {
			emu_bad(rs, param, "The price specified (%s) is inactive. This field only "
			    "accepts active prices.", pid);
			goto fail;
		}
		if (strcmp(emu_jgets(price, "type"), "one_time") != 0) {
			emu_bad(rs, param, "You specified `payment` mode but passed a recurring price. "
			    "Either switch to `subscription` mode or use only one-time prices.");
			goto fail;
		}
		prod = emu_find("product", emu_jgets(price, "product"));
		if (prod != NULL && !emu_jtrue(prod, "active")) {
			emu_bad(rs, param, "The price `%s` is for product `%s` which is not active.",
			    pid, emu_jgets(prod, "id"));
			goto fail;
		}
		pcur = emu_jgets(price, "currency");
		if (cur[0] == '\0')
			snprintf(cur, curlen, "%s", pcur);
		else if (strcmp(cur, pcur) != 0) {
			emu_bad(rs, param, "All line items must use the same currency (%s, %s).", cur,
			    pcur);
			goto fail;
		}
		snprintf(param, sizeof(param), "line_items[%d][quantity]", i);
		if (!emu_p_int(it, "quantity", &qty)) {
			emu_error(rs, 400, "invalid_request_error", "parameter_missing", param,
			    "Missing required param: %s.", param);
			goto fail;
		}
		if (qty < 1 || qty > CO_MAX_QUANTITY) {
			emu_bad(rs, param, "Invalid %s: must be between 1 and %d.", param,
			    CO_MAX_QUANTITY);
			goto fail;
		}
		unit = emu_jgeti(price, "unit_amount", 0);
		item = cJSON_CreateObject();
		emu_new_id(lid, sizeof(lid), "li_", EMU_ID_RAND);
		cJSON_AddStringToObject(item, "id", lid);
		cJSON_AddStringToObject(item, "object", "item");
		cJSON_AddNullToObject(item, "adjustable_quantity");
		cJSON_AddNumberToObject(item, "amount_discount", 0);
		cJSON_AddNumberToObject(item, "amount_subtotal", (double)(unit * qty));
		cJSON_AddNumberToObject(item, "amount_tax", 0);
		cJSON_AddNumberToObject(item, "amount_total", (double)(unit * qty));
		cJSON_AddStringToObject(item, "currency", pcur);
		emu_jset(item, "description", emu_jstr(prod != NULL ? emu_jgets(prod, "name") : NULL));
		cJSON_AddItemToObject(item, "metadata", cJSON_CreateObject());
		cJSON_AddItemToObject(item, "price", emu_render(price));
		cJSON_AddNumberToObject(item, "quantity", (double)qty);
		cJSON_AddItemToArray(items, item);
		i++;
	}
	return items;
fail:
	cJSON_Delete(items);
	return NULL;
}

/* Looks up discounts[0] (one coupon or one promotion code). Answers 400 on errors. */
static int
resolve_discount(struct emu_resp *rs, const cJSON *p, const cJSON **coupon,
    const cJSON **promo)
{
	const cJSON *d = emu_jget(p, "discounts"), *d0;
	const char *cid, *pid;

	*coupon = *promo = NULL;
	if (!cJSON_IsArray(d) || cJSON_GetArraySize(d) == 0)
		return 0;
	if (cJSON_GetArraySize(d) > 1) {
		emu_bad(rs, "discounts", "You may only specify one discount for a Checkout Session "
		    "in payment mode.");
		return -1;
	}
	d0 = cJSON_GetArrayItem(d, 0);
	cid = emu_p_str(d0, "coupon");
	pid = emu_p_str(d0, "promotion_code");
	if (cid != NULL && *cid && pid != NULL && *pid) {
		emu_bad(rs, "discounts[0][promotion_code]", "You may only specify one of these "
		    "parameters: coupon, promotion_code.");
		return -1;
	}
	if (pid != NULL && *pid) {
		if ((*promo = emu_find("promotion_code", pid)) == NULL) {
			emu_missing_obj(rs, "promotion code", pid, "discounts[0][promotion_code]");
			return -1;
		}
		*coupon = emu_find("coupon", emu_jgets(emu_jget(*promo, "promotion"), "coupon"));
	} else if (cid != NULL && *cid) {
		if ((*coupon = emu_find("coupon", cid)) == NULL) {
			emu_missing_obj(rs, "coupon", cid, "discounts[0][coupon]");
			return -1;
		}
	} else {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing",
		    "discounts[0][coupon]", "Missing required param: discounts[0][coupon] or "
		    "discounts[0][promotion_code].");
		return -1;
	}
	if (*coupon == NULL) {
		emu_bad(rs, "discounts[0][promotion_code]", "The promotion code's coupon no longer "
		    "exists.");
		return -1;
	}
	return 0;
}

/* Has this customer (or, without one, this email) paid a session before? A bank debit
 * still processing or failed is no successful payment. */
static int
has_paid_before(const cJSON *session)
{
	const char *cus = emu_jgets(session, "customer"), *email = emu_jgets(session,
	    "customer_email");
	const cJSON *s;

	cJSON_ArrayForEach(s, emu_coll("checkout.session")) {
		const char *st = emu_jgets(s, "payment_status");

		if (s == session || st == NULL || strcmp(st, "paid") != 0)
			continue;
		if (cus != NULL && emu_jgets(s, "customer") != NULL &&
		    strcmp(cus, emu_jgets(s, "customer")) == 0)
			return 1;
		if (cus == NULL && email != NULL &&
		    emu_str_ieq(email, emu_jgets(emu_jget(s, "customer_details"), "email")))
			return 1;
	}
	return 0;
}

/*
 * Can coupon (and promo, if given) apply to session now? Uses the session's currency,
 * subtotal and customer. Returns 0, or -1 with a message for the payer in err.
 */
int
co_discount_check(const cJSON *coupon, const cJSON *promo, const cJSON *session, char *err,
    size_t n)
{
	const char *cur = emu_jgets(session, "currency");
	int64_t sub = emu_jgeti(session, "amount_subtotal", 0), v, now = emu_now();

	if (promo != NULL) {
		const cJSON *r = emu_jget(promo, "restrictions");
		const char *pc = emu_jgets(promo, "customer");

		if (!emu_jtrue(promo, "active")) {
			snprintf(err, n, "This promotion code is inactive.");
			return -1;
		}
		if ((v = emu_jgeti(promo, "expires_at", 0)) != 0 && v <= now) {
			snprintf(err, n, "This promotion code has expired.");
			return -1;
		}
		if ((v = emu_jgeti(promo, "max_redemptions", 0)) != 0 &&
		    emu_jgeti(promo, "times_redeemed", 0) >= v) {
			snprintf(err, n, "This promotion code has reached its maximum number of "
			    "redemptions.");
			return -1;
		}
		if (pc != NULL && !(emu_jgets(session, "customer") &&
		    strcmp(pc, emu_jgets(session, "customer")) == 0)) {
			snprintf(err, n, "This promotion code cannot be redeemed by this customer.");
			return -1;
		}
		if ((v = emu_jgeti(r, "minimum_amount", -1)) >= 0) {
			const char *mc = emu_jgets(r, "minimum_amount_currency");
			char m[48];

			if (!emu_str_ieq(mc, cur)) {
				snprintf(err, n, "This promotion code cannot be used with currency %s.",
				    cur);
				return -1;
			}
			if (sub < v) {
				emu_money(m, sizeof(m), v, mc);
				snprintf(err, n, "This promotion code requires a minimum order amount of "
				    "%s.", m);
				return -1;
			}
		}
		if (emu_jtrue(r, "first_time_transaction") && has_paid_before(session)) {
			snprintf(err, n, "This promotion code can only be used on a customer's first "
			    "purchase, and this customer has prior transactions.");
			return -1;
		}
	}
	if (!emu_jtrue(coupon, "valid")) {
		snprintf(err, n, "This coupon is no longer valid.");
		return -1;
	}
	if ((v = emu_jgeti(coupon, "redeem_by", 0)) != 0 && v <= now) {
		snprintf(err, n, "This coupon has expired.");
		return -1;
	}
	if ((v = emu_jgeti(coupon, "max_redemptions", 0)) != 0 &&
	    emu_jgeti(coupon, "times_redeemed", 0) >= v) {
		snprintf(err, n, "This coupon has reached its maximum number of redemptions.");
		return -1;
	}
	if (emu_jgets(coupon, "currency") != NULL && cJSON_IsNumber(emu_jget(coupon,
	    "amount_off")) && !emu_str_ieq(emu_jgets(coupon, "currency"), cur)) {
		snprintf(err, n, "The coupon's currency (%s) does not match the session's "
		    "currency (%s).", emu_jgets(coupon, "currency"), cur);
		return -1;
	}
	return 0;
}

/* Sets (or, with coupon NULL, removes) the session's one discount and recomputes totals. */
void
co_set_discount(cJSON *session, const cJSON *coupon, const cJSON *promo)
{
	cJSON *arr = cJSON_CreateArray(), *d;

	if (coupon != NULL) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "coupon", emu_jgets(coupon, "id"));
		emu_jset(d, "promotion_code", emu_jstr(promo != NULL ? emu_jgets(promo, "id") :
		    NULL));
		cJSON_AddItemToArray(arr, d);
	}
	emu_jset(session, "discounts", arr);
	totals(session);
}

/*
 * Recomputes amount_subtotal, the discount (percent: rounded half up; amount_off: capped
 * at the subtotal), its spread over the line items (summing exactly), and amount_total.
 */
static void
totals(cJSON *session)
{
	cJSON *items = emu_jget(session, "_line_items"), *it, *td;
	const cJSON *d0 = cJSON_GetArrayItem(emu_jget(session, "discounts"), 0), *coupon;
	int64_t sub = 0, disc = 0, given = 0;

	cJSON_ArrayForEach(it, items)
		sub += emu_jgeti(it, "amount_subtotal", 0);
	coupon = d0 != NULL ? emu_find("coupon", emu_jgets(d0, "coupon")) : NULL;
	if (coupon != NULL && cJSON_IsNumber(emu_jget(coupon, "percent_off"))) {
		int64_t bp = (int64_t)(emu_jget(coupon, "percent_off")->valuedouble * 100 + 0.5);
		disc = (sub * bp + 5000) / 10000;
	} else if (coupon != NULL && cJSON_IsNumber(emu_jget(coupon, "amount_off")))
		disc = emu_jgeti(coupon, "amount_off", 0);
	if (disc > sub)
		disc = sub;
	cJSON_ArrayForEach(it, items) {
		int64_t isub = emu_jgeti(it, "amount_subtotal", 0);
		int64_t share = sub > 0 ? disc * isub / sub : 0;

		emu_jset(it, "amount_discount", cJSON_CreateNumber((double)share));
		given += share;
	}
	/* the cents that flooring left over go one each to the items with the largest
	 * remainders (largest-remainder rounding): no item is a cent or more off its share */
	while (given < disc) {
		cJSON *best = NULL;
		int64_t best_rem = -1;

		cJSON_ArrayForEach(it, items) {
			int64_t isub = emu_jgeti(it, "amount_subtotal", 0);

			if (emu_jgeti(it, "amount_discount", 0) == disc * isub / sub &&
			    disc * isub % sub > best_rem) {
				best = it;
				best_rem = disc * isub % sub;
			}
		}
		if (best == NULL)
			break;
		emu_jset(best, "amount_discount", cJSON_CreateNumber((double)(emu_jgeti(best,
		    "amount_discount", 0) + 1)));
		given++;
	}
	cJSON_ArrayForEach(it, items)
		emu_jset(it, "amount_total", cJSON_CreateNumber((double)(emu_jgeti(it,
		    "amount_subtotal", 0) - emu_jgeti(it, "amount_discount", 0))));
	emu_jset(session, "amount_subtotal", cJSON_CreateNumber((double)sub));
	emu_jset(session, "amount_total", cJSON_CreateNumber((double)(sub - disc)));
	td = cJSON_CreateObject();
	cJSON_AddNumberToObject(td, "amount_discount", (double)disc);
	cJSON_AddNumberToObject(td, "amount_shipping", 0);
	cJSON_AddNumberToObject(td, "amount_tax", 0);
	emu_jset(session, "total_details", td);
}

/* Every field Stripe returns on a payment-mode session, in its order, with defaults. */
static const char g_session_tpl[] = "{\"adaptive_pricing\":null,\"after_expiration\":null,"
    "\"allow_promotion_codes\":null,\"amount_subtotal\":0,\"amount_total\":0,"
    "\"automatic_tax\":{\"enabled\":false,\"liability\":null,\"provider\":null,"
    "\"status\":null},\"billing_address_collection\":null,\"cancel_url\":null,"
    "\"client_reference_id\":null,\"client_secret\":null,\"collected_information\":null,"
    "\"consent\":null,\"consent_collection\":null,\"currency\":null,"
    "\"currency_conversion\":null,\"custom_fields\":[],\"custom_text\":{"
    "\"after_submit\":null,\"shipping_address\":null,\"submit\":null,"
    "\"terms_of_service_acceptance\":null},\"customer\":null,\"customer_account\":null,"
    "\"customer_creation\":\"if_required\",\"customer_details\":null,"
    "\"customer_email\":null,\"discounts\":[],\"expires_at\":0,\"invoice\":null,"
    "\"invoice_creation\":null,\"locale\":null,\"metadata\":{},\"mode\":\"payment\","
    "\"origin_context\":null,\"payment_intent\":null,\"payment_link\":null,"
    "\"payment_method_collection\":\"if_required\","
    "\"payment_method_types\":[\"card\",\"us_bank_account\"],"
    "\"payment_status\":\"unpaid\",\"phone_number_collection\":{\"enabled\":false},"
    "\"recovered_from\":null,\"saved_payment_method_options\":null,\"setup_intent\":null,"
    "\"shipping_address_collection\":null,\"shipping_cost\":null,\"shipping_options\":[],"
    "\"status\":\"open\",\"submit_type\":null,\"subscription\":null,\"success_url\":null,"
    "\"total_details\":null,\"ui_mode\":\"hosted\",\"url\":null,\"wallet_options\":null}";
/* Shared with api_pi_create (api.c), so both kinds of payment intent look alike. */
const char co_pi_tpl[] = "{\"amount\":0,\"amount_capturable\":0,"
    "\"amount_received\":0,\"capture_method\":\"automatic_async\","
    "\"confirmation_method\":\"automatic\",\"currency\":null,\"customer\":null,"
    "\"description\":null,\"last_payment_error\":null,\"latest_charge\":null,"
    "\"metadata\":{},\"payment_method\":null,"
    "\"payment_method_types\":[\"card\"],\"receipt_email\":null,"
    "\"status\":\"succeeded\"}";
static const char g_details_tpl[] = "{\"address\":null,\"business_name\":null,"
    "\"email\":null,\"individual_name\":null,\"name\":null,\"phone\":null,"
    "\"tax_exempt\":\"none\",\"tax_ids\":[]}";

/* Copies optional string parameters names[] from p onto o ("" or absent stays null). */
static void
copy_strs(cJSON *o, const cJSON *p, const char *const *names)
{
	for (; *names != NULL; names++)
		if (emu_p_str(p, *names) != NULL)
			emu_jset(o, *names, emu_jstr(emu_p_str(p, *names)));
}

/* A new open session from checked params; items, totals and discount come after. */
static cJSON *
session_new(const cJSON *p, const char *cur, int64_t expires)
{
	static const char *const strs[] = {
		"cancel_url", "client_reference_id", "customer", "customer_email", "locale",
		"submit_type", "success_url", NULL
	};
	cJSON *s = emu_new_obj("cs_test_", "checkout.session", 58, g_session_tpl);
	char url[700];
	int b = 0;

	copy_strs(s, p, strs);
	if (emu_p_bool(p, "allow_promotion_codes", &b))
		emu_jset(s, "allow_promotion_codes", cJSON_CreateBool(b));
	emu_jset(s, "currency", cJSON_CreateString(cur));
	if (emu_jgets(s, "customer") != NULL)
		emu_jset(s, "customer_creation", NULL);
	emu_jset(s, "expires_at", cJSON_CreateNumber((double)expires));
	snprintf(url, sizeof(url), "%s/c/pay/%s", emu_cfg.public_url, emu_jgets(s, "id"));
	emu_jset(s, "url", cJSON_CreateString(url));
	emu_p_metadata(s, p);
	if (cJSON_GetArraySize(emu_jget(p, "payment_method_types")) > 0)
		emu_jset(s, "payment_method_types",
		    cJSON_Duplicate(emu_jget(p, "payment_method_types"), 1));
	if (cJSON_IsObject(emu_jget(p, "payment_intent_data")))
		cJSON_AddItemToObject(s, "_payment_intent_data",
		    cJSON_Duplicate(emu_jget(p, "payment_intent_data"), 1));
	return s;
}

void
co_create(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const cJSON *p = rq->params, *coupon, *promo, *pmt;
	const char *mode = emu_p_str(p, "mode"), *cus = emu_p_str(p, "customer");
	const char *email = emu_p_str(p, "customer_email"), *ref, *ui = emu_p_str(p, "ui_mode");
	char cur[8], err[300];
	int64_t now = emu_now(), expires = now + CO_DEFAULT_TTL;
	int allow = 0;
	cJSON *items = NULL, *s;

	if (emu_params_check(rs, rq->params, p_create) != 0)
		return;
	if (mode != NULL && *mode && strcmp(mode, "payment") != 0) {
		emu_bad(rs, "mode", "This emulator supports only mode=payment (got '%s').", mode);
		return;
	}
	if (ui != NULL && *ui && strcmp(ui, "hosted") != 0) {
		emu_bad(rs, "ui_mode", "This emulator supports only ui_mode=hosted.");
		return;
	}
	cJSON_ArrayForEach(pmt, emu_jget(p, "payment_method_types"))
		if (strcmp(pmt->valuestring, "card") != 0 &&
		    strcmp(pmt->valuestring, "us_bank_account") != 0) {
			emu_bad(rs, "payment_method_types", "This emulator supports only card and "
			    "us_bank_account.");
			return;
		}
	if (cus != NULL && *cus && email != NULL && *email) {
		emu_bad(rs, "customer_email", "You may only specify one of these parameters: "
		    "customer, customer_email.");
		return;
	}
	if (cus != NULL && *cus && emu_find("customer", cus) == NULL) {
		emu_missing_obj(rs, "customer", cus, "customer");
		return;
	}
	if (email != NULL && *email && (strlen(email) > 800 || strchr(email, '@') == NULL)) {
		emu_bad(rs, "customer_email", "Invalid email address: %s", email);
		return;
	}
	if ((ref = emu_p_str(p, "client_reference_id")) != NULL && strlen(ref) > 200) {
		emu_bad(rs, "client_reference_id", "client_reference_id must be at most 200 "
		    "characters.");
		return;
	}
	if (url_ok(rs, p, "success_url") != 0 || url_ok(rs, p, "cancel_url") != 0)
		return;
	emu_p_bool(p, "allow_promotion_codes", &allow);
	if (allow && cJSON_IsArray(emu_jget(p, "discounts")) &&
	    cJSON_GetArraySize(emu_jget(p, "discounts")) > 0) {
		emu_bad(rs, "discounts", "You may only specify one of these parameters: "
		    "allow_promotion_codes, discounts.");
		return;
	}
	if (emu_p_int(p, "expires_at", &expires) && (expires < now + CO_MIN_TTL ||
	    expires > now + CO_DEFAULT_TTL)) {
		emu_bad(rs, "expires_at", "The `expires_at` timestamp must be between 30 minutes and "
		    "24 hours from Checkout Session creation.");
		return;
	}
	if (resolve_discount(rs, p, &coupon, &promo) != 0)
		return;
	if ((items = build_items(rs, p, cur, sizeof(cur))) == NULL)
		return;
	s = session_new(p, cur, expires);
	cJSON_AddItemToObject(s, "_line_items", items);
	co_set_discount(s, NULL, NULL);
	if (coupon != NULL) {
		if (co_discount_check(coupon, promo, s, err, sizeof(err)) != 0) {
			emu_error(rs, 400, "invalid_request_error", NULL, promo != NULL ?
			    "discounts[0][promotion_code]" : "discounts[0][coupon]", "%s", err);
			cJSON_Delete(s);
			return;
		}
		co_set_discount(s, coupon, promo);
	}
	emu_insert("checkout.session", s);
	emu_respond_obj(rq, rs, s);
}

static int
session_match(const cJSON *o, const cJSON *p)
{
	const char *v;

	if ((v = emu_p_str(p, "customer")) && *v &&
	    !(emu_jgets(o, "customer") && strcmp(v, emu_jgets(o, "customer")) == 0))
		return 0;
	if ((v = emu_p_str(p, "status")) && *v && strcmp(v, emu_jgets(o, "status")) != 0)
		return 0;
	if ((v = emu_p_str(p, "payment_intent")) && *v &&
	    !(emu_jgets(o, "payment_intent") && strcmp(v, emu_jgets(o, "payment_intent")) == 0))
		return 0;
	return 1;
}

void
co_list(struct emu_req *rq, struct emu_resp *rs, const char *arg)
{
	const char *st;

	if (emu_params_check(rs, rq->params, p_list) != 0)
		return;
	if ((st = emu_p_str(rq->params, "status")) && *st && strcmp(st, "open") &&
	    strcmp(st, "complete") && strcmp(st, "expired")) {
		emu_bad(rs, "status", "Invalid status: must be one of complete, expired, or open");
		return;
	}
	emu_list(rq, rs, emu_coll("checkout.session"), 1, "/v1/checkout/sessions",
	    session_match);
}

void
co_line_items(struct emu_req *rq, struct emu_resp *rs, const char *id)
{
	const cJSON *s;
	char url[200];

	if (emu_params_check(rs, rq->params, p_items_list) != 0)
		return;
	if ((s = emu_find("checkout.session", id)) == NULL) {
		emu_missing_obj(rs, "checkout.session", id, NULL);
		return;
	}
	snprintf(url, sizeof(url), "/v1/checkout/sessions/%s/line_items", id);
	emu_list(rq, rs, emu_jget(s, "_line_items"), 0, url, NULL);
}

/* Marks an open session expired and records checkout.session.expired. */
void
co_expire_session(struct emu_req *rq, cJSON *s)
{
	emu_jset(s, "status", cJSON_CreateString("expired"));
	emu_jset(s, "url", cJSON_CreateNull());
	cJSON_DeleteItemFromObjectCaseSensitive(s, "_pending_3ds");
	emu_dirty();
	emu_event(rq, "checkout.session.expired", s, NULL);
}

void
co_expire(struct emu_req *rq, struct emu_resp *rs, const char *id)
{
	cJSON *s;

	if (emu_params_check(rs, rq->params, p_expand_only) != 0)
		return;
	if ((s = emu_find("checkout.session", id)) == NULL) {
		emu_missing_obj(rs, "checkout.session", id, NULL);
		return;
	}
	if (strcmp(emu_jgets(s, "status"), "open") != 0) {
		emu_bad(rs, NULL, "Only Checkout Sessions with a status in [\"open\"] can be "
		    "expired. This Checkout Session has a status of \"%s\".", emu_jgets(s, "status"));
		return;
	}
	co_expire_session(rq, s);
	emu_respond_obj(rq, rs, s);
}

/* Expires open sessions whose expires_at has passed. */
static void
expire_due(int64_t now)
{
	cJSON *s;

	cJSON_ArrayForEach(s, emu_coll("checkout.session"))
		if (strcmp(emu_jgets(s, "status"), "open") == 0 &&
		    emu_jgeti(s, "expires_at", 0) <= now)
			co_expire_session(NULL, s);
}

/*
 * Runs what the emulator's clock says is due: session expiry and the settling of delayed
 * (bank) payments. The worker calls it every second, every request before it starts, and
 * POST /_emu/clock right after moving the clock.
 */
void
co_run_due(void)
{
	int64_t now = emu_now();
	cJSON *pi;

	expire_due(now);
	cJSON_ArrayForEach(pi, emu_coll("payment_intent"))
		if (strcmp(emu_jgets(pi, "status"), "processing") == 0 &&
		    emu_jgeti(pi, "_settle_at", 0) <= now)
			settle(pi, emu_find("checkout.session", emu_jgets(pi, "_session")));
}

static void
redeem(cJSON *o)
{
	int64_t n = emu_jgeti(o, "times_redeemed", 0) + 1, max;

	emu_jset(o, "times_redeemed", cJSON_CreateNumber((double)n));
	if (strcmp(emu_jgets(o, "object"), "coupon") == 0 &&
	    (max = emu_jgeti(o, "max_redemptions", 0)) != 0 && n >= max)
		emu_jset(o, "valid", cJSON_CreateFalse());
}

/* The payment intent for a session paid now: succeeded for a card, processing (due to
 * settle CO_SETTLE_DELAY seconds later) for a bank debit. Stored; returned borrowed. */
static cJSON *
pi_new(const cJSON *s, enum co_pay how)
{
	int64_t total = emu_jgeti(s, "amount_total", 0);
	const cJSON *pid = emu_jget(s, "_payment_intent_data");
	cJSON *pi = emu_new_obj("pi_", "payment_intent", EMU_ID_RAND, co_pi_tpl), *types;

	emu_jset(pi, "amount", cJSON_CreateNumber((double)total));
	emu_jset(pi, "currency", cJSON_CreateString(emu_jgets(s, "currency")));
	emu_jset(pi, "customer", emu_jstr(emu_jgets(s, "customer")));
	emu_jset(pi, "description", emu_jstr(emu_jgets(pid, "description")));
	if (cJSON_IsObject(emu_jget(pid, "metadata")))
		emu_jset(pi, "metadata", cJSON_Duplicate(emu_jget(pid, "metadata"), 1));
	emu_jset(pi, "receipt_email", emu_jstr(emu_jgets(pid, "receipt_email")));
	if (how == CO_PAY_CARD)
		emu_jset(pi, "amount_received", cJSON_CreateNumber((double)total));
	else {
		types = cJSON_CreateArray();
		cJSON_AddItemToArray(types, cJSON_CreateString("us_bank_account"));
		emu_jset(pi, "payment_method_types", types);
		emu_jset(pi, "status", cJSON_CreateString("processing"));
		cJSON_AddStringToObject(pi, "_session", emu_jgets(s, "id"));
		cJSON_AddNumberToObject(pi, "_settle_at", (double)(emu_now() + CO_SETTLE_DELAY));
		cJSON_AddBoolToObject(pi, "_settle_ok", how == CO_PAY_BANK_OK);
	}
	emu_insert("payment_intent", pi);
	return pi;
}

/*
 * Completes a session on the hosted page: payment intent (none when nothing is due),
 * customer details, redemptions, and checkout.session.completed. A bank debit leaves
 * payment_status unpaid until it settles. There is no API request behind it.
 */
void
co_pay_complete(cJSON *s, const char *email, const char *name, enum co_pay how)
{
	int64_t total = emu_jgeti(s, "amount_total", 0);
	const cJSON *d0 = cJSON_GetArrayItem(emu_jget(s, "discounts"), 0);
	cJSON *cd, *o;

	if (total > 0)
		emu_jset(s, "payment_intent", cJSON_CreateString(emu_jgets(pi_new(s, how), "id")));
	cd = cJSON_Parse(g_details_tpl);
	emu_jset(cd, "email", emu_jstr(email));
	emu_jset(cd, "name", emu_jstr(name));
	emu_jset(s, "customer_details", cd);
	emu_jset(s, "status", cJSON_CreateString("complete"));
	emu_jset(s, "payment_status", cJSON_CreateString(total == 0 ? "no_payment_required" :
	    how == CO_PAY_CARD ? "paid" : "unpaid"));
	emu_jset(s, "url", cJSON_CreateNull());
	cJSON_DeleteItemFromObjectCaseSensitive(s, "_pending_3ds");
	if (d0 != NULL) {
		if ((o = emu_find("coupon", emu_jgets(d0, "coupon"))) != NULL)
			redeem(o);
		if ((o = emu_find("promotion_code", emu_jgets(d0, "promotion_code"))) != NULL)
			redeem(o);
	}
	emu_dirty();
	emu_event(NULL, "checkout.session.completed", s, NULL);
}

/* A bank debit's outcome: the payment intent succeeds (the session becomes paid) or goes
 * back to requires_payment_method (the session stays unpaid), with the async event. */
static void
settle(cJSON *pi, cJSON *s)
{
	cJSON *err;

	if (emu_jtrue(pi, "_settle_ok")) {
		emu_jset(pi, "status", cJSON_CreateString("succeeded"));
		emu_jset(pi, "amount_received", cJSON_CreateNumber((double)emu_jgeti(pi, "amount",
		    0)));
	} else {
		err = cJSON_CreateObject();
		cJSON_AddStringToObject(err, "code", "no_account");
		cJSON_AddStringToObject(err, "message", "The customer's bank account could not be "
		    "located.");
		cJSON_AddStringToObject(err, "type", "invalid_request_error");
		emu_jset(pi, "last_payment_error", err);
		emu_jset(pi, "status", cJSON_CreateString("requires_payment_method"));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(pi, "_settle_at");
	emu_dirty();
	if (s == NULL)
		return;
	if (emu_jtrue(pi, "_settle_ok")) {
		emu_jset(s, "payment_status", cJSON_CreateString("paid"));
		emu_event(NULL, "checkout.session.async_payment_succeeded", s, NULL);
	} else
		emu_event(NULL, "checkout.session.async_payment_failed", s, NULL);
}
