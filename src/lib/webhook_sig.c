/* webhook_sig.c — Stripe-Signature: HMAC-SHA256 over "<t>.<body>", checked in constant time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

#define SIG_HEX_LEN (2 * crypto_auth_hmacsha256_BYTES)

void
webhook_sign(const char *secret, time_t t, const char *payload, size_t len,
    char hex[SIG_HEX_LEN + 1])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[32];

	snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, SIG_HEX_LEN + 1, mac, sizeof(mac));
}

enum shop_err
webhook_verify(const char *secret, const char *header, const char *payload, size_t len,
    time_t now, long tolerance)
{
	char expect[SIG_HEX_LEN + 1];
	const char *p, *end;
	long long t = -1;
	int have_v1 = 0, match = 0;
	char num[24];
	size_t n;

	if (secret == NULL || *secret == '\0' || header == NULL)
		return SHOP_ERR_AUTH;
	/* First pass: the timestamp. Items are "k=v" separated by commas. */
	for (p = header; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		if (strncmp(p, "t=", 2) == 0 && (n = (size_t)(end - p - 2)) < sizeof(num)) {
			memcpy(num, p + 2, n);
			num[n] = '\0';
			if (!parse_int(num, 0, 1LL << 40, &t))
				return SHOP_ERR_AUTH;
		}
	}
	if (t < 0 || (long long)now - t > tolerance || t - (long long)now > tolerance)
		return SHOP_ERR_AUTH;
	webhook_sign(secret, (time_t)t, payload, len, expect);
	/* Second pass: any v1 may match; v0 and unknown schemes are ignored. */
	for (p = header; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		if (strncmp(p, "v1=", 3) != 0)
			continue;
		have_v1 = 1;
		if ((size_t)(end - p - 3) == SIG_HEX_LEN &&
		    sodium_memcmp(p + 3, expect, SIG_HEX_LEN) == 0)
			match = 1;
	}
	return have_v1 && match ? SHOP_OK : SHOP_ERR_AUTH;
}
