/* test_password.c — argon2id password hashes: what password_hash writes and what
 * password_verify accepts. Each hash costs about 64 MiB and a noticeable fraction of a second
 * (far more under valgrind), so the group hashes the password once and the tables share it. */
#include <string.h>

#include "unit.h"

#define PASSWORD "correct horse battery staple"

static char good_hash[PASSWORD_HASH_BYTES];

static int
setup_hash(void **state)
{
	if (sodium_init() < 0)
		return -1;
	return password_hash(PASSWORD, good_hash) == SHOP_OK ? 0 : -1;
}

static void
hash_is_an_argon2id_string(void **state)
{
	assert_int_equal(strncmp(good_hash, "$argon2id$", 10), 0);
	assert_non_null(strstr(good_hash, "$v=19$"));
	assert_true(strlen(good_hash) < PASSWORD_HASH_BYTES);
}

/* The salt is random: the same password never hashes to the same string twice. */
static void
hash_is_salted(void **state)
{
	char again[PASSWORD_HASH_BYTES];

	assert_int_equal(password_hash(PASSWORD, again), SHOP_OK);
	assert_string_not_equal(again, good_hash);
	assert_int_equal(password_verify(again, PASSWORD), 1);
}

/* hash NULL stands for the good hash of PASSWORD. */
struct verify_row {
	const char	*hash;
	const char	*password;
	int		 want;
};

static const struct verify_row verify_rows[] = {
	{ NULL, PASSWORD, 1 },
	{ NULL, "Correct horse battery staple", 0 },
	{ NULL, PASSWORD " ", 0 },
	{ NULL, "", 0 },
	{ "", PASSWORD, 0 },
	{ "not a hash", PASSWORD, 0 },
	{ "$argon2id$v=19$m=65536,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PASSWORD, 0 },
};

static void
verify_accepts_the_password_and_nothing_else(void **state)
{
	size_t i;
	int bad = 0, got;

	for (i = 0; i < nitems(verify_rows); i++) {
		const char *hash = verify_rows[i].hash ? verify_rows[i].hash : good_hash;

		if ((got = password_verify(hash, verify_rows[i].password)) != verify_rows[i].want)
			ROW_FAIL(bad, "password_verify(%s, %s) = %d, want %d",
			    verify_rows[i].hash ? quote(hash) : "good hash",
			    quote(verify_rows[i].password), got, verify_rows[i].want);
	}
	assert_int_equal(bad, 0);
}

/* An unknown user has no hash: verify spends the time and says no, even to the dummy's text. */
static void
verify_of_no_hash_is_0(void **state)
{
	static const char *const passwords[] = { PASSWORD, "not a password", "" };
	size_t i;
	int bad = 0, got;

	for (i = 0; i < nitems(passwords); i++)
		if ((got = password_verify(NULL, passwords[i])) != 0)
			ROW_FAIL(bad, "password_verify(NULL, %s) = %d, want 0", quote(passwords[i]),
			    got);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_is_an_argon2id_string),
		cmocka_unit_test(hash_is_salted),
		cmocka_unit_test(verify_accepts_the_password_and_nothing_else),
		cmocka_unit_test(verify_of_no_hash_is_0),
	};

	return cmocka_run_group_tests_name("password", tests, setup_hash, NULL);
}
