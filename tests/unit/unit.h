/* unit.h — what the unit tests share: cmocka, nitems, a printable quote of a test input, and
 * the row tally that lets one run of a table show every failing row, not just the first. */
#ifndef UNIT_H
#define UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "shop.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* Reports one failing row and counts it; each table test ends with assert_int_equal(bad, 0). */
#define ROW_FAIL(bad, ...) do {				\
	print_error(__VA_ARGS__);			\
	print_error("\n");				\
	(bad)++;					\
} while (0)

/* s in double quotes, C-escaped (other bytes outside printable ASCII as \xNN), or (null). The
 * result lives in one of four static buffers, so up to four quotes fit in one message. */
static inline const char *
quote(const char *s)
{
	static char bufs[4][320];
	static unsigned int next;
	char *out = bufs[next++ % 4];
	size_t o = 0, room = sizeof(bufs[0]) - 8;

	if (s == NULL)
		return "(null)";
	out[o++] = '"';
	for (; *s != '\0' && o < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	if (*s != '\0')
		o += (size_t)snprintf(out + o, 4, "...");
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* One row of a validator table: the input and whether it is valid. */
struct valid_row {
	const char	*in;
	int		 want;
};

/* Walks a validator table; returns the number of rows that disagree, each reported. */
static inline int
check_valid_rows(const char *name, int (*fn)(const char *), const struct valid_row *rows,
    size_t n)
{
	size_t i;
	int bad = 0, got;

	for (i = 0; i < n; i++)
		if ((got = fn(rows[i].in)) != rows[i].want)
			ROW_FAIL(bad, "%s(%s) = %d, want %d", name, quote(rows[i].in), got,
			    rows[i].want);
	return bad;
}

#define CHECK_VALID(fn, rows) \
	assert_int_equal(check_valid_rows(#fn, fn, rows, nitems(rows)), 0)

#endif
