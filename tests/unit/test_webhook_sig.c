/* test_webhook_sig.c — Stripe-Signature headers: webhook_sign against known HMACs, and
 * webhook_verify on good, stale, future, tampered and malformed headers. */
#include <stdio.h>
#include <string.h>

#include "unit.h"

#define SECRET	"whsec_test_0123456789abcdef"
#define T	((time_t)1700000000)

/* The body Stripe signed; the NUL and tail check that the length, not strlen, is signed. */
static const char body[] = "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\"}\0tail";
#define BODY_LEN (sizeof(body) - 1)

/* ---- webhook_sign ------------------------------------------------------------------------ */

/* want from: printf '%s' "<t>.<payload>" | openssl dgst -sha256 -hmac "<secret>" */
struct sign_row {
	const char	*secret;
	time_t		 t;
	const char	*payload;
	const char	*want;
};

static const struct sign_row sign_rows[] = {
	{ "whsec_test", 1700000000, "{}",
	    "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91" },
	{ "whsec_abc123", 1700000000, "{\"id\":\"evt_1\",\"object\":\"event\"}",
	    "fe36b9c56ee1a1189803b28313ef52ef7921f48d6a167d756f225d15bbff69e1" },
	{ "k", 0, "",
	    "6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7" },
};

static void
sign_is_hex_hmac_sha256_of_t_dot_payload(void **state)
{
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	size_t i;
	int bad = 0;

	for (i = 0; i < nitems(sign_rows); i++) {
		webhook_sign(sign_rows[i].secret, sign_rows[i].t, sign_rows[i].payload,
		    strlen(sign_rows[i].payload), hex);
		if (strcmp(hex, sign_rows[i].want) != 0)
			ROW_FAIL(bad, "webhook_sign(%s, %lld, %s) = %s, want %s",
			    quote(sign_rows[i].secret), (long long)sign_rows[i].t,
			    quote(sign_rows[i].payload), hex, sign_rows[i].want);
	}
	assert_int_equal(bad, 0);
}

/* ---- webhook_verify ---------------------------------------------------------------------- */

/*
 * A header template: "{t}" is T, "{t1}" is T + 1, "{sig}" the right v1 for T and the body,
 * "{bad}" a well-formed signature that is wrong. now is T + at.
 */
struct verify_row {
	const char	*behaviour;
	const char	*header;	/* NULL: no header */
	const char	*secret;	/* the secret verify is given */
	int		 tamper;	/* 1: flip the body's first byte, 2: a byte after the NUL */
	time_t		 at;
	enum shop_err	 want;
};

static const struct verify_row good_rows[] = {
	{ "a good header", "t={t},v1={sig}", SECRET, 0, 0, SHOP_OK },
	{ "v1 before t", "v1={sig},t={t}", SECRET, 0, 0, SHOP_OK },
	{ "several v1, the last matching", "t={t},v1={bad},v1={bad},v1={sig}", SECRET, 0, 0,
	    SHOP_OK },
	{ "several v1, the first matching", "t={t},v1={sig},v1={bad}", SECRET, 0, 0, SHOP_OK },
	{ "a v0 beside the v1", "t={t},v1={sig},v0={bad}", SECRET, 0, 0, SHOP_OK },
	{ "an unknown scheme ignored", "t={t},v9=zz,v1={sig}", SECRET, 0, 0, SHOP_OK },
	{ "300 s old", "t={t},v1={sig}", SECRET, 0, 300, SHOP_OK },
	{ "300 s ahead", "t={t},v1={sig}", SECRET, 0, -300, SHOP_OK },
};

static const struct verify_row bad_rows[] = {
	{ "a decoy v0 carrying the right signature", "t={t},v0={sig}", SECRET, 0, 0,
	    SHOP_ERR_AUTH },
	{ "a decoy v0 and a wrong v1", "t={t},v0={sig},v1={bad}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "only wrong v1", "t={t},v1={bad},v1={bad}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "stale: 301 s old", "t={t},v1={sig}", SECRET, 0, 301, SHOP_ERR_AUTH },
	{ "stale: a day old", "t={t},v1={sig}", SECRET, 0, 86400, SHOP_ERR_AUTH },
	{ "future: 301 s ahead", "t={t},v1={sig}", SECRET, 0, -301, SHOP_ERR_AUTH },
	{ "tampered body", "t={t},v1={sig}", SECRET, 1, 0, SHOP_ERR_AUTH },
	{ "tampered body after a NUL", "t={t},v1={sig}", SECRET, 2, 0, SHOP_ERR_AUTH },
	{ "t changed, signature kept", "t={t1},v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "wrong secret", "t={t},v1={sig}", "whsec_other", 0, 0, SHOP_ERR_AUTH },
	{ "secret a prefix of the right one", "t={t},v1={sig}", "whsec_test_", 0, 0,
	    SHOP_ERR_AUTH },
	{ "NULL secret", "t={t},v1={sig}", NULL, 0, 0, SHOP_ERR_AUTH },
	{ "empty secret", "t={t},v1={sig}", "", 0, 0, SHOP_ERR_AUTH },
	{ "no v1", "t={t}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "no t", "v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "malformed t: letters", "t=abc,v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "malformed t: empty", "t=,v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "malformed t: negative", "t=-1,v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "malformed t: trailing junk", "t={t}x,v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "malformed t: leading space", "t= {t},v1={sig}", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "malformed t: too long", "t=000000000000000000000000000001700000000,v1={sig}",
	    SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "signature with a byte more", "t={t},v1={sig}0", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "empty v1", "t={t},v1=", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "empty header", "", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "commas only", ",,,", SECRET, 0, 0, SHOP_ERR_AUTH },
	{ "NULL header", NULL, SECRET, 0, 0, SHOP_ERR_AUTH },
};

/* Expands a header template into out. */
static void
expand(const char *tmpl, char *out, size_t outsz)
{
	char sig[2 * crypto_auth_hmacsha256_BYTES + 1], num[32];
	size_t o = 0;
	const char *add;

	webhook_sign(SECRET, T, body, BODY_LEN, sig);
	while (*tmpl != '\0') {
		add = NULL;
		if (strncmp(tmpl, "{t}", 3) == 0) {
			snprintf(num, sizeof(num), "%lld", (long long)T);
			add = num, tmpl += 3;
		} else if (strncmp(tmpl, "{t1}", 4) == 0) {
			snprintf(num, sizeof(num), "%lld", (long long)T + 1);
			add = num, tmpl += 4;
		} else if (strncmp(tmpl, "{sig}", 5) == 0)
			add = sig, tmpl += 5;
		else if (strncmp(tmpl, "{bad}", 5) == 0) {
			add = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
			tmpl += 5;
		}
		if (add != NULL) {
			assert_true(o + strlen(add) < outsz);
			memcpy(out + o, add, strlen(add));
			o += strlen(add);
		} else {
			assert_true(o + 1 < outsz);
			out[o++] = *tmpl++;
		}
	}
	out[o] = '\0';
}

static int
check_verify_rows(const struct verify_row *rows, size_t n)
{
	char header[512], payload[sizeof(body)];
	size_t i;
	int bad = 0;
	enum shop_err e;

	for (i = 0; i < n; i++) {
		const struct verify_row *r = &rows[i];

		if (r->header != NULL)
			expand(r->header, header, sizeof(header));
		memcpy(payload, body, sizeof(body));
		if (r->tamper == 1)
			payload[0] ^= 1;
		else if (r->tamper == 2)
			payload[BODY_LEN - 1] ^= 1;
		e = webhook_verify(r->secret, r->header ? header : NULL, payload, BODY_LEN,
		    T + r->at, WEBHOOK_TOLERANCE);
		if (e != r->want)
			ROW_FAIL(bad, "%s: webhook_verify(%s) = %s, want %s", r->behaviour,
			    quote(r->header ? header : NULL), shop_strerror(e),
			    shop_strerror(r->want));
	}
	return bad;
}

static void
verify_accepts_a_current_matching_v1(void **state)
{
	assert_int_equal(check_verify_rows(good_rows, nitems(good_rows)), 0);
}

static void
verify_refuses_stale_tampered_and_malformed(void **state)
{
	assert_int_equal(check_verify_rows(bad_rows, nitems(bad_rows)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_is_hex_hmac_sha256_of_t_dot_payload),
		cmocka_unit_test(verify_accepts_a_current_matching_v1),
		cmocka_unit_test(verify_refuses_stale_tampered_and_malformed),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("webhook_sig", tests, NULL, NULL);
}
