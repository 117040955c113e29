/* form.c — application/x-www-form-urlencoded: reading query strings, writing Stripe bodies. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes of s into a new string; NULL on a bad escape or an embedded NUL. */
static char *
form_decode(const char *s, size_t n)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	if ((out = o = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

char *
form_get(const char *form, const char *key)
{
	const char *p, *amp, *eq;
	size_t klen = strlen(key);

	for (p = form; p != NULL && *p != '\0'; p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = memchr(p, '=', amp ? (size_t)(amp - p) : strlen(p));
		if (eq == NULL || (size_t)(eq - p) != klen || strncmp(p, key, klen) != 0)
			continue;
		eq++;
		return form_decode(eq, amp ? (size_t)(amp - eq) : strlen(eq));
	}
	return NULL;
}

static enum shop_err
form_encode(struct buf *b, const char *s, int keep_brackets)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_brackets && (c == '[' || c == ']'))) {
			if (buf_append(b, s, 1) != SHOP_OK)
				return SHOP_ERR_NOMEM;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (buf_append(b, esc, 3) != SHOP_OK)
			return SHOP_ERR_NOMEM;
	}
	return SHOP_OK;
}

enum shop_err
form_add(struct buf *b, const char *key, const char *value)
{
	if ((b->len > 0 && buf_puts(b, "&") != SHOP_OK) ||
	    form_encode(b, key, 1) != SHOP_OK || buf_puts(b, "=") != SHOP_OK ||
	    form_encode(b, value, 0) != SHOP_OK)
		return SHOP_ERR_NOMEM;
	return SHOP_OK;
}

enum shop_err
form_addf(struct buf *b, const char *key, const char *fmt, ...)
{
	va_list ap;
	char value[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value))
		return SHOP_ERR_INPUT;
	return form_add(b, key, value);
}
