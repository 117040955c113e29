/* valid.c — validators for every string the shop accepts: pure functions, tested by table. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

/* Accepts a practical subset of RFC 5321 addresses: local@domain.tld, printable ASCII. */
int
valid_email(const char *s)
{
	const char *at, *dot, *p;
	size_t len;

	if (s == NULL || (len = strlen(s)) < 3 || len > 254)
		return 0;
	if ((at = strchr(s, '@')) == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	if (at - s > 64)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (p < at && strchr("!#$%&'*+-/=?^_`{|}~.", *p) == NULL && !isalnum((unsigned char)*p))
			return 0;
		if (p > at && *p != '-' && *p != '.' && !isalnum((unsigned char)*p))
			return 0;
	}
	if (s[0] == '.' || at[-1] == '.' || strstr(s, "..") != NULL)
		return 0;
	dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' || strlen(dot + 1) < 2)
		return 0;
	if (at[1] == '-' || at[1] == '.' || s[len - 1] == '-' || s[len - 1] == '.')
		return 0;
	/* No domain label starts or ends with a dash. */
	for (p = at + 1; *p != '\0'; p++)
		if (*p == '-' && (p[-1] == '.' || p[1] == '.' || p[-1] == '@'))
			return 0;
	return 1;
}

int
valid_password(const char *s)
{
	size_t len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	return len >= 8 && len <= 256;
}

/* Invisible characters that can hide or reorder text: zero-width, bidi controls, BOM. */
static int
invisible(unsigned int cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* UTF-8 well-formedness without overlongs or surrogates; no C0/C1 controls, no invisible
 * characters; 1 to 100 characters (as a form's maxlength counts), something visible. */
int
valid_name(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, n, i, chars = 0;
	unsigned int cp;
	int visible = 0;

	if (s == NULL || (len = strlen(s)) == 0 || len > 400)
		return 0;
	while (*p != '\0') {
		if (++chars > 100)
			return 0;
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return 0;
			visible |= *p != ' ';
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) { n = 1; cp = *p & 0x1f; }
		else if ((*p & 0xf0) == 0xe0) { n = 2; cp = *p & 0x0f; }
		else if ((*p & 0xf8) == 0xf0) { n = 3; cp = *p & 0x07; }
		else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0) ||
		    invisible(cp))
			return 0;
		visible |= cp != 0xa0 && cp != 0x3000 && !(cp >= 0x2000 && cp <= 0x200a);
		p += n + 1;
	}
	return visible;
}

int
valid_stripe_id(const char *s, const char *prefix)
{
	size_t plen, len, i;

	if (s == NULL || prefix == NULL)
		return 0;
	plen = strlen(prefix);
	len = strlen(s);
	if (len <= plen || len > 255 || strncmp(s, prefix, plen) != 0)
		return 0;
	for (i = plen; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

int
valid_price_id(const char *s)
{
	return valid_stripe_id(s, "price_");
}

int
valid_session_id(const char *s)
{
	return valid_stripe_id(s, "cs_test_") || valid_stripe_id(s, "cs_live_");
}

int
valid_promo_code(const char *s)
{
	size_t len, i;

	if (s == NULL || (len = strlen(s)) == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int
valid_user_id(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "u_", 2) != 0 || strlen(s) != 34)
		return 0;
	for (i = 2; i < 34; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return 0;
	*out = v;
	return 1;
}
