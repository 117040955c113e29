/* test_session.c — signed session cookies: what session_make writes, session_check accepts, and
 * every forgery, expiry and malformed header it must refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define USER	"u_0123456789abcdef0123456789abcdef"
#define OTHER	"u_fedcba9876543210fedcba9876543210"
#define NOW	((time_t)1700000000)

/* Two configurations with random keys, built by hand: the tests never read the environment. */
static struct config cfg, other_cfg;

static int
setup_keys(void **state)
{
	if (sodium_init() < 0)
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	memset(&other_cfg, 0, sizeof(other_cfg));
	randombytes_buf(cfg.session_key, sizeof(cfg.session_key));
	randombytes_buf(other_cfg.session_key, sizeof(other_cfg.session_key));
	return 0;
}

static int
teardown_keys(void **state)
{
	sodium_memzero(cfg.session_key, sizeof(cfg.session_key));
	sodium_memzero(other_cfg.session_key, sizeof(other_cfg.session_key));
	return 0;
}

/* A good cookie value for USER made at NOW with cfg. */
static void
make_value(char *out, size_t outsz)
{
	assert_int_equal(session_make(&cfg, USER, NOW, out, outsz), SHOP_OK);
}

/* ---- round trips ------------------------------------------------------------------------- */

/* The header is before + value + after, checked at NOW + at. */
struct trip_row {
	const char	*before;
	const char	*after;
	time_t		 at;
};

static const struct trip_row trips[] = {
	{ "shop_session=", "", 0 },
	{ "a=b; shop_session=", "; c=d", 0 },
	{ "theme=dark;shop_session=", "", 0 },
	{ "shop_session=", "; other=1", 0 },
	{ "xshop_session=junk; shop_session=", "", 0 },
	{ "shop_session2=junk; shop_session=", "", 0 },
	{ "a=shop_session=junk; shop_session=", "", 0 },
	{ "shop_session=", "", -3600 },			/* a clock a little behind */
	{ "shop_session=", "", SESSION_MAX_AGE - 1 },	/* the last second */
};

static void
check_accepts_what_make_wrote(void **state)
{
	char value[256], header[512], user[64];
	size_t i;
	int bad = 0;
	enum shop_err e;

	make_value(value, sizeof(value));
	for (i = 0; i < nitems(trips); i++) {
		snprintf(header, sizeof(header), "%s%s%s", trips[i].before, value, trips[i].after);
		memset(user, 'x', sizeof(user));
		e = session_check(&cfg, header, NOW + trips[i].at, user, sizeof(user), NULL);
		if (e != SHOP_OK || strcmp(user, USER) != 0)
			ROW_FAIL(bad, "session_check(%s) at +%lld = %s, user %.40s",
			    quote(header), (long long)trips[i].at, shop_strerror(e), user);
	}
	assert_int_equal(bad, 0);
}

/* The value reads "v1.<user>.<expiry>.<mac>", the expiry NOW + SESSION_MAX_AGE. */
static void
make_writes_version_user_expiry_mac(void **state)
{
	char value[256], want[128];
	int n;

	make_value(value, sizeof(value));
	n = snprintf(want, sizeof(want), "v1.%s.%lld.", USER, (long long)NOW + SESSION_MAX_AGE);
	assert_memory_equal(value, want, (size_t)n);
	/* HMAC-SHA512/256 is 32 bytes: 43 characters of unpadded base64url. */
	assert_int_equal(strlen(value + n), 43);
	assert_int_equal(strspn(value + n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_"), 43);
}

struct make_row {
	const char	*user;
	size_t		 outsz;
	enum shop_err	 want;
};

static const struct make_row make_rows[] = {
	{ USER, 256, SHOP_OK },
	{ USER, 93, SHOP_OK },			/* 92 bytes and the NUL */
	{ USER, 92, SHOP_ERR_NOMEM },		/* one short */
	{ USER, 10, SHOP_ERR_NOMEM },
	{ "u_0123456789ABCDEF0123456789abcdef", 256, SHOP_ERR_INPUT },
	{ "u_1.2", 256, SHOP_ERR_INPUT },
	{ "", 256, SHOP_ERR_INPUT },
	{ NULL, 256, SHOP_ERR_INPUT },
};

static void
make_refuses_bad_user_ids_and_short_buffers(void **state)
{
	char out[256];
	size_t i;
	int bad = 0;
	enum shop_err e;

	for (i = 0; i < nitems(make_rows); i++) {
		e = session_make(&cfg, make_rows[i].user, NOW, out, make_rows[i].outsz);
		if (e != make_rows[i].want)
			ROW_FAIL(bad, "session_make(%s, outsz %zu) = %s, want %s",
			    quote(make_rows[i].user), make_rows[i].outsz, shop_strerror(e),
			    shop_strerror(make_rows[i].want));
		else if (e == SHOP_OK && strlen(out) >= make_rows[i].outsz)
			ROW_FAIL(bad, "session_make wrote past outsz %zu", make_rows[i].outsz);
	}
	assert_int_equal(bad, 0);
}

/* ---- refusals of a forged or stale cookie ------------------------------------------------ */

/* How a row changes the good value "v1.<user>.<expiry>.<mac>" before it is checked. */
enum edit {
	EDIT_NONE,
	EDIT_MAC,		/* one character of the MAC changed */
	EDIT_MAC_SHORT,		/* the MAC's last character dropped */
	EDIT_MAC_EXTRA,		/* ".x" after the MAC */
	EDIT_USER,		/* the user id's last digit changed, MAC kept */
	EDIT_OTHER_USER,	/* another valid user id, MAC kept */
	EDIT_EXPIRY,		/* the expiry a year later, MAC kept */
	EDIT_VERSION,		/* "v2." for "v1." */
	EDIT_TOO_LONG,		/* 200 more bytes after the MAC */
};

struct forge_row {
	const char	*behaviour;
	enum edit	 edit;
	time_t		 at;		/* checked at NOW + at */
	int		 wrong_key;
};

static const struct forge_row forgeries[] = {
	{ "tampered MAC", EDIT_MAC, 0, 0 },
	{ "short MAC", EDIT_MAC_SHORT, 0, 0 },
	{ "MAC with more after it", EDIT_MAC_EXTRA, 0, 0 },
	{ "tampered user id", EDIT_USER, 0, 0 },
	{ "someone else's user id", EDIT_OTHER_USER, 0, 0 },
	{ "tampered expiry", EDIT_EXPIRY, SESSION_MAX_AGE + 10, 0 },
	{ "other version", EDIT_VERSION, 0, 0 },
	{ "too long", EDIT_TOO_LONG, 0, 0 },
	{ "expired at the second it ends", EDIT_NONE, SESSION_MAX_AGE, 0 },
	{ "expired a year ago", EDIT_NONE, SESSION_MAX_AGE + 365L * 24 * 3600, 0 },
	{ "made under another key", EDIT_NONE, 0, 1 },
};

/* Writes the edited cookie value into out. */
static void
forge(enum edit edit, const char *good, char *out, size_t outsz)
{
	char user[64], mac[64];
	long long expiry;
	size_t len;

	assert_int_equal(sscanf(good, "v1.%34[^.].%lld.%63s", user, &expiry, mac), 3);
	switch (edit) {
	case EDIT_MAC:
		mac[0] = mac[0] == 'A' ? 'B' : 'A';
		break;
	case EDIT_MAC_SHORT:
		mac[strlen(mac) - 1] = '\0';
		break;
	case EDIT_USER:
		user[33] = user[33] == '0' ? '1' : '0';
		break;
	case EDIT_OTHER_USER:
		snprintf(user, sizeof(user), "%s", OTHER);
		break;
	case EDIT_EXPIRY:
		expiry += 365L * 24 * 3600;
		break;
	default:
		break;
	}
	snprintf(out, outsz, "%s.%s.%lld.%s%s", edit == EDIT_VERSION ? "v2" : "v1", user, expiry,
	    mac, edit == EDIT_MAC_EXTRA ? ".x" : "");
	if (edit == EDIT_TOO_LONG) {
		len = strlen(out);
		assert_true(len + 200 < outsz);
		memset(out + len, 'A', 200);
		out[len + 200] = '\0';
	}
}

static void
check_refuses_forged_expired_and_foreign_cookies(void **state)
{
	char good[256], value[512], header[600], user[64];
	size_t i;
	int bad = 0;
	enum shop_err e;

	make_value(good, sizeof(good));
	for (i = 0; i < nitems(forgeries); i++) {
		forge(forgeries[i].edit, good, value, sizeof(value));
		snprintf(header, sizeof(header), "a=b; shop_session=%s; c=d", value);
		memset(user, 0, sizeof(user));
		e = session_check(forgeries[i].wrong_key ? &other_cfg : &cfg, header,
		    NOW + forgeries[i].at, user, sizeof(user), NULL);
		if (e != SHOP_ERR_AUTH)
			ROW_FAIL(bad, "%s: session_check(%s) = %s, want %s", forgeries[i].behaviour,
			    quote(value), shop_strerror(e), shop_strerror(SHOP_ERR_AUTH));
		else if (user[0] != '\0')
			ROW_FAIL(bad, "%s: refused but wrote a user id", forgeries[i].behaviour);
	}
	assert_int_equal(bad, 0);
}

/* Headers with no good cookie in them at all. */
static const char *const garbage[] = {
	NULL,
	"",
	";",
	" ; ; ",
	"a=b",
	"a=b; c=d",
	"shop_session",
	"shop_session=",
	"shop_session=;",
	"Shop_Session=v1.x",
	"shop_session=garbage",
	"shop_session=v1",
	"shop_session=v1.",
	"shop_session=v1...",
	"shop_session=v1." USER,
	"shop_session=v1." USER ".1800000000",
	"shop_session=v1." USER ".1800000000.",
	"shop_session=v1." USER ".1800000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"shop_session=v1.u_x.1800000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"shop_session=\xff\xfe\xfd",
	"shop_session=v1." USER ".-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
};

static void
check_refuses_missing_and_garbage_cookies(void **state)
{
	char user[64];
	size_t i;
	int bad = 0;
	enum shop_err e;

	for (i = 0; i < nitems(garbage); i++) {
		e = session_check(&cfg, garbage[i], NOW, user, sizeof(user), NULL);
		if (e != SHOP_ERR_AUTH)
			ROW_FAIL(bad, "session_check(%s) = %s, want %s", quote(garbage[i]),
			    shop_strerror(e), shop_strerror(SHOP_ERR_AUTH));
	}
	assert_int_equal(bad, 0);
}

/* A header too long for the cookie buffer, with the good cookie inside or after it. */
static void
check_refuses_a_cookie_value_that_is_too_long(void **state)
{
	static const size_t pads[] = { 256, 1000, 10000 };
	char value[256], user[64], *header;
	size_t i, len;
	int bad = 0;
	enum shop_err e;

	make_value(value, sizeof(value));
	for (i = 0; i < nitems(pads); i++) {
		len = strlen("shop_session=") + strlen(value) + pads[i];
		assert_non_null(header = malloc(len + 1));
		snprintf(header, len + 1, "shop_session=%s", value);
		memset(header + strlen(header), '0', pads[i]);
		header[len] = '\0';
		e = session_check(&cfg, header, NOW, user, sizeof(user), NULL);
		if (e != SHOP_ERR_AUTH)
			ROW_FAIL(bad, "value + %zu bytes: %s, want %s", pads[i], shop_strerror(e),
			    shop_strerror(SHOP_ERR_AUTH));
		free(header);
	}
	assert_int_equal(bad, 0);
}

/* A user id buffer too small for the id is refused rather than overrun or cut. */
static void
check_refuses_a_user_buffer_too_small(void **state)
{
	static const size_t sizes[] = { 35, 34, 1 };
	static const enum shop_err want[] = { SHOP_OK, SHOP_ERR_AUTH, SHOP_ERR_AUTH };
	char value[256], header[300], user[64];
	size_t i;
	int bad = 0;
	enum shop_err e;

	make_value(value, sizeof(value));
	snprintf(header, sizeof(header), "shop_session=%s", value);
	for (i = 0; i < nitems(sizes); i++) {
		memset(user, 'x', sizeof(user));
		e = session_check(&cfg, header, NOW, user, sizes[i], NULL);
		if (e != want[i])
			ROW_FAIL(bad, "sz %zu: %s, want %s", sizes[i], shop_strerror(e),
			    shop_strerror(want[i]));
		else if (user[sizes[i]] != 'x')
			ROW_FAIL(bad, "sz %zu: wrote past the buffer", sizes[i]);
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_accepts_what_make_wrote),
		cmocka_unit_test(make_writes_version_user_expiry_mac),
		cmocka_unit_test(make_refuses_bad_user_ids_and_short_buffers),
		cmocka_unit_test(check_refuses_forged_expired_and_foreign_cookies),
		cmocka_unit_test(check_refuses_missing_and_garbage_cookies),
		cmocka_unit_test(check_refuses_a_cookie_value_that_is_too_long),
		cmocka_unit_test(check_refuses_a_user_buffer_too_small),
	};

	return cmocka_run_group_tests_name("session", tests, setup_keys, teardown_keys);
}
