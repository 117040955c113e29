/* test_buf.c — the growable buffer: appends and printf past the initial capacity stay intact and
 * NUL-terminated. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* The buffer's invariants: data holds len bytes then a NUL, within cap. */
static void
assert_buf_sane(const struct buf *b)
{
	assert_non_null(b->data);
	assert_true(b->len < b->cap);
	assert_int_equal(b->data[b->len], '\0');
}

/* A piece appended count times. The first buffer is 256 bytes, so most rows grow it. */
struct append_row {
	const char	*piece;
	size_t		 count;
};

static const struct append_row append_rows[] = {
	{ "", 1 },
	{ "x", 1 },
	{ "x", 255 },		/* exactly fills the first 256 bytes with the NUL */
	{ "x", 256 },		/* one more grows it */
	{ "0123456789", 1000 },
	{ "\xc3\xa5\xc3\xa4\xc3\xb6", 3000 },
	{ "a longer piece of text, fifty bytes long. ........", 20000 },
};

static void
append_grows_past_initial_capacity(void **state)
{
	struct buf b = { 0 };
	size_t i, j, plen;
	int bad = 0;

	for (i = 0; i < nitems(append_rows); i++) {
		plen = strlen(append_rows[i].piece);
		for (j = 0; j < append_rows[i].count; j++) {
			if (j % 2 == 0)
				assert_int_equal(buf_append(&b, append_rows[i].piece, plen),
				    SHOP_OK);
			else
				assert_int_equal(buf_puts(&b, append_rows[i].piece), SHOP_OK);
		}
		assert_buf_sane(&b);
		if (b.len != plen * append_rows[i].count)
			ROW_FAIL(bad, "%zu x %s: len %zu", append_rows[i].count,
			    quote(append_rows[i].piece), b.len);
		for (j = 0; j < append_rows[i].count && b.len == plen * append_rows[i].count; j++)
			if (memcmp(b.data + j * plen, append_rows[i].piece, plen) != 0) {
				ROW_FAIL(bad, "%zu x %s: piece %zu differs", append_rows[i].count,
				    quote(append_rows[i].piece), j);
				break;
			}
		buf_free(&b);
		assert_null(b.data);
		assert_int_equal(b.len, 0);
		assert_int_equal(b.cap, 0);
	}
	assert_int_equal(bad, 0);
}

/* Appends keep bytes after a NUL: bodies may hold them. */
static void
append_keeps_embedded_nuls(void **state)
{
	static const char bytes[] = { 'a', '\0', 'b', '\0' };
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < 300; i++)
		assert_int_equal(buf_append(&b, bytes, sizeof(bytes)), SHOP_OK);
	assert_buf_sane(&b);
	assert_int_equal(b.len, 300 * sizeof(bytes));
	for (i = 0; i < 300; i++)
		assert_memory_equal(b.data + i * sizeof(bytes), bytes, sizeof(bytes));
	buf_free(&b);
}

/* What was in the buffer, then buf_printf("%s|%d", a string of width bytes, n). */
struct printf_row {
	const char	*before;
	size_t		 width;
	int		 n;
};

static const struct printf_row printf_rows[] = {
	{ "", 0, 0 },
	{ "", 10, -1 },
	{ "", 253, 7 },		/* "…|7" is 255 bytes: fits the first 256 */
	{ "", 254, 7 },		/* 256 bytes: must grow */
	{ "head:", 1000, 42 },
	{ "", 100000, 2147483647 },
	{ "x", 300, -2147483647 },
};

static void
printf_grows_past_initial_capacity(void **state)
{
	struct buf b = { 0 };
	char *s, *want;
	size_t i;
	int bad = 0, n;

	for (i = 0; i < nitems(printf_rows); i++) {
		const struct printf_row *r = &printf_rows[i];

		assert_non_null(s = malloc(r->width + 1));
		memset(s, 's', r->width);
		s[r->width] = '\0';
		assert_non_null(want = malloc(strlen(r->before) + r->width + 16));
		n = sprintf(want, "%s%s|%d", r->before, s, r->n);
		assert_int_equal(buf_puts(&b, r->before), SHOP_OK);
		assert_int_equal(buf_printf(&b, "%s|%d", s, r->n), SHOP_OK);
		assert_buf_sane(&b);
		if (b.len != (size_t)n || strcmp(b.data, want) != 0)
			ROW_FAIL(bad, "row %zu: len %zu, want %d", i, b.len, n);
		free(s);
		free(want);
		buf_free(&b);
	}
	assert_int_equal(bad, 0);
}

/* Many small printfs in a row each append rather than overwrite. */
static void
printf_appends_after_earlier_output(void **state)
{
	struct buf b = { 0 };
	char want[16];
	size_t off = 0;
	int i, n;

	for (i = 0; i < 2000; i++)
		assert_int_equal(buf_printf(&b, "%d,", i), SHOP_OK);
	assert_buf_sane(&b);
	for (i = 0; i < 2000; i++) {
		n = snprintf(want, sizeof(want), "%d,", i);
		assert_memory_equal(b.data + off, want, (size_t)n);
		off += (size_t)n;
	}
	assert_int_equal(b.len, off);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(append_grows_past_initial_capacity),
		cmocka_unit_test(append_keeps_embedded_nuls),
		cmocka_unit_test(printf_grows_past_initial_capacity),
		cmocka_unit_test(printf_appends_after_earlier_output),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
