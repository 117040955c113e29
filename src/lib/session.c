/* session.c — signed cookie sessions: "v1.<user id>.<expiry>.<MAC>", MAC = HMAC-SHA512/256
 * under the server key, base64url. Nothing is stored server-side. */
#include <stdio.h>
#include <string.h>

#include "shop.h"

#define MAC_B64_LEN sodium_base64_ENCODED_LEN(crypto_auth_hmacsha512256_BYTES, \
    sodium_base64_VARIANT_URLSAFE_NO_PADDING)

static void
session_mac(const struct config *cfg, const char *msg, size_t len, char out[MAC_B64_LEN])
{
	unsigned char mac[crypto_auth_hmacsha512256_BYTES];

	crypto_auth_hmacsha512256(mac, (const unsigned char *)msg, len, cfg->session_key);
	sodium_bin2base64(out, MAC_B64_LEN, mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum shop_err
session_make(const struct config *cfg, const char *user_id, time_t now, char *out, size_t outsz)
{
	char mac[MAC_B64_LEN];
	int n;

	if (!valid_user_id(user_id))
		return SHOP_ERR_INPUT;
	n = snprintf(out, outsz, "v1.%s.%lld", user_id, (long long)now + SESSION_MAX_AGE);
	if (n < 0 || (size_t)n >= outsz)
		return SHOP_ERR_NOMEM;
	session_mac(cfg, out, (size_t)n, mac);
	if ((size_t)n + 1 + strlen(mac) >= outsz)
		return SHOP_ERR_NOMEM;
	out[n] = '.';
	memcpy(out + n + 1, mac, strlen(mac) + 1);
	return SHOP_OK;
}

/* Copies the value of our cookie out of a Cookie header ("a=b; shop_session=…"). */
static int
session_cookie_value(const char *header, char *out, size_t outsz)
{
	const char *p = header, *end;
	size_t nlen = strlen(SESSION_COOKIE), vlen;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if (strncmp(p, SESSION_COOKIE, nlen) == 0 && p[nlen] == '=') {
			vlen = (size_t)(end - p - nlen - 1);
			if (vlen >= outsz)
				return 0;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}

enum shop_err
session_check(const struct config *cfg, const char *cookie_header, time_t now,
    char *user_id, size_t sz, time_t *issued)
{
	char value[256], mac[MAC_B64_LEN], num[24];
	char *dot1, *dot2, *dot3;
	long long expires;

	if (cookie_header == NULL || !session_cookie_value(cookie_header, value, sizeof(value)))
		return SHOP_ERR_AUTH;
	if (strncmp(value, "v1.", 3) != 0 || (dot1 = value + 2) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL || (dot3 = strchr(dot2 + 1, '.')) == NULL)
		return SHOP_ERR_AUTH;
	session_mac(cfg, value, (size_t)(dot3 - value), mac);
	if (strlen(dot3 + 1) != strlen(mac) ||
	    sodium_memcmp(dot3 + 1, mac, strlen(mac)) != 0)
		return SHOP_ERR_AUTH;
	if ((size_t)(dot3 - dot2 - 1) >= sizeof(num))
		return SHOP_ERR_AUTH;
	memcpy(num, dot2 + 1, (size_t)(dot3 - dot2 - 1));
	num[dot3 - dot2 - 1] = '\0';
	if (!parse_int(num, 0, 1LL << 40, &expires) || expires <= (long long)now)
		return SHOP_ERR_AUTH;
	*dot2 = '\0';
	if (!valid_user_id(dot1 + 1) || strlen(dot1 + 1) >= sz)
		return SHOP_ERR_AUTH;
	memcpy(user_id, dot1 + 1, strlen(dot1 + 1) + 1);
	if (issued != NULL)
		*issued = (time_t)(expires - SESSION_MAX_AGE);
	return SHOP_OK;
}

enum shop_err
session_set_cookie(const struct config *cfg, const cJSON *user)
{
	char value[256];
	enum shop_err e;
	const char *secure = cfg->secure_cookies ? "; Secure" : "";
	time_t now = time(NULL), after;

	if (user == NULL) {
		http_header("Set-Cookie: %s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
		    SESSION_COOKIE, secure);
		return SHOP_OK;
	}
	after = (time_t)json_int_or(user, "sessions_valid_after", 0);
	if ((e = session_make(cfg, json_str(user, "id"), now > after ? now : after, value,
	    sizeof(value))) != SHOP_OK)
		return e;
	http_header("Set-Cookie: %s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
	    SESSION_COOKIE, value, SESSION_MAX_AGE, secure);
	return SHOP_OK;
}
