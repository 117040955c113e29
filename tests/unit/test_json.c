/* test_json.c — the typed getters of json.c: json_int, json_str and json_int_or. */
#include <limits.h>
#include <string.h>

#include "unit.h"

/* 2^53 - 1: above it, doubles skip integers, so 2^53 itself may stand for 2^53 + 1. */
#define MAX_EXACT 9007199254740991LL

/* json is the text of one JSON value; NULL stands for a missing item. */
struct int_row {
	const char	*json;
	long long	 min, max;
	int		 ok;
	long long	 want;
};

static const struct int_row int_whole[] = {
	{ "5", 0, 10, 1, 5 },
	{ "0", 0, 10, 1, 0 },
	{ "10", 0, 10, 1, 10 },
	{ "1.0", 0, 10, 1, 1 },			/* a whole number, however it is written */
	{ "1e3", 0, 10000, 1, 1000 },
	{ "-0", 0, 10, 1, 0 },
	{ "9007199254740991", 0, LLONG_MAX, 1, MAX_EXACT },
	{ "-9007199254740991", LLONG_MIN, 0, 1, -MAX_EXACT },
	{ "1099511627776", 0, 1LL << 40, 1, 1LL << 40 },
};

static const struct int_row int_fractions[] = {
	{ "1.5", 0, 10, 0, 0 },
	{ "0.1", 0, 10, 0, 0 },
	{ "-0.5", -10, 10, 0, 0 },
	{ "9.999999", 0, 10, 0, 0 },
	{ "1e-3", 0, 10, 0, 0 },
};

static const struct int_row int_range[] = {
	{ "11", 0, 10, 0, 0 },
	{ "-1", 0, 10, 0, 0 },
	{ "-1", -1, 10, 1, -1 },
	{ "-100", -99, 99, 0, 0 },
	{ "1e300", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "-1e300", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "1e19", LLONG_MIN, LLONG_MAX, 0, 0 },	/* beyond long long */
	{ "9007199254740994", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "1e400", LLONG_MIN, LLONG_MAX, 0, 0 },	/* cJSON reads it as infinity */
};

/*
 * BUG (src/lib/json.c, json_int, line 63): the guard is fabs(d) > 2^53, but 2^53 + 1 is
 * parsed as the double 2^53 and so passes: json_int on 9007199254740993 returns 1 with
 * *out = 9007199254740992, a different number. The comment says "anything a double cannot
 * hold exactly" is refused; the guard needs >= 2^53. (2^53 itself is left out of these tables:
 * it cannot be told apart from 2^53 + 1.) Callers today pass max <= 2^40, except json_int_or
 * (±2^53), so the wrong value can reach only json_int_or's callers.
 */
static const struct int_row int_inexact[] = {
	{ "9007199254740993", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "-9007199254740993", LLONG_MIN, LLONG_MAX, 0, 0 },
};

static const struct int_row int_not_numbers[] = {
	{ NULL, LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "\"5\"", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "\"\"", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "true", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "false", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "null", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "[5]", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "{\"n\":5}", LLONG_MIN, LLONG_MAX, 0, 0 },
};

static int
check_int_rows(const struct int_row *rows, size_t n)
{
	const long long untouched = 424242;
	cJSON *item;
	long long out;
	size_t i;
	int bad = 0, ok;

	for (i = 0; i < n; i++) {
		item = NULL;
		if (rows[i].json != NULL)
			assert_non_null(item = cJSON_Parse(rows[i].json));
		out = untouched;
		ok = json_int(item, rows[i].min, rows[i].max, &out);
		if (ok != rows[i].ok)
			ROW_FAIL(bad, "json_int(%s, %lld, %lld) = %d (out %lld), want %d",
			    quote(rows[i].json), rows[i].min, rows[i].max, ok, out, rows[i].ok);
		else if (ok && out != rows[i].want)
			ROW_FAIL(bad, "json_int(%s) gave %lld, want %lld", quote(rows[i].json), out,
			    rows[i].want);
		else if (!ok && out != untouched)
			ROW_FAIL(bad, "json_int(%s) refused but wrote %lld", quote(rows[i].json),
			    out);
		cJSON_Delete(item);
	}
	return bad;
}

#define CHECK_INT(rows) assert_int_equal(check_int_rows(rows, nitems(rows)), 0)

static void
int_accepts_whole_numbers(void **state)
{
	CHECK_INT(int_whole);
}

static void
int_refuses_fractions(void **state)
{
	CHECK_INT(int_fractions);
}

static void
int_refuses_out_of_range_huge_and_negative(void **state)
{
	CHECK_INT(int_range);
}

/* Fails until the bug above is fixed. */
static void
int_refuses_numbers_a_double_cannot_hold(void **state)
{
	CHECK_INT(int_inexact);
}

static void
int_refuses_strings_and_other_types(void **state)
{
	CHECK_INT(int_not_numbers);
}

/* ---- json_str and json_int_or ------------------------------------------------------------ */

static const char fields[] =
    "{\"name\":\"Åsa\",\"empty\":\"\",\"n\":7,\"neg\":-3,\"half\":2.5,\"nstr\":\"7\","
    "\"yes\":true,\"nil\":null,\"arr\":[1],\"obj\":{\"name\":\"x\"},\"Name\":\"upper\","
    "\"big\":1e20,\"exact\":9007199254740991}";

struct str_row {
	const char	*name;
	const char	*want;		/* NULL: not a string */
};

static const struct str_row str_rows[] = {
	{ "name", "Åsa" },
	{ "empty", "" },
	{ "Name", "upper" },		/* names are case-sensitive */
	{ "n", NULL },
	{ "nstr", "7" },
	{ "yes", NULL },
	{ "nil", NULL },
	{ "arr", NULL },
	{ "obj", NULL },
	{ "missing", NULL },
	{ "NAME", NULL },
};

static void
str_returns_strings_only(void **state)
{
	cJSON *obj;
	const char *got;
	size_t i;
	int bad = 0;

	assert_non_null(obj = cJSON_Parse(fields));
	for (i = 0; i < nitems(str_rows); i++) {
		got = json_str(obj, str_rows[i].name);
		if ((got == NULL) != (str_rows[i].want == NULL) ||
		    (got != NULL && strcmp(got, str_rows[i].want) != 0))
			ROW_FAIL(bad, "json_str(%s) = %s, want %s", quote(str_rows[i].name),
			    quote(got), quote(str_rows[i].want));
	}
	assert_null(json_str(NULL, "name"));
	cJSON_Delete(obj);
	assert_int_equal(bad, 0);
}

struct or_row {
	const char	*name;
	long long	 def;
	long long	 want;
};

static const struct or_row or_rows[] = {
	{ "n", 0, 7 },
	{ "neg", 0, -3 },
	{ "exact", 0, MAX_EXACT },
	{ "half", -1, -1 },		/* a fraction is not an integer */
	{ "nstr", -1, -1 },		/* nor is a string of digits */
	{ "yes", -1, -1 },
	{ "nil", 42, 42 },
	{ "arr", -1, -1 },
	{ "big", -1, -1 },
	{ "missing", 99, 99 },
	{ "N", 5, 5 },
};

static void
int_or_gives_the_default_unless_an_integer(void **state)
{
	cJSON *obj;
	long long got;
	size_t i;
	int bad = 0;

	assert_non_null(obj = cJSON_Parse(fields));
	for (i = 0; i < nitems(or_rows); i++)
		if ((got = json_int_or(obj, or_rows[i].name, or_rows[i].def)) != or_rows[i].want)
			ROW_FAIL(bad, "json_int_or(%s, %lld) = %lld, want %lld",
			    quote(or_rows[i].name), or_rows[i].def, got, or_rows[i].want);
	assert_int_equal(json_int_or(NULL, "n", 11), 11);
	cJSON_Delete(obj);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(int_accepts_whole_numbers),
		cmocka_unit_test(int_refuses_fractions),
		cmocka_unit_test(int_refuses_out_of_range_huge_and_negative),
		cmocka_unit_test(int_refuses_numbers_a_double_cannot_hold),
		cmocka_unit_test(int_refuses_strings_and_other_types),
		cmocka_unit_test(str_returns_strings_only),
		cmocka_unit_test(int_or_gives_the_default_unless_an_integer),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
