/*
 * page.c: the hosted payment page at /c/pay/<session id>: a plain HTML form (no script)
 * with the standard autocomplete fields, Stripe's test-card outcomes, a 3-D Secure
 * challenge step, a delayed bank debit (Stripe's ACH test account numbers), promotion codes
 * when the session allows them, and the 303 back to success_url once paid. Card and account
 * numbers are checked and dropped, never stored or logged. Also the HTML helpers (sbuf,
 * escaping, page head) that the admin page shares.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"

/* Field values typed by the payer, echoed back when the form is shown again. */
struct entered {
	const char *email, *name, *method;
};

/* What the payer is told when a payment cannot go ahead: Stripe's message, and its code
 * (the decline code for declines) in the error box's data-code attribute. */
struct refusal {
	const char *code, *message;
};

enum outcome { CARD_OK, CARD_3DS, CARD_DECLINE };

static const struct test_card {
	const char *number;
	enum outcome outcome;
	struct refusal why;
} g_cards[] = {
	{"4242424242424242", CARD_OK, {NULL, NULL}},
	{"4000056655665556", CARD_OK, {NULL, NULL}},
	{"5555555555554444", CARD_OK, {NULL, NULL}},
	{"2223003122003222", CARD_OK, {NULL, NULL}},
	{"5200828282828210", CARD_OK, {NULL, NULL}},
	{"5105105105105100", CARD_OK, {NULL, NULL}},
	{"378282246310005", CARD_OK, {NULL, NULL}},
	{"371449635398431", CARD_OK, {NULL, NULL}},
	{"6011111111111117", CARD_OK, {NULL, NULL}},
	{"3056930009020004", CARD_OK, {NULL, NULL}},
	{"3566002020360505", CARD_OK, {NULL, NULL}},
	{"6200000000000005", CARD_OK, {NULL, NULL}},
	{"4000002500003155", CARD_3DS, {NULL, NULL}},
	{"4000002760003184", CARD_3DS, {NULL, NULL}},
	{"4000000000003220", CARD_3DS, {NULL, NULL}},
	{"4000000000000002", CARD_DECLINE, {"generic_decline", "Your card was declined."}},
	{"4000000000009995", CARD_DECLINE, {"insufficient_funds",
	    "Your card has insufficient funds."}},
	{"4000000000009987", CARD_DECLINE, {"lost_card", "Your card was declined."}},
	{"4000000000009979", CARD_DECLINE, {"stolen_card", "Your card was declined."}},
	{"4000000000000069", CARD_DECLINE, {"expired_card", "Your card has expired."}},
	{"4000000000000127", CARD_DECLINE, {"incorrect_cvc",
	    "Your card's security code is incorrect."}},
	{"4000000000000119", CARD_DECLINE, {"processing_error", "An error occurred while "
	    "processing your card. Try again in a little bit."}},
	{NULL, CARD_OK, {NULL, NULL}}
};

/* Stripe's ACH Direct Debit test account numbers: settle as paid, or fail (no_account). */
static const struct test_account {
	const char *number;
	enum co_pay outcome;
} g_accounts[] = {
	{"000123456789", CO_PAY_BANK_OK},
	{"000111111116", CO_PAY_BANK_FAIL},
	{NULL, CO_PAY_CARD}
};

static const char g_style[] =
    "*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"
    "'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1a1f36;background:#f6f9fc}"
    "main{max-width:960px;margin:0 auto;padding:24px;display:flex;flex-wrap:wrap;gap:40px}"
    "section{flex:1 1 340px;min-width:0}h1{font-size:30px;margin:8px 0 20px}"
    "h2{font-size:15px;color:#697386;font-weight:500;margin:0}"
    "table{width:100%;border-collapse:collapse}td{padding:8px 0;vertical-align:top}"
    "td.amt{text-align:right;white-space:nowrap}tr.total td{font-weight:600;"
    "border-top:1px solid #e3e8ee}.muted{color:#697386;font-size:13px}"
    "label{display:block;font-size:13px;color:#3c4257;margin:14px 0 6px}"
    "input{width:100%;padding:10px 12px;font-size:16px;border:1px solid #d5dbe1;"
    "border-radius:6px;background:#fff}input:focus{outline:2px solid #635bff55;"
    "border-color:#635bff}.row{display:flex;gap:12px}.row>div{flex:1}"
    "button{cursor:pointer;border:0;border-radius:6px;font-size:16px;padding:12px 16px}"
    "#submit{width:100%;margin-top:22px;background:#635bff;color:#fff;font-weight:600}"
    ".promo{display:flex;gap:8px}.promo input{flex:1}.promo button{background:#e3e8ee}"
    ".error{background:#fde8e8;color:#a4161a;border-radius:6px;padding:10px 12px;"
    "margin:0 0 12px}a{color:#635bff}#cancel{text-decoration:none;font-size:14px}"
    ".card{background:#fff;border-radius:8px;padding:24px;box-shadow:0 2px 8px #0000000f}"
    "fieldset{border:0;padding:0;margin:14px 0 0}legend{font-size:13px;color:#3c4257}"
    "input[type=radio]{width:auto;margin:10px 6px 0 0}label.method{display:inline;"
    "font-size:15px;margin:0 16px 0 0}"
    "#methodCard:checked~#bankFields,#methodBank:checked~#cardFields{display:none}"
    "@media(max-width:600px){main{padding:14px;gap:20px}h1{font-size:24px}}";

static void render_form(struct emu_resp *rs, int status, const cJSON *s,
    const struct refusal *err, const struct entered *in);
static void render_refusal(struct emu_resp *rs, int status, const cJSON *s,
    const char *message, const struct entered *in);
static void render_methods(struct sbuf *b, const cJSON *s, const struct entered *in);
static void render_message(struct emu_resp *rs, int status, const char *title,
    const char *text, const char *link, const char *link_text);
static int method_allowed(const cJSON *s, const char *type);
static size_t digits_of(const char *s, char *out, size_t n);
static int luhn_ok(const char *digits);
static int expiry_ok(const char *s, struct refusal *why);
static int card_check(const cJSON *p, enum outcome *out, struct refusal *why);
static int account_check(const cJSON *p, enum co_pay *out, struct refusal *why);
static void render_3ds(struct emu_resp *rs, const cJSON *s);
static void apply_code(struct emu_resp *rs, cJSON *s, const cJSON *p, const struct entered *in);
static void pay(struct emu_resp *rs, cJSON *s, const cJSON *p, const struct entered *in);
static void pay_done(struct emu_resp *rs, cJSON *s);
static int discount_holds(const cJSON *s, char *err, size_t n);

/* Appends to b; on allocation failure b stays as it was and oom is set. */
void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = (b->cap + (size_t)n + 1) * 2;
			char *np = realloc(b->p, ncap);
			if (np == NULL) {
				b->oom = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

/* Appends s escaped for HTML text and attribute values. */
void
sb_esc(struct sbuf *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&': sb_printf(b, "&amp;"); break;
		case '<': sb_printf(b, "&lt;"); break;
		case '>': sb_printf(b, "&gt;"); break;
		case '"': sb_printf(b, "&quot;"); break;
		case '\'': sb_printf(b, "&#39;"); break;
		default: sb_printf(b, "%c", *s); break;
		}
	}
}

/* The finished page (caller frees), or a minimal one when memory ran out. */
char *
page_finish(struct sbuf *b)
{
	if (b->oom || b->p == NULL) {
		free(b->p);
		return strdup("<!doctype html><p>Out of memory</p>");
	}
	return b->p;
}

/* Doctype to <body>: title, viewport, the shared style plus extra_css (may be NULL). */
void
page_head(struct sbuf *b, const char *title, const char *extra_css)
{
	sb_printf(b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	    "<title>");
	sb_esc(b, title);
	sb_printf(b, "</title><style>%s%s</style></head><body>", g_style,
	    extra_css != NULL ? extra_css : "");
}

static void
render_message(struct emu_resp *rs, int status, const char *title, const char *text,
    const char *link, const char *link_text)
{
	struct sbuf b = {0};

	page_head(&b, title, NULL);
	sb_printf(&b, "<main><section class=\"card\"><h1>");
	sb_esc(&b, title);
	sb_printf(&b, "</h1><p id=\"message\">");
	sb_esc(&b, text);
	sb_printf(&b, "</p>");
	if (link != NULL) {
		sb_printf(&b, "<p><a id=\"return\" href=\"");
		sb_esc(&b, link);
		sb_printf(&b, "\">");
		sb_esc(&b, link_text);
		sb_printf(&b, "</a></p>");
	}
	sb_printf(&b, "</section></main></body></html>");
	emu_resp_html(rs, status, page_finish(&b));
}

/* Which payment methods the session offers: its payment_method_types. */
static int
method_allowed(const cJSON *s, const char *type)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, emu_jget(s, "payment_method_types"))
		if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
			return 1;
	return 0;
}

/*
 * The payment method part of the form. With both card and bank debit, two radios (card
 * checked unless the payer chose bank) and CSS that shows only the chosen method's fields;
 * those fields are then not `required`, since a hidden required field blocks the submit.
 */
static void
render_methods(struct sbuf *b, const cJSON *s, const struct entered *in)
{
	int card = method_allowed(s, "card"), bank = method_allowed(s, "us_bank_account");
	int both = card && bank, chose_bank = bank && (!card || (in->method != NULL &&
	    strcmp(in->method, "bank") == 0));
	const char *req = both ? "" : " required";

	if (!card && !bank)
		card = 1;
	if (both)
		sb_printf(b, "<fieldset><legend>Payment method</legend>"
		    "<input type=\"radio\" name=\"method\" value=\"card\" id=\"methodCard\"%s>"
		    "<label for=\"methodCard\" class=\"method\">Card</label>"
		    "<input type=\"radio\" name=\"method\" value=\"bank\" id=\"methodBank\"%s>"
		    "<label for=\"methodBank\" class=\"method\">Bank transfer (confirms later)"
		    "</label>", chose_bank ? "" : " checked", chose_bank ? " checked" : "");
	else
		sb_printf(b, "<input type=\"hidden\" name=\"method\" value=\"%s\">",
		    card ? "card" : "bank");
	if (card)
		sb_printf(b, "<div id=\"cardFields\"><label for=\"cardNumber\">Card number</label>"
		    "<input id=\"cardNumber\" name=\"cardNumber\" autocomplete=\"cc-number\" "
		    "inputmode=\"numeric\" placeholder=\"1234 1234 1234 1234\"%s>"
		    "<div class=\"row\"><div><label for=\"cardExpiry\">Expiration (MM / YY)</label>"
		    "<input id=\"cardExpiry\" name=\"cardExpiry\" autocomplete=\"cc-exp\" "
		    "placeholder=\"MM / YY\"%s></div><div><label for=\"cardCvc\">CVC</label>"
		    "<input id=\"cardCvc\" name=\"cardCvc\" autocomplete=\"cc-csc\" "
		    "inputmode=\"numeric\" placeholder=\"CVC\"%s></div></div>"
		    "<p class=\"muted\">Test mode: use card 4242 4242 4242 4242, any future date, "
		    "any CVC.</p></div>", req, req, req);
	if (bank)
		sb_printf(b, "<div id=\"bankFields\"><label for=\"bankAccount\">Account number"
		    "</label><input id=\"bankAccount\" name=\"bankAccount\" inputmode=\"numeric\" "
		    "autocomplete=\"off\" placeholder=\"000123456789\"%s><p class=\"muted\">"
		    "Test mode: account 000123456789 is paid, 000111111116 fails; either takes "
		    "%d seconds on the emulator's clock.</p></div>", req, CO_SETTLE_DELAY);
	if (both)
		sb_printf(b, "</fieldset>");
}

/* The payment page for an open session, with err (may be NULL) above the form. */
static void
render_form(struct emu_resp *rs, int status, const cJSON *s, const struct refusal *err,
    const struct entered *in)
{
	struct sbuf b = {0};
	const char *cur = emu_jgets(s, "currency"), *id = emu_jgets(s, "id");
	const char *email = in->email;
	const cJSON *it, *d0 = cJSON_GetArrayItem(emu_jget(s, "discounts"), 0);
	int64_t total = emu_jgeti(s, "amount_total", 0);
	int64_t disc = emu_jgeti(emu_jget(s, "total_details"), "amount_discount", 0);
	char m[64];

	if (email == NULL)
		email = emu_jgets(s, "customer_email");
	if (email == NULL && emu_jgets(s, "customer") != NULL)
		email = emu_jgets(emu_find("customer", emu_jgets(s, "customer")), "email");
	page_head(&b, "Checkout", NULL);
	sb_printf(&b, "<main><section>");
	if (emu_jgets(s, "cancel_url") != NULL) {
		sb_printf(&b, "<a id=\"cancel\" href=\"");
		sb_esc(&b, emu_jgets(s, "cancel_url"));
		sb_printf(&b, "\">&larr; Back</a>");
	}
	emu_money(m, sizeof(m), total, cur);
	sb_printf(&b, "<h2>Pay</h2><h1 id=\"total-heading\">%s</h1>"
	    "<table id=\"line-items\"><tbody>", m);
	cJSON_ArrayForEach(it, emu_jget(s, "_line_items")) {
		const cJSON *price = emu_jget(it, "price");
		char unit[64];

		emu_money(m, sizeof(m), emu_jgeti(it, "amount_subtotal", 0), cur);
		emu_money(unit, sizeof(unit), emu_jgeti(price, "unit_amount", 0), cur);
		sb_printf(&b, "<tr class=\"line-item\"><td><span class=\"name\">");
		sb_esc(&b, emu_jgets(it, "description"));
		sb_printf(&b, "</span><br><span class=\"muted\">Qty %lld &times; %s</span></td>"
		    "<td class=\"amt\">%s</td></tr>", (long long)emu_jgeti(it, "quantity", 0), unit, m);
	}
	emu_money(m, sizeof(m), emu_jgeti(s, "amount_subtotal", 0), cur);
	sb_printf(&b, "<tr><td>Subtotal</td><td class=\"amt\" id=\"subtotal\">%s</td></tr>", m);
	if (d0 != NULL) {
		const cJSON *promo = emu_find("promotion_code", emu_jgets(d0, "promotion_code"));
		const cJSON *coupon = emu_find("coupon", emu_jgets(d0, "coupon"));

		emu_money(m, sizeof(m), -disc, cur);
		sb_printf(&b, "<tr><td>Discount <span class=\"muted\">");
		sb_esc(&b, promo != NULL ? emu_jgets(promo, "code") : emu_jgets(coupon, "name") ?
		    emu_jgets(coupon, "name") : emu_jgets(coupon, "id"));
		sb_printf(&b, "</span>");
		if (promo != NULL && emu_jtrue(s, "allow_promotion_codes"))
			sb_printf(&b, " <form method=\"post\" style=\"display:inline\">"
			    "<input type=\"hidden\" name=\"action\" value=\"remove_promo\">"
			    "<button type=\"submit\" id=\"removePromotionCode\" class=\"muted\" "
			    "style=\"padding:0 4px;background:none;text-decoration:underline\">Remove"
			    "</button></form>");
		sb_printf(&b, "</td><td class=\"amt\" id=\"discount\">%s</td></tr>", m);
	}
	emu_money(m, sizeof(m), total, cur);
	sb_printf(&b, "<tr class=\"total\"><td>Total due</td><td class=\"amt\" id=\"total\">%s"
	    "</td></tr></tbody></table>", m);
	if (emu_jtrue(s, "allow_promotion_codes") && d0 == NULL)
		sb_printf(&b, "<form method=\"post\" action=\"/c/pay/%s\">"
		    "<input type=\"hidden\" name=\"action\" value=\"apply\">"
		    "<label for=\"promotionCode\">Promotion code</label><div class=\"promo\">"
		    "<input id=\"promotionCode\" name=\"promotionCode\" autocomplete=\"off\" "
		    "autocapitalize=\"characters\" placeholder=\"Add promotion code\">"
		    "<button type=\"submit\" id=\"applyPromotionCode\">Apply</button></div></form>",
		    id);
	sb_printf(&b, "</section><section class=\"card\">");
	if (err != NULL && err->message != NULL) {
		sb_printf(&b, "<div class=\"error\" id=\"error\" role=\"alert\" data-code=\"");
		sb_esc(&b, err->code);
		sb_printf(&b, "\">");
		sb_esc(&b, err->message);
		sb_printf(&b, "</div>");
	}
	sb_printf(&b, "<form method=\"post\" action=\"/c/pay/%s\" id=\"payment-form\">"
	    "<input type=\"hidden\" name=\"action\" value=\"pay\">"
	    "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" "
	    "autocomplete=\"email\" required value=\"", id);
	sb_esc(&b, email);
	sb_printf(&b, "\">");
	if (total > 0)
		render_methods(&b, s, in);
	else
		sb_printf(&b, "<p class=\"muted\" id=\"no-payment\">No payment is required for "
		    "this order.</p>");
	sb_printf(&b, "<label for=\"billingName\">%s</label><input id=\"billingName\" "
	    "name=\"billingName\" autocomplete=\"%s\" required value=\"", total == 0 ?
	    "Full name" : method_allowed(s, "us_bank_account") ? "Name (as on the card or "
	    "account)" : "Name on card", total > 0 ? "cc-name" : "name");
	sb_esc(&b, in->name);
	if (total > 0)
		sb_printf(&b, "\"><button type=\"submit\" id=\"submit\">Pay %s</button>", m);
	else
		sb_printf(&b, "\"><button type=\"submit\" id=\"submit\">Complete order</button>");
	sb_printf(&b, "</form></section></main></body></html>");
	emu_resp_html(rs, status, page_finish(&b));
}

/* The form again with a plain message (no Stripe code) above it. */
static void
render_refusal(struct emu_resp *rs, int status, const cJSON *s, const char *message,
    const struct entered *in)
{
	struct refusal r = {NULL, message};

	render_form(rs, status, s, &r, in);
}

static void
render_3ds(struct emu_resp *rs, const cJSON *s)
{
	struct sbuf b = {0};
	const char *id = emu_jgets(s, "id");
	char m[64];

	emu_money(m, sizeof(m), emu_jgeti(s, "amount_total", 0), emu_jgets(s, "currency"));
	page_head(&b, "3D Secure authentication", NULL);
	sb_printf(&b, "<main><section class=\"card\"><h1>3D Secure 2 test page</h1>"
	    "<p id=\"message\">Complete or fail the authentication of a %s payment.</p>"
	    "<form method=\"post\" action=\"/c/pay/%s\"><input type=\"hidden\" name=\"action\" "
	    "value=\"3ds_complete\"><button type=\"submit\" id=\"complete\" "
	    "style=\"background:#635bff;color:#fff;width:100%%\">Complete</button></form>"
	    "<form method=\"post\" action=\"/c/pay/%s\" style=\"margin-top:12px\">"
	    "<input type=\"hidden\" name=\"action\" value=\"3ds_fail\"><button type=\"submit\" "
	    "id=\"fail\" style=\"background:#e3e8ee;width:100%%\">Fail</button></form>"
	    "</section></main></body></html>", m, id, id);
	emu_resp_html(rs, 200, page_finish(&b));
}

/* The digits of s into out (at most n - 1); spaces and dashes are skipped. Returns how
 * many, or n when s holds anything else or too many digits. */
static size_t
digits_of(const char *s, char *out, size_t n)
{
	size_t k = 0;

	out[0] = '\0';
	for (; s != NULL && *s; s++) {
		if (*s == ' ' || *s == '-')
			continue;
		if (!isdigit((unsigned char)*s) || k == n - 1)
			return n;
		out[k++] = *s;
		out[k] = '\0';
	}
	return k;
}

static int
luhn_ok(const char *d)
{
	int sum = 0, dbl = 0;

	for (size_t i = strlen(d); i-- > 0; dbl = !dbl) {
		int v = d[i] - '0';
		if (dbl && (v *= 2) > 9)
			v -= 9;
		sum += v;
	}
	return sum % 10 == 0;
}

/* "MM / YY", "MM/YY", "MM/YYYY" or "MMYY"; this month or later on the emulator's clock. */
static int
expiry_ok(const char *s, struct refusal *why)
{
	char d[8];
	size_t n = 0;
	int mm, yy;
	time_t now = (time_t)emu_now();
	struct tm tm;

	for (; *s && n < sizeof(d) - 1; s++)
		if (isdigit((unsigned char)*s))
			d[n++] = *s;
		else if (*s != ' ' && *s != '/')
			n = sizeof(d);     /* invalid character */
	if (n != 4 && n != 6) {
		*why = (struct refusal){"incomplete_expiry", "Your card's expiration date is "
		    "incomplete."};
		return 0;
	}
	d[n] = '\0';
	mm = (d[0] - '0') * 10 + (d[1] - '0');
	yy = atoi(d + 2);
	if (n == 6)
		yy -= 2000;
	gmtime_r(&now, &tm);
	if (mm < 1 || mm > 12 || yy < 0 || yy > 99) {
		*why = (struct refusal){"invalid_expiry_month", "Your card's expiration date is "
		    "invalid."};
		return 0;
	}
	if (yy < tm.tm_year - 100) {
		*why = (struct refusal){"invalid_expiry_year_past", "Your card's expiration year "
		    "is in the past."};
		return 0;
	}
	if (yy == tm.tm_year - 100 && mm < tm.tm_mon + 1) {
		*why = (struct refusal){"invalid_expiry_month_past", "Your card's expiration date "
		    "is in the past."};
		return 0;
	}
	return 1;
}

/*
 * Checks the card fields as Stripe does before it charges (number complete and passing
 * Luhn, expiry not past, CVC), then the test card's outcome. Returns 0 with *out set, or
 * -1 with *why the refusal to show.
 */
static int
card_check(const cJSON *p, enum outcome *out, struct refusal *why)
{
	const char *exp = emu_p_str(p, "cardExpiry"), *cvc = emu_p_str(p, "cardCvc");
	char digits[24];
	size_t n = digits_of(emu_p_str(p, "cardNumber"), digits, sizeof(digits)), cl;

	if (n == sizeof(digits)) {
		*why = (struct refusal){"invalid_number", "Your card number is invalid."};
		return -1;
	}
	if (n < 12) {
		*why = (struct refusal){"incomplete_number", "Your card number is incomplete."};
		return -1;
	}
	if (!luhn_ok(digits)) {
		*why = (struct refusal){"incorrect_number", "Your card number is incorrect."};
		return -1;
	}
	if (!expiry_ok(exp != NULL ? exp : "", why))
		return -1;
	cl = cvc != NULL ? strlen(cvc) : 0;
	if (cl < 3 || cl > 4 || strspn(cvc, "0123456789") != cl) {
		*why = (struct refusal){"incomplete_cvc", "Your card's security code is "
		    "incomplete."};
		return -1;
	}
	for (const struct test_card *c = g_cards; c->number != NULL; c++)
		if (strcmp(c->number, digits) == 0) {
			*out = c->outcome;
			*why = c->why;
			return c->outcome == CARD_DECLINE ? -1 : 0;
		}
	*why = (struct refusal){"card_declined", "Your card was declined. Your request was in "
	    "test mode, but used a non test card. For a list of valid test cards, visit: "
	    "https://stripe.com/docs/testing."};
	return -1;
}

/* Checks the bank account number: one of Stripe's test accounts, which says how the
 * debit will end. Returns 0 with *out set, or -1 with *why. */
static int
account_check(const cJSON *p, enum co_pay *out, struct refusal *why)
{
	char digits[24];
	size_t n = digits_of(emu_p_str(p, "bankAccount"), digits, sizeof(digits));

	if (n == 0) {
		*why = (struct refusal){"incomplete_account_number", "Your account number is "
		    "incomplete."};
		return -1;
	}
	for (const struct test_account *a = g_accounts; a->number != NULL; a++)
		if (strcmp(a->number, digits) == 0) {
			*out = a->outcome;
			return 0;
		}
	*why = (struct refusal){"account_number_invalid", "Your account number is invalid. In "
	    "test mode use 000123456789 (succeeds) or 000111111116 (fails)."};
	return -1;
}

/* After payment: 303 to success_url with {CHECKOUT_SESSION_ID} filled in. */
static void
pay_done(struct emu_resp *rs, cJSON *s)
{
	const char *u = emu_jgets(s, "success_url"), *id = emu_jgets(s, "id"), *t;
	static const char tag[] = "{CHECKOUT_SESSION_ID}";
	struct sbuf b = {0};

	if (u == NULL) {
		render_message(rs, 200, "Payment complete", "Thanks for your order.", NULL, NULL);
		return;
	}
	while ((t = strstr(u, tag)) != NULL) {
		sb_printf(&b, "%.*s%s", (int)(t - u), u, id);
		u = t + sizeof(tag) - 1;
	}
	sb_printf(&b, "%s", u);
	if (b.oom) {
		free(b.p);
		render_message(rs, 500, "Error", "Out of memory", NULL, NULL);
		return;
	}
	rs->location = b.p;
	render_message(rs, 303, "Payment complete", "Redirecting you back to the merchant.",
	    rs->location, "Continue");
}

static void
apply_code(struct emu_resp *rs, cJSON *s, const cJSON *p, const struct entered *in)
{
	const char *code = emu_p_str(p, "promotionCode");
	const cJSON *promo = NULL, *o, *coupon;
	char err[300];

	if (!emu_jtrue(s, "allow_promotion_codes")) {
		render_refusal(rs, 400, s, "Promotion codes are not accepted for this payment.", in);
		return;
	}
	while (code != NULL && *code == ' ')
		code++;
	cJSON_ArrayForEach(o, emu_coll("promotion_code"))
		if (emu_jtrue(o, "active") && emu_str_ieq(emu_jgets(o, "code"), code))
			promo = o;
	coupon = promo != NULL ? emu_find("coupon", emu_jgets(emu_jget(promo, "promotion"),
	    "coupon")) : NULL;
	if (coupon == NULL) {
		render_refusal(rs, 200, s, "This code is invalid.", in);
		return;
	}
	if (co_discount_check(coupon, promo, s, err, sizeof(err)) != 0) {
		render_refusal(rs, 200, s, err, in);
		return;
	}
	co_set_discount(s, coupon, promo);
	emu_dirty();
	render_form(rs, 200, s, NULL, in);
}

/* Can the session's discount still be redeemed? Other sessions may have used the code up
 * since it was applied; then paying is refused, as Stripe does, and err says why. */
static int
discount_holds(const cJSON *s, char *err, size_t n)
{
	const cJSON *d0 = cJSON_GetArrayItem(emu_jget(s, "discounts"), 0);
	const cJSON *coupon, *promo;

	if (d0 == NULL)
		return 1;
	coupon = emu_find("coupon", emu_jgets(d0, "coupon"));
	promo = emu_find("promotion_code", emu_jgets(d0, "promotion_code"));
	if (coupon == NULL) {
		snprintf(err, n, "This discount no longer exists.");
		return 0;
	}
	return co_discount_check(coupon, promo, s, err, n) == 0;
}

/* action=pay: a zero total completes at once; otherwise the chosen method is checked and
 * the session completes (card, bank debit) or goes to the 3-D Secure challenge. */
static void
pay(struct emu_resp *rs, cJSON *s, const cJSON *p, const struct entered *in)
{
	enum outcome out = CARD_DECLINE;
	enum co_pay how = CO_PAY_CARD;
	struct refusal why = {NULL, NULL};
	int bank = in->method != NULL && strcmp(in->method, "bank") == 0;
	char err[300];

	if (in->email == NULL || strchr(in->email, '@') == NULL || strlen(in->email) > 500) {
		render_refusal(rs, 400, s, "Your email address is invalid.", in);
		return;
	}
	if (in->name == NULL || *in->name == '\0') {
		render_refusal(rs, 400, s, "Your name is incomplete.", in);
		return;
	}
	if (!discount_holds(s, err, sizeof(err))) {
		render_refusal(rs, 409, s, err, in);
		return;
	}
	if (emu_jgeti(s, "amount_total", 0) == 0) {
		co_pay_complete(s, in->email, in->name, CO_PAY_CARD);
		pay_done(rs, s);
		return;
	}
	if (!method_allowed(s, bank ? "us_bank_account" : "card")) {
		render_refusal(rs, 400, s, "This payment method is not available for this "
		    "payment.", in);
		return;
	}
	if (bank ? account_check(p, &how, &why) != 0 : card_check(p, &out, &why) != 0) {
		render_form(rs, 402, s, &why, in);
		return;
	}
	if (!bank && out == CARD_3DS) {
		cJSON *pend = cJSON_CreateObject();

		cJSON_AddStringToObject(pend, "email", in->email);
		cJSON_AddStringToObject(pend, "name", in->name);
		emu_jset(s, "_pending_3ds", pend);
		emu_dirty();
		render_3ds(rs, s);
		return;
	}
	co_pay_complete(s, in->email, in->name, how);
	pay_done(rs, s);
}

/* GET or POST /c/pay/<id>. emu_mu is held. */
void
page_pay(struct emu_req *rq, struct emu_resp *rs, const char *rest)
{
	static const struct refusal auth_failed = {"payment_intent_authentication_failure",
	    "We are unable to authenticate your payment method. Please choose a different "
	    "payment method and try again."};
	cJSON *s = emu_find("checkout.session", rest), *pend;
	const char *action = emu_p_str(rq->params, "action"), *st;
	char err[300];
	struct entered in = { emu_p_str(rq->params, "email"), emu_p_str(rq->params,
	    "billingName"), emu_p_str(rq->params, "method") };
	int post = strcmp(rq->method, "POST") == 0;

	if (s == NULL) {
		render_message(rs, 404, "Page not found", "This checkout session does not exist.",
		    NULL, NULL);
		return;
	}
	st = emu_jgets(s, "status");
	if (strcmp(st, "complete") == 0) {
		int processing = strcmp(emu_jgets(s, "payment_status"), "unpaid") == 0;

		render_message(rs, post ? 409 : 200, processing ? "Payment processing" :
		    "Already paid", processing ? "This checkout session is complete; its bank "
		    "payment is being processed." : "This checkout session is complete; it has "
		    "already been paid.", emu_jgets(s, "success_url"), "Return to the merchant");
		return;
	}
	if (strcmp(st, "open") != 0) {
		render_message(rs, post ? 409 : 200, "Session expired", "This checkout session has "
		    "expired. Return to the merchant to start again.", emu_jgets(s, "cancel_url"),
		    "Return to the merchant");
		return;
	}
	if (!post || action == NULL) {
		render_form(rs, 200, s, NULL, &in);
		return;
	}
	if (strcmp(action, "apply") == 0)
		apply_code(rs, s, rq->params, &in);
	else if (strcmp(action, "remove_promo") == 0) {
		co_set_discount(s, NULL, NULL);
		emu_dirty();
		render_form(rs, 200, s, NULL, &in);
	} else if (strcmp(action, "3ds_complete") == 0 || strcmp(action, "3ds_fail") == 0) {
		pend = emu_jget(s, "_pending_3ds");
		if (pend == NULL) {
			render_refusal(rs, 400, s, "There is no authentication in progress.", &in);
			return;
		}
		in.email = emu_jgets(pend, "email");
		in.name = emu_jgets(pend, "name");
		if (strcmp(action, "3ds_complete") == 0 && !discount_holds(s, err, sizeof(err))) {
			render_refusal(rs, 409, s, err, &in);
			cJSON_DeleteItemFromObjectCaseSensitive(s, "_pending_3ds");
			emu_dirty();
			return;
		}
		if (strcmp(action, "3ds_complete") == 0) {
			co_pay_complete(s, in.email, in.name, CO_PAY_CARD);
			pay_done(rs, s);
			return;
		}
		render_form(rs, 402, s, &auth_failed, &in);
		cJSON_DeleteItemFromObjectCaseSensitive(s, "_pending_3ds");
		emu_dirty();
	} else
		pay(rs, s, rq->params, &in);
}

/* GET /: a short page saying what this server is. */
void
page_index(struct emu_resp *rs)
{
	struct sbuf b = {0};

	page_head(&b, "stripe-emu", NULL);
	sb_printf(&b, "<main><section class=\"card\"><h1>stripe-emu</h1><p>A local, stateful "
	    "Stripe emulator (API version %s). Point a Stripe SDK at this host with any "
	    "<code>sk_test_</code> key.</p><p><a href=\"/admin\">Admin page</a> (products, "
	    "prices, coupons, promotion codes; from this machine only).</p><p>Control endpoint, "
	    "with the same keys: <code>POST /_emu/reset</code>, <code>GET|POST /_emu/clock</code> "
	    "(<code>advance=SECONDS</code>), <code>GET|POST|DELETE /_emu/faults</code> "
	    "(<code>status=429|500|hang&amp;count=N&amp;path=/v1/…</code>).</p></section></main>"
	    "</body></html>", EMU_API_VERSION);
	emu_resp_html(rs, 200, page_finish(&b));
}
