/*
 * admin.c: the shop owner's page at /admin, the emulator's offline stand-in for Stripe's
 * Dashboard: list and edit products, add a price and make it the default, deactivate a
 * price, create coupons and promotion codes. Plain HTML forms, no script. Every change runs
 * the same API handler as a /v1 request would, so it is checked the same way and sends the
 * same product.*, price.*, coupon.* and promotion_code.* events. main.c lets only loopback
 * callers in; here the Host header must name this server (against DNS rebinding), and a
 * POST must carry the page's token and, when the browser sends one, a same-host Origin or
 * Referer (against cross-site forms). emu_mu is held throughout.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "emu.h"

#define ADMIN_MAX_AMOUNT 99999999999LL

/* Form field names each POST accepts; anything else is refused. */
static const char *const f_product[] = {
	"csrf", "action", "name", "description", "image", "active", "amount", "currency",
	"default", "price", NULL
};
static const char *const f_coupon[] = {
	"csrf", "name", "percent_off", "amount_off", "currency", NULL
};
static const char *const f_promo[] = {
	"csrf", "coupon", "code", "minimum_amount", "minimum_currency", "first_time",
	"max_redemptions", NULL
};

/* Texts for ?done=… after a change (a fixed table: nothing from the URL is echoed). */
static const struct { const char *key, *text; } g_done[] = {
	{"saved", "Product saved."}, {"price", "Price added."},
	{"default", "Default price changed."}, {"deactivated", "Price deactivated."},
	{"coupon", "Coupon created."}, {"promo", "Promotion code created."}, {NULL, NULL}
};

static const char g_admin_css[] =
    "main{display:block;max-width:760px}section{margin:0 0 28px}"
    ".note{background:#fff8e1;border-radius:6px;padding:10px 12px;font-size:14px}"
    ".done{background:#e6f6ec;color:#0d5d2c;border-radius:6px;padding:10px 12px}"
    ".item{display:flex;gap:12px;align-items:center;padding:10px 0;"
    "border-top:1px solid #e3e8ee}.item>div{flex:1;min-width:0;overflow-wrap:anywhere}"
    ".item img,.noimg{width:56px;height:56px;object-fit:cover;border-radius:6px;"
    "background:#e3e8ee;flex:none}.pill{font-size:12px;border-radius:9px;padding:1px 8px;"
    "background:#e3e8ee;margin-left:6px}.on{background:#d7f7c2}"
    "textarea,select{width:100%;padding:10px 12px;font:inherit;border:1px solid #d5dbe1;"
    "border-radius:6px;background:#fff}form.inline{display:inline}"
    "button{background:#e3e8ee;margin:4px 4px 0 0}button.primary{background:#635bff;"
    "color:#fff;margin-top:16px}label.check{display:flex;gap:8px;align-items:center}"
    "label.check input{width:auto}h2{font-size:20px;color:#1a1f36;font-weight:600;"
    "margin:0 0 8px}";

static char g_token[65];

static const char *authority(const char *url);
static int same_host(const char *url, const char *host);
static int host_ok(const char *host);
static int post_ok(const struct emu_req *rq, const char *host, const char *origin,
    const char *referer);
static int fields_ok(const cJSON *params, const char *const *names);
static const char *field(const cJSON *params, const char *name);
static int parse_major(const char *s, const char *currency, int64_t *out);
static int api_call(struct emu_req *rq, emu_handler fn, const char *arg, cJSON *params,
    char *err, size_t n, cJSON **out);
static void head(struct sbuf *b, const char *title, const char *done, const char *err);
static void finish(struct emu_resp *rs, int status, struct sbuf *b);
static void redirect(struct emu_resp *rs, const char *path, const char *done);
static void price_text(char *buf, size_t n, const cJSON *price);
static void product_item(struct sbuf *b, const cJSON *prod);
static void coupon_item(struct sbuf *b, const cJSON *coupon);
static const char *default_currency(void);
static void page_index_admin(struct emu_resp *rs, int status, const char *done,
    const char *err);
static void page_product(struct emu_resp *rs, int status, const cJSON *prod,
    const char *done, const char *err);
static int product_save(struct emu_req *rq, const cJSON *prod, char *err, size_t n);
static int price_add(struct emu_req *rq, const cJSON *prod, char *err, size_t n);
static int price_default(struct emu_req *rq, const cJSON *prod, char *err, size_t n);
static int price_deactivate(struct emu_req *rq, const cJSON *prod, char *err, size_t n);
static int coupon_create(struct emu_req *rq, char *err, size_t n);
static int promo_create(struct emu_req *rq, char *err, size_t n);
static void post_product(struct emu_req *rq, struct emu_resp *rs, cJSON *prod);

/* "host:port" of an http(s) URL, up to the path; NULL when url is not one. */
static const char *
authority(const char *url)
{
	if (url != NULL && strncmp(url, "http://", 7) == 0)
		return url + 7;
	if (url != NULL && strncmp(url, "https://", 8) == 0)
		return url + 8;
	return NULL;
}

/* Does url (an Origin or Referer) point at host (a Host header value)? */
static int
same_host(const char *url, const char *host)
{
	const char *a = authority(url);
	size_t n = a != NULL ? strcspn(a, "/?#") : 0;

	return a != NULL && host != NULL && n == strlen(host) && strncmp(a, host, n) == 0;
}

/* The Host header must be this server by a loopback name or its public URL, so that a
 * page on some other name that resolves here (DNS rebinding) cannot read the token. */
static int
host_ok(const char *host)
{
	const char *names[] = {"127.0.0.1", "localhost", "[::1]", NULL};
	const char *pub = authority(emu_cfg.public_url);
	char want[300];

	if (host == NULL)
		return 0;
	for (int i = 0; names[i] != NULL; i++) {
		snprintf(want, sizeof(want), "%s:%d", names[i], emu_cfg.port);
		if (strcmp(host, want) == 0)
			return 1;
	}
	return pub != NULL && strlen(host) == strcspn(pub, "/") &&
	    strncmp(host, pub, strlen(host)) == 0;
}

/* A POST from this page: the token matches, and the browser's Origin (or, without one,
 * its Referer) names this host when it sent one. */
static int
post_ok(const struct emu_req *rq, const char *host, const char *origin, const char *referer)
{
	const char *tok = emu_p_str(rq->params, "csrf");

	if (tok == NULL || strlen(tok) != strlen(g_token) ||
	    sodium_memcmp(tok, g_token, strlen(g_token)) != 0)
		return 0;
	if (origin != NULL && *origin != '\0')
		return same_host(origin, host);
	if (referer != NULL && *referer != '\0')
		return same_host(referer, host);
	return 1;
}

/* Every field is a plain string named in names. */
static int
fields_ok(const cJSON *params, const char *const *names)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, params) {
		int known = 0;

		for (int i = 0; names[i] != NULL; i++)
			known |= strcmp(c->string, names[i]) == 0;
		if (!known || !cJSON_IsString(c))
			return 0;
	}
	return 1;
}

/* A form field with its surrounding spaces trimmed off (in place, in the request's own
 * parameters); "" when absent. */
static const char *
field(const cJSON *params, const char *name)
{
	cJSON *v = emu_jget(params, name);
	char *s, *e;

	if (!cJSON_IsString(v))
		return "";
	for (s = v->valuestring; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	return s;
}

/*
 * An amount typed in major units ("12", "12.5", "12,50"; whole units only for zero-decimal
 * currencies) into minor units. Returns 0, or -1 when s is not such an amount.
 */
static int
parse_major(const char *s, const char *currency, int64_t *out)
{
	int decimals = emu_zero_decimal(currency) ? 0 : 2, frac = 0;
	int64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > ADMIN_MAX_AMOUNT)
			return -1;
	}
	if ((*s == '.' || *s == ',') && decimals > 0 && isdigit((unsigned char)s[1])) {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (++frac > decimals)
				return -1;
			v = v * 10 + (*s - '0');
		}
	}
	for (; frac < decimals; frac++)
		v *= 10;
	if (*s != '\0' || v > ADMIN_MAX_AMOUNT)
		return -1;
	*out = v;
	return 0;
}

/*
 * Runs an API handler on params (taken) as a POST would, under the admin request's id, so
 * its events look like those of a Dashboard change. Returns the HTTP status; on an error
 * the API's message is in err, on success *out (when not NULL) is the answer (caller frees).
 */
static int
api_call(struct emu_req *rq, emu_handler fn, const char *arg, cJSON *params, char *err,
    size_t n, cJSON **out)
{
	struct emu_req sub = *rq;
	struct emu_resp rs = {0};
	cJSON *body;
	const char *msg;

	sub.method = "POST";
	sub.params = params;
	sub.idem_key = NULL;
	fn(&sub, &rs, arg);
	body = rs.body != NULL ? cJSON_Parse(rs.body) : NULL;
	if (rs.status >= 400) {
		msg = emu_jgets(emu_jget(body, "error"), "message");
		snprintf(err, n, "%s", msg != NULL ? msg : "The change was refused.");
	} else if (out != NULL) {
		*out = body;
		body = NULL;
	}
	cJSON_Delete(body);
	cJSON_Delete(params);
	free(rs.body);
	free(rs.location);
	return rs.status;
}

/* Page head, the emulator note, and the outcome of the last change (done or err). */
static void
head(struct sbuf *b, const char *title, const char *done, const char *err)
{
	page_head(b, title, g_admin_css);
	sb_printf(b, "<main><p class=\"note\" id=\"emu-note\">This is <strong>stripe-emu</strong>"
	    ", a local Stripe emulator: its admin page stands in for Stripe's Dashboard. Changes "
	    "go through the emulator's API and send the same webhooks; nothing reaches real "
	    "Stripe.</p>");
	for (int i = 0; done != NULL && g_done[i].key != NULL; i++)
		if (strcmp(done, g_done[i].key) == 0)
			sb_printf(b, "<p class=\"done\" id=\"done\" role=\"status\">%s</p>",
			    g_done[i].text);
	if (err != NULL) {
		sb_printf(b, "<p class=\"error\" id=\"error\" role=\"alert\">");
		sb_esc(b, err);
		sb_printf(b, "</p>");
	}
}

static void
finish(struct emu_resp *rs, int status, struct sbuf *b)
{
	sb_printf(b, "</main></body></html>");
	emu_resp_html(rs, status, page_finish(b));
}

/* 303 to path?done=done after a change, so a reload does not post it again. */
static void
redirect(struct emu_resp *rs, const char *path, const char *done)
{
	char loc[400];

	snprintf(loc, sizeof(loc), "%s?done=%s", path, done);
	rs->location = strdup(loc);
	emu_resp_html(rs, 303, strdup("<!doctype html><p>Saved.</p>"));
}

/* "$12.50" for a price, "—" without one. */
static void
price_text(char *buf, size_t n, const cJSON *price)
{
	if (price == NULL)
		snprintf(buf, n, "\xe2\x80\x94");
	else
		emu_money(buf, n, emu_jgeti(price, "unit_amount", 0), emu_jgets(price, "currency"));
}

static void
product_item(struct sbuf *b, const cJSON *prod)
{
	const cJSON *img0 = cJSON_GetArrayItem(emu_jget(prod, "images"), 0);
	const char *img = cJSON_IsString(img0) ? img0->valuestring : NULL;
	char m[64];

	price_text(m, sizeof(m), emu_find("price", emu_jgets(prod, "default_price")));
	sb_printf(b, "<div class=\"item product\" data-id=\"");
	sb_esc(b, emu_jgets(prod, "id"));
	sb_printf(b, "\">");
	if (img != NULL && authority(img) != NULL) {
		sb_printf(b, "<img src=\"");
		sb_esc(b, img);
		sb_printf(b, "\" alt=\"\">");
	} else
		sb_printf(b, "<span class=\"noimg\"></span>");
	sb_printf(b, "<div><a href=\"/admin/products/");
	sb_esc(b, emu_jgets(prod, "id"));
	sb_printf(b, "\">");
	sb_esc(b, emu_jgets(prod, "name"));
	sb_printf(b, "</a><br>%s<span class=\"pill%s\">%s</span></div></div>", m,
	    emu_jtrue(prod, "active") ? " on" : "", emu_jtrue(prod, "active") ? "Active" :
	    "Inactive");
}

static void
coupon_item(struct sbuf *b, const cJSON *c)
{
	const cJSON *promo;
	char off[64];

	if (cJSON_IsNumber(emu_jget(c, "percent_off")))
		snprintf(off, sizeof(off), "%g%% off", emu_jget(c, "percent_off")->valuedouble);
	else {
		emu_money(off, sizeof(off) - 5, emu_jgeti(c, "amount_off", 0),
		    emu_jgets(c, "currency"));
		strcat(off, " off");
	}
	sb_printf(b, "<div class=\"item coupon\"><div><strong>");
	sb_esc(b, emu_jgets(c, "name") != NULL ? emu_jgets(c, "name") : emu_jgets(c, "id"));
	sb_printf(b, "</strong> ");
	sb_esc(b, off);
	sb_printf(b, "<span class=\"pill%s\">%s</span><br><span class=\"muted\">redeemed %lld",
	    emu_jtrue(c, "valid") ? " on" : "", emu_jtrue(c, "valid") ? "Valid" : "Not valid",
	    (long long)emu_jgeti(c, "times_redeemed", 0));
	if (emu_jgeti(c, "max_redemptions", 0) > 0)
		sb_printf(b, " of %lld", (long long)emu_jgeti(c, "max_redemptions", 0));
	sb_printf(b, "</span>");
	cJSON_ArrayForEach(promo, emu_coll("promotion_code")) {
		const cJSON *r = emu_jget(promo, "restrictions");
		char m[64];

		if (!emu_str_ieq(emu_jgets(emu_jget(promo, "promotion"), "coupon"),
		    emu_jgets(c, "id")))
			continue;
		sb_printf(b, "<br><code class=\"promo\">");
		sb_esc(b, emu_jgets(promo, "code"));
		sb_printf(b, "</code><span class=\"pill%s\">%s</span> <span class=\"muted\">used "
		    "%lld", emu_jtrue(promo, "active") ? " on" : "", emu_jtrue(promo, "active") ?
		    "Active" : "Inactive", (long long)emu_jgeti(promo, "times_redeemed", 0));
		if (emu_jgeti(promo, "max_redemptions", 0) > 0)
			sb_printf(b, " of %lld", (long long)emu_jgeti(promo, "max_redemptions", 0));
		if (cJSON_IsNumber(emu_jget(r, "minimum_amount"))) {
			emu_money(m, sizeof(m), emu_jgeti(r, "minimum_amount", 0),
			    emu_jgets(r, "minimum_amount_currency"));
			sb_printf(b, "; minimum %s", m);
		}
		if (emu_jtrue(r, "first_time_transaction"))
			sb_printf(b, "; first order only");
		sb_printf(b, "</span>");
	}
	sb_printf(b, "</div></div>");
}

/* The currency to offer in new forms: the newest price's, else usd. */
static const char *
default_currency(void)
{
	const cJSON *last = NULL, *p;

	cJSON_ArrayForEach(p, emu_coll("price"))
		last = p;
	return last != NULL ? emu_jgets(last, "currency") : "usd";
}

/* GET /admin: products, coupons with their codes, and the two create forms. */
static void
page_index_admin(struct emu_resp *rs, int status, const char *done, const char *err)
{
	struct sbuf b = {0};
	const cJSON *o, *last = NULL;
	int ncoupons = 0;

	head(&b, "stripe-emu admin", done, err);
	sb_printf(&b, "<h1>Catalogue</h1><section id=\"products\"><h2>Products</h2>");
	cJSON_ArrayForEach(o, emu_coll("product"))
		last = o;
	for (o = last; o != NULL; o = o == emu_coll("product")->child ? NULL : o->prev)
		product_item(&b, o);     /* newest first, as the Dashboard lists them */
	if (last == NULL)
		sb_printf(&b, "<p class=\"muted\">No products yet.</p>");
	sb_printf(&b, "</section><section id=\"coupons\"><h2>Coupons and promotion codes</h2>");
	cJSON_ArrayForEach(o, emu_coll("coupon")) {
		coupon_item(&b, o);
		ncoupons++;
	}
	if (ncoupons == 0)
		sb_printf(&b, "<p class=\"muted\">No coupons yet.</p>");
	sb_printf(&b, "</section><section class=\"card\"><h2>New coupon</h2>"
	    "<form method=\"post\" action=\"/admin/coupons\" id=\"couponForm\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	    "<label for=\"couponName\">Name (shown to shoppers)</label>"
	    "<input id=\"couponName\" name=\"name\" maxlength=\"40\">"
	    "<label for=\"percentOff\">Percent off</label><input id=\"percentOff\" "
	    "name=\"percent_off\" inputmode=\"decimal\" placeholder=\"e.g. 10\">"
	    "<p class=\"muted\">or</p><label for=\"amountOff\">Amount off</label>"
	    "<input id=\"amountOff\" name=\"amount_off\" inputmode=\"decimal\" "
	    "placeholder=\"e.g. 5.00\"><label for=\"couponCurrency\">Currency of the amount"
	    "</label><input id=\"couponCurrency\" name=\"currency\" maxlength=\"3\" value=\"",
	    g_token);
	sb_esc(&b, default_currency());
	sb_printf(&b, "\"><button type=\"submit\" class=\"primary\" id=\"createCoupon\">"
	    "Create coupon</button></form></section><section class=\"card\">"
	    "<h2>New promotion code</h2>");
	if (ncoupons == 0) {
		sb_printf(&b, "<p class=\"muted\">Create a coupon first.</p></section>");
		finish(rs, status, &b);
		return;
	}
	sb_printf(&b, "<form method=\"post\" action=\"/admin/promotion_codes\" id=\"promoForm\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	    "<label for=\"promoCoupon\">Coupon</label><select id=\"promoCoupon\" name=\"coupon\">",
	    g_token);
	for (o = emu_coll("coupon")->child; o != NULL; o = o->next) {
		sb_printf(&b, "<option value=\"");
		sb_esc(&b, emu_jgets(o, "id"));
		sb_printf(&b, "\">");
		sb_esc(&b, emu_jgets(o, "name") != NULL ? emu_jgets(o, "name") : emu_jgets(o, "id"));
		sb_printf(&b, "</option>");
	}
	sb_printf(&b, "</select><label for=\"promoCode\">Code (letters, digits, dashes)</label>"
	    "<input id=\"promoCode\" name=\"code\" required autocapitalize=\"characters\">"
	    "<label for=\"minimumAmount\">Minimum order amount (optional)</label>"
	    "<input id=\"minimumAmount\" name=\"minimum_amount\" inputmode=\"decimal\">"
	    "<label for=\"minimumCurrency\">Currency of the minimum</label>"
	    "<input id=\"minimumCurrency\" name=\"minimum_currency\" maxlength=\"3\" value=\"");
	sb_esc(&b, default_currency());
	sb_printf(&b, "\"><label for=\"maxRedemptions\">Maximum redemptions (optional)</label>"
	    "<input id=\"maxRedemptions\" name=\"max_redemptions\" inputmode=\"numeric\">"
	    "<label class=\"check\" for=\"firstTime\"><input type=\"checkbox\" id=\"firstTime\" "
	    "name=\"first_time\" value=\"on\">First order only</label>"
	    "<button type=\"submit\" class=\"primary\" id=\"createPromo\">Create promotion code"
	    "</button></form></section>");
	finish(rs, status, &b);
}

/* GET /admin/products/<id>: the edit form, its prices with their buttons, a new price. */
static void
page_product(struct emu_resp *rs, int status, const cJSON *prod, const char *done,
    const char *err)
{
	struct sbuf b = {0};
	const char *id = emu_jgets(prod, "id"), *dp = emu_jgets(prod, "default_price");
	const cJSON *imgs = cJSON_GetArrayItem(emu_jget(prod, "images"), 0), *pr;
	const cJSON *dprice = emu_find("price", dp);
	char m[64];

	head(&b, emu_jgets(prod, "name"), done, err);
	sb_printf(&b, "<p><a href=\"/admin\" id=\"back\">&larr; All products</a></p><h1>");
	sb_esc(&b, emu_jgets(prod, "name"));
	sb_printf(&b, "</h1><section class=\"card\"><form method=\"post\" id=\"productForm\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><input type=\"hidden\" "
	    "name=\"action\" value=\"save\"><label for=\"name\">Name</label><input id=\"name\" "
	    "name=\"name\" required value=\"", g_token);
	sb_esc(&b, emu_jgets(prod, "name"));
	sb_printf(&b, "\"><label for=\"description\">Description</label><textarea "
	    "id=\"description\" name=\"description\" rows=\"3\">");
	sb_esc(&b, emu_jgets(prod, "description"));
	sb_printf(&b, "</textarea><label for=\"image\">Image URL</label><input id=\"image\" "
	    "name=\"image\" type=\"url\" placeholder=\"https://…\" value=\"");
	sb_esc(&b, cJSON_IsString(imgs) ? imgs->valuestring : NULL);
	sb_printf(&b, "\"><label class=\"check\" for=\"active\"><input type=\"checkbox\" "
	    "id=\"active\" name=\"active\" value=\"on\"%s>Active (for sale)</label>"
	    "<button type=\"submit\" class=\"primary\" id=\"save\">Save product</button>"
	    "</form></section><section id=\"prices\"><h2>Prices</h2>",
	    emu_jtrue(prod, "active") ? " checked" : "");
	cJSON_ArrayForEach(pr, emu_coll("price")) {
		const char *pid = emu_jgets(pr, "id");
		int is_default = dp != NULL && strcmp(dp, pid) == 0;

		if (strcmp(emu_jgets(pr, "product"), id) != 0)
			continue;
		price_text(m, sizeof(m), pr);
		sb_printf(&b, "<div class=\"item price\" data-id=\"%s\"><div>%s%s%s", pid, m,
		    is_default ? "<span class=\"pill on\">Default</span>" : "",
		    emu_jtrue(pr, "active") ? "" : "<span class=\"pill\">Inactive</span>");
		if (emu_jtrue(pr, "active") && !is_default)
			sb_printf(&b, "<br><form method=\"post\" class=\"inline\"><input "
			    "type=\"hidden\" name=\"csrf\" value=\"%s\"><input type=\"hidden\" "
			    "name=\"price\" value=\"%s\"><button type=\"submit\" name=\"action\" "
			    "value=\"default\">Make default</button><button type=\"submit\" "
			    "name=\"action\" value=\"deactivate\">Deactivate</button></form>",
			    g_token, pid);
		sb_printf(&b, "</div></div>");
	}
	sb_printf(&b, "</section><section class=\"card\"><h2>Add a price</h2>"
	    "<form method=\"post\" id=\"priceForm\"><input type=\"hidden\" name=\"csrf\" "
	    "value=\"%s\"><input type=\"hidden\" name=\"action\" value=\"add_price\">"
	    "<label for=\"amount\">Amount (e.g. 12.50)</label><input id=\"amount\" "
	    "name=\"amount\" inputmode=\"decimal\" required><label for=\"currency\">Currency"
	    "</label><input id=\"currency\" name=\"currency\" maxlength=\"3\" required value=\"",
	    g_token);
	sb_esc(&b, dprice != NULL ? emu_jgets(dprice, "currency") : default_currency());
	sb_printf(&b, "\"><label class=\"check\" for=\"makeDefault\"><input type=\"checkbox\" "
	    "id=\"makeDefault\" name=\"default\" value=\"on\" checked>Make it the default "
	    "price</label><button type=\"submit\" class=\"primary\" id=\"addPrice\">Add price"
	    "</button></form></section>");
	finish(rs, status, &b);
}

/* action=save: name, description, image URL and active through POST /v1/products/:id. */
static int
product_save(struct emu_req *rq, const cJSON *prod, char *err, size_t n)
{
	const cJSON *p = rq->params, *img0 = cJSON_GetArrayItem(emu_jget(prod, "images"), 0);
	const char *name = field(p, "name"), *img = field(p, "image");
	cJSON *up = cJSON_CreateObject();

	if (*name == '\0') {
		snprintf(err, n, "The product needs a name.");
		cJSON_Delete(up);
		return -1;
	}
	if (*img != '\0' && (authority(img) == NULL || strlen(img) > 2048 ||
	    strpbrk(img, " \t\"<>") != NULL)) {
		snprintf(err, n, "The image URL must be an http:// or https:// address.");
		cJSON_Delete(up);
		return -1;
	}
	cJSON_AddStringToObject(up, "name", name);
	cJSON_AddStringToObject(up, "description", field(p, "description"));
	cJSON_AddStringToObject(up, "active", *field(p, "active") ? "true" : "false");
	/* only a changed image is sent: the product may have more images than this page shows */
	if (strcmp(img, cJSON_IsString(img0) ? img0->valuestring : "") != 0) {
		if (*img != '\0')
			cJSON_AddStringToObject(cJSON_AddObjectToObject(up, "images"), "0", img);
		else
			cJSON_AddStringToObject(up, "images", "");
	}
	return api_call(rq, api_products_update, emu_jgets(prod, "id"), up, err, n, NULL) < 400 ?
	    0 : -1;
}

/* action=add_price: POST /v1/prices, then (when asked) the product's default_price. */
static int
price_add(struct emu_req *rq, const cJSON *prod, char *err, size_t n)
{
	const char *cur = field(rq->params, "currency");
	int64_t amount;
	char buf[32];
	cJSON *p = cJSON_CreateObject(), *price = NULL, *up;
	int rc;

	if (parse_major(field(rq->params, "amount"), cur, &amount) != 0) {
		snprintf(err, n, "The amount must be a number such as 12 or 12.50%s.",
		    emu_zero_decimal(cur) ? " (whole units in this currency)" : "");
		cJSON_Delete(p);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%lld", (long long)amount);
	cJSON_AddStringToObject(p, "product", emu_jgets(prod, "id"));
	cJSON_AddStringToObject(p, "currency", cur);
	cJSON_AddStringToObject(p, "unit_amount", buf);
	if (api_call(rq, api_prices_create, NULL, p, err, n, &price) >= 400)
		return -1;
	rc = 0;
	if (*field(rq->params, "default")) {
		up = cJSON_CreateObject();
		cJSON_AddStringToObject(up, "default_price", emu_jgets(price, "id"));
		rc = api_call(rq, api_products_update, emu_jgets(prod, "id"), up, err, n, NULL) <
		    400 ? 0 : -1;
	}
	cJSON_Delete(price);
	return rc;
}

/* action=default: the chosen price becomes the product's default_price. */
static int
price_default(struct emu_req *rq, const cJSON *prod, char *err, size_t n)
{
	cJSON *up = cJSON_CreateObject();

	cJSON_AddStringToObject(up, "default_price", field(rq->params, "price"));
	return api_call(rq, api_products_update, emu_jgets(prod, "id"), up, err, n, NULL) < 400 ?
	    0 : -1;
}

/* action=deactivate: active=false on one of this product's prices, not the default one
 * (as in the Dashboard: the product would be left without a price to sell at). */
static int
price_deactivate(struct emu_req *rq, const cJSON *prod, char *err, size_t n)
{
	const char *pid = field(rq->params, "price"), *dp = emu_jgets(prod, "default_price");
	const cJSON *pr = emu_find("price", pid);
	cJSON *up;

	if (pr == NULL || strcmp(emu_jgets(pr, "product"), emu_jgets(prod, "id")) != 0) {
		snprintf(err, n, "That price does not belong to this product.");
		return -1;
	}
	if (dp != NULL && strcmp(dp, pid) == 0) {
		snprintf(err, n, "This is the default price: make another price the default "
		    "first.");
		return -1;
	}
	up = cJSON_CreateObject();
	cJSON_AddStringToObject(up, "active", "false");
	return api_call(rq, api_prices_update, pid, up, err, n, NULL) < 400 ? 0 : -1;
}

/* POST /admin/coupons: percent_off, or amount_off (major units) with its currency. */
static int
coupon_create(struct emu_req *rq, char *err, size_t n)
{
	const cJSON *p = rq->params;
	const char *amt = field(p, "amount_off"), *cur = field(p, "currency");
	cJSON *c = cJSON_CreateObject();
	int64_t minor;
	char buf[32];

	if (*field(p, "name"))
		cJSON_AddStringToObject(c, "name", field(p, "name"));
	if (*field(p, "percent_off"))
		cJSON_AddStringToObject(c, "percent_off", field(p, "percent_off"));
	if (*amt != '\0') {
		if (parse_major(amt, cur, &minor) != 0) {
			snprintf(err, n, "The amount off must be a number such as 5 or 5.00.");
			cJSON_Delete(c);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%lld", (long long)minor);
		cJSON_AddStringToObject(c, "amount_off", buf);
		cJSON_AddStringToObject(c, "currency", cur);
	}
	return api_call(rq, api_coupons_create, NULL, c, err, n, NULL) < 400 ? 0 : -1;
}

/* POST /admin/promotion_codes: code for a coupon, with optional restrictions. */
static int
promo_create(struct emu_req *rq, char *err, size_t n)
{
	const cJSON *p = rq->params;
	const char *min = field(p, "minimum_amount"), *cur = field(p, "minimum_currency");
	cJSON *pc = cJSON_CreateObject(), *promo = cJSON_AddObjectToObject(pc, "promotion");
	cJSON *r = cJSON_AddObjectToObject(pc, "restrictions");
	int64_t minor;
	char buf[32];

	cJSON_AddStringToObject(promo, "type", "coupon");
	cJSON_AddStringToObject(promo, "coupon", field(p, "coupon"));
	cJSON_AddStringToObject(pc, "code", field(p, "code"));
	if (*field(p, "max_redemptions"))
		cJSON_AddStringToObject(pc, "max_redemptions", field(p, "max_redemptions"));
	cJSON_AddStringToObject(r, "first_time_transaction", *field(p, "first_time") ? "true" :
	    "false");
	if (*min != '\0') {
		if (parse_major(min, cur, &minor) != 0) {
			snprintf(err, n, "The minimum amount must be a number such as 500 or 49.90.");
			cJSON_Delete(pc);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%lld", (long long)minor);
		cJSON_AddStringToObject(r, "minimum_amount", buf);
		cJSON_AddStringToObject(r, "minimum_amount_currency", cur);
	}
	if (*field(p, "code") == '\0') {
		snprintf(err, n, "The promotion code needs a code for shoppers to type.");
		cJSON_Delete(pc);
		return -1;
	}
	return api_call(rq, api_promos_create, NULL, pc, err, n, NULL) < 400 ? 0 : -1;
}

/* POST /admin/products/<id>: one of the product page's forms. */
static void
post_product(struct emu_req *rq, struct emu_resp *rs, cJSON *prod)
{
	const char *action = field(rq->params, "action"), *done;
	char err[1024] = "", path[300];
	int rc;

	if (strcmp(action, "save") == 0) {
		rc = product_save(rq, prod, err, sizeof(err));
		done = "saved";
	} else if (strcmp(action, "add_price") == 0) {
		rc = price_add(rq, prod, err, sizeof(err));
		done = "price";
	} else if (strcmp(action, "default") == 0) {
		rc = price_default(rq, prod, err, sizeof(err));
		done = "default";
	} else if (strcmp(action, "deactivate") == 0) {
		rc = price_deactivate(rq, prod, err, sizeof(err));
		done = "deactivated";
	} else {
		snprintf(err, sizeof(err), "Unknown action.");
		rc = -1;
		done = NULL;
	}
	if (rc != 0) {
		page_product(rs, 400, prod, NULL, err);
		return;
	}
	snprintf(path, sizeof(path), "/admin/products/%s", emu_jgets(prod, "id"));
	redirect(rs, path, done);
}

/* Entry point for /admin and /admin/…, from a loopback caller. */
void
admin_handle(struct emu_req *rq, struct emu_resp *rs, const char *host, const char *origin,
    const char *referer)
{
	const char *path = rq->path, *done = emu_p_str(rq->params, "done");
	int post = strcmp(rq->method, "POST") == 0;
	char err[1024] = "";
	cJSON *prod = NULL;

	if (g_token[0] == '\0') {
		unsigned char raw[32];

		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(g_token, sizeof(g_token), raw, sizeof(raw));
	}
	if (!host_ok(host)) {
		emu_resp_html(rs, 421, strdup("<!doctype html><p>Open the admin page as "
		    "http://127.0.0.1:PORT/admin or http://localhost:PORT/admin.</p>"));
		return;
	}
	if (!post && strcmp(rq->method, "GET") != 0) {
		emu_resp_html(rs, 405, strdup("<!doctype html><p>Method not allowed.</p>"));
		return;
	}
	if (post && !post_ok(rq, host, origin, referer)) {
		emu_resp_html(rs, 403, strdup("<!doctype html><p>This form did not come from the "
		    "admin page (missing or stale token, or another site's Origin). Reload the "
		    "page and try again.</p>"));
		return;
	}
	if (strncmp(path, "/admin/products/", 16) == 0 &&
	    (prod = emu_find("product", path + 16)) == NULL) {
		emu_resp_html(rs, 404, strdup("<!doctype html><p>No such product. <a "
		    "href=\"/admin\">All products</a></p>"));
		return;
	}
	if (strcmp(path, "/admin") == 0 || strcmp(path, "/admin/") == 0) {
		if (post)
			emu_resp_html(rs, 405, strdup("<!doctype html><p>Method not allowed.</p>"));
		else
			page_index_admin(rs, 200, done, NULL);
	} else if (prod != NULL && !post)
		page_product(rs, 200, prod, done, NULL);
	else if (prod != NULL) {
		if (fields_ok(rq->params, f_product))
			post_product(rq, rs, prod);
		else
			page_product(rs, 400, prod, NULL, "Unexpected form fields.");
	}
	else if (strcmp(path, "/admin/coupons") == 0 && post) {
		if (!fields_ok(rq->params, f_coupon))
			snprintf(err, sizeof(err), "Unexpected form fields.");
		if (*err != '\0' || coupon_create(rq, err, sizeof(err)) != 0)
			page_index_admin(rs, 400, NULL, err);
		else
			redirect(rs, "/admin", "coupon");
	} else if (strcmp(path, "/admin/promotion_codes") == 0 && post) {
		if (!fields_ok(rq->params, f_promo))
			snprintf(err, sizeof(err), "Unexpected form fields.");
		if (*err != '\0' || promo_create(rq, err, sizeof(err)) != 0)
			page_index_admin(rs, 400, NULL, err);
		else
			redirect(rs, "/admin", "promo");
	} else
		emu_resp_html(rs, 404, strdup("<!doctype html><p>Not found. <a href=\"/admin\">"
		    "Admin page</a></p>"));
}
