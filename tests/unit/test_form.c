/* test_form.c — form_get reading query strings, form_add and form_addf writing Stripe bodies. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* ---- form_get ---------------------------------------------------------------------------- */

/* want NULL: the key is absent or its value does not decode. */
struct get_row {
	const char	*form;
	const char	*key;
	const char	*want;
};

static const struct get_row get_present[] = {
	{ "a=1&b=2", "a", "1" },
	{ "a=1&b=2", "b", "2" },
	{ "session_id=cs_test_abc", "session_id", "cs_test_abc" },
	{ "a=1&a=2", "a", "1" },		/* the first of two wins */
	{ "&&a=1&", "a", "1" },
	{ "q=a=b", "q", "a=b" },		/* only the first '=' separates */
	{ "x=%zz&a=1", "a", "1" },		/* another key's bad escape does not matter */
};

static const struct get_row get_absent[] = {
	{ "a=1&b=2", "c", NULL },
	{ "", "a", NULL },
	{ NULL, "a", NULL },
	{ "a", "a", NULL },			/* a key with no '=' has no value */
	{ "a&b=2", "a", NULL },
	{ "A=1", "a", NULL },			/* keys are case-sensitive */
};

static const struct get_row get_decoding[] = {
	{ "q=hello+world", "q", "hello world" },
	{ "q=%41%42c", "q", "ABc" },
	{ "q=%c3%a5", "q", "\xc3\xa5" },
	{ "q=%C3%A5", "q", "\xc3\xa5" },
	{ "q=a%2Bb", "q", "a+b" },
	{ "q=a%26b&r=1", "q", "a&b" },
	{ "q=%3D", "q", "=" },
	{ "q=%25", "q", "%" },
	{ "q=%20+%20", "q", "   " },
	{ "q=%0A", "q", "\n" },
};

static const struct get_row get_bad_escapes[] = {
	{ "q=%", "q", NULL },
	{ "q=%4", "q", NULL },
	{ "q=abc%", "q", NULL },
	{ "q=%zz", "q", NULL },
	{ "q=%4g", "q", NULL },
	{ "q=%g4", "q", NULL },
	{ "q=%%41", "q", NULL },
	{ "q=%4&r=1", "q", NULL },		/* the escape is cut short by '&' */
	{ "q=%00", "q", NULL },			/* NUL would truncate the value */
	{ "q=a%00b", "q", NULL },
};

static const struct get_row get_prefix_keys[] = {
	{ "ab=1&a=2", "a", "2" },
	{ "a=2&ab=1", "ab", "1" },
	{ "xa=1&a=2", "a", "2" },
	{ "a[0]=1&a=2", "a", "2" },
	{ "ab=1", "a", NULL },
	{ "a=1", "ab", NULL },
};

static const struct get_row get_empty_values[] = {
	{ "a=", "a", "" },
	{ "a=&b=2", "a", "" },
	{ "b=2&a=", "a", "" },
	{ "a=&b=", "b", "" },
};

static int
check_get_rows(const struct get_row *rows, size_t n)
{
	size_t i;
	char *got;
	int bad = 0;

	for (i = 0; i < n; i++) {
		got = form_get(rows[i].form, rows[i].key);
		if ((got == NULL) != (rows[i].want == NULL) ||
		    (got != NULL && strcmp(got, rows[i].want) != 0))
			ROW_FAIL(bad, "form_get(%s, %s) = %s, want %s", quote(rows[i].form),
			    quote(rows[i].key), quote(got), quote(rows[i].want));
		free(got);
	}
	return bad;
}

#define CHECK_GET(rows) assert_int_equal(check_get_rows(rows, nitems(rows)), 0)

static void
get_finds_present_keys(void **state)
{
	CHECK_GET(get_present);
}

static void
get_says_null_for_absent_keys(void **state)
{
	CHECK_GET(get_absent);
}

static void
get_decodes_plus_and_percent_escapes(void **state)
{
	CHECK_GET(get_decoding);
}

static void
get_refuses_bad_escapes_and_nul(void **state)
{
	CHECK_GET(get_bad_escapes);
}

static void
get_does_not_match_a_key_by_prefix(void **state)
{
	CHECK_GET(get_prefix_keys);
}

static void
get_returns_empty_values_as_empty_strings(void **state)
{
	CHECK_GET(get_empty_values);
}

/* ---- form_add and form_addf -------------------------------------------------------------- */

struct add_row {
	const char	*key;
	const char	*value;
	const char	*want;
};

static const struct add_row add_encoding[] = {
	{ "email", "anna@example.com", "email=anna%40example.com" },
	{ "line_items[0][price]", "price_123", "line_items[0][price]=price_123" },
	{ "metadata[note]", "[x]", "metadata[note]=%5Bx%5D" },	/* brackets kept only in keys */
	{ "a b", "1", "a%20b=1" },
	{ "k&=", "v", "k%26%3D=v" },
	{ "q", "a b&c=d+e", "q=a%20b%26c%3Dd%2Be" },
	{ "name", "\xc3\x85sa", "name=%C3%85sa" },
	{ "k", "", "k=" },
	{ "k", "-_.~", "k=-_.~" },
	{ "k", "/?#%", "k=%2F%3F%23%25" },
	{ "k", "\x01\x7f\xff", "k=%01%7F%FF" },
};

static void
add_keeps_key_brackets_and_encodes_values_fully(void **state)
{
	struct buf b = { 0 };
	size_t i;
	int bad = 0;

	for (i = 0; i < nitems(add_encoding); i++) {
		assert_int_equal(form_add(&b, add_encoding[i].key, add_encoding[i].value), SHOP_OK);
		if (strcmp(b.data, add_encoding[i].want) != 0)
			ROW_FAIL(bad, "form_add(%s, %s) wrote %s, want %s",
			    quote(add_encoding[i].key), quote(add_encoding[i].value), quote(b.data),
			    quote(add_encoding[i].want));
		buf_free(&b);
	}
	assert_int_equal(bad, 0);
}

/* Pairs added in order to a buffer that starts as start. */
struct join_row {
	const char	*start;
	const char	*pairs[3][2];
	const char	*want;
};

static const struct join_row add_joins[] = {
	{ NULL, { { "a", "1" } }, "a=1" },
	{ NULL, { { "a", "1" }, { "b", "2" } }, "a=1&b=2" },
	{ NULL, { { "mode", "payment" }, { "line_items[0][price]", "price_1" },
	    { "line_items[0][quantity]", "2" } },
	    "mode=payment&line_items[0][price]=price_1&line_items[0][quantity]=2" },
	{ NULL, { { "a", "" }, { "b", "" } }, "a=&b=" },
	{ "expand[]=line_items", { { "a", "1" } }, "expand[]=line_items&a=1" },
};

static void
add_joins_pairs_with_ampersands(void **state)
{
	struct buf b = { 0 };
	size_t i, j;
	int bad = 0;

	for (i = 0; i < nitems(add_joins); i++) {
		if (add_joins[i].start != NULL)
			assert_int_equal(buf_puts(&b, add_joins[i].start), SHOP_OK);
		for (j = 0; j < 3 && add_joins[i].pairs[j][0] != NULL; j++)
			assert_int_equal(form_add(&b, add_joins[i].pairs[j][0],
			    add_joins[i].pairs[j][1]), SHOP_OK);
		if (strcmp(b.data, add_joins[i].want) != 0)
			ROW_FAIL(bad, "row %zu wrote %s, want %s", i, quote(b.data),
			    quote(add_joins[i].want));
		buf_free(&b);
	}
	assert_int_equal(bad, 0);
}

struct addf_int_row {
	const char	*key;
	long long	 n;
	const char	*want;
};

static const struct addf_int_row addf_ints[] = {
	{ "line_items[0][quantity]", 3, "line_items[0][quantity]=3" },
	{ "amount", -500, "amount=-500" },
	{ "expires_at", 1700000000, "expires_at=1700000000" },
};

/* The return URL as checkout builds it: the base plus a template Stripe fills in. */
struct addf_url_row {
	const char	*key;
	const char	*base;
	const char	*want;
};

static const struct addf_url_row addf_urls[] = {
	{ "success_url", "http://127.0.0.1:8080",
	    "success_url=http%3A%2F%2F127.0.0.1%3A8080%2Fthanks%3Fsession_id%3D"
	    "%7BCHECKOUT_SESSION_ID%7D" },
	{ "success_url", "https://shop.example/a b",
	    "success_url=https%3A%2F%2Fshop.example%2Fa%20b%2Fthanks%3Fsession_id%3D"
	    "%7BCHECKOUT_SESSION_ID%7D" },
};

static void
addf_formats_then_encodes_like_add(void **state)
{
	struct buf b = { 0 };
	size_t i;
	int bad = 0;

	for (i = 0; i < nitems(addf_ints); i++) {
		assert_int_equal(form_addf(&b, addf_ints[i].key, "%lld", addf_ints[i].n), SHOP_OK);
		if (strcmp(b.data, addf_ints[i].want) != 0)
			ROW_FAIL(bad, "form_addf(%s, %lld) wrote %s, want %s",
			    quote(addf_ints[i].key), addf_ints[i].n, quote(b.data),
			    quote(addf_ints[i].want));
		buf_free(&b);
	}
	for (i = 0; i < nitems(addf_urls); i++) {
		assert_int_equal(form_addf(&b, addf_urls[i].key,
		    "%s/thanks?session_id={CHECKOUT_SESSION_ID}", addf_urls[i].base), SHOP_OK);
		if (strcmp(b.data, addf_urls[i].want) != 0)
			ROW_FAIL(bad, "form_addf(%s, %s) wrote %s, want %s",
			    quote(addf_urls[i].key), quote(addf_urls[i].base), quote(b.data),
			    quote(addf_urls[i].want));
		buf_free(&b);
	}
	assert_int_equal(bad, 0);
}

/* A value too long for form_addf's buffer is refused whole rather than cut short. */
static void
addf_refuses_a_value_it_would_truncate(void **state)
{
	static const size_t lens[] = { 511, 512, 4096 };
	static const int want[] = { SHOP_OK, SHOP_ERR_INPUT, SHOP_ERR_INPUT };
	struct buf b = { 0 };
	char *value;
	size_t i;
	int bad = 0, got;

	for (i = 0; i < nitems(lens); i++) {
		assert_non_null(value = malloc(lens[i] + 1));
		memset(value, 'v', lens[i]);
		value[lens[i]] = '\0';
		assert_int_equal(buf_puts(&b, "a=1"), SHOP_OK);
		got = form_addf(&b, "k", "%s", value);
		if (got != want[i])
			ROW_FAIL(bad, "form_addf of %zu bytes = %d, want %d", lens[i], got,
			    want[i]);
		else if (got != SHOP_OK && strcmp(b.data, "a=1") != 0)
			ROW_FAIL(bad, "form_addf of %zu bytes changed the buffer", lens[i]);
		else if (got == SHOP_OK && b.len != strlen("a=1&k=") + lens[i])
			ROW_FAIL(bad, "form_addf of %zu bytes wrote %zu bytes", lens[i], b.len);
		free(value);
		buf_free(&b);
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_finds_present_keys),
		cmocka_unit_test(get_says_null_for_absent_keys),
		cmocka_unit_test(get_decodes_plus_and_percent_escapes),
		cmocka_unit_test(get_refuses_bad_escapes_and_nul),
		cmocka_unit_test(get_does_not_match_a_key_by_prefix),
		cmocka_unit_test(get_returns_empty_values_as_empty_strings),
		cmocka_unit_test(add_keeps_key_brackets_and_encodes_values_fully),
		cmocka_unit_test(add_joins_pairs_with_ampersands),
		cmocka_unit_test(addf_formats_then_encodes_like_add),
		cmocka_unit_test(addf_refuses_a_value_it_would_truncate),
	};

	return cmocka_run_group_tests_name("form", tests, NULL, NULL);
}
