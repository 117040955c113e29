/* password.c — argon2id password hashes through libsodium's crypto_pwhash_str. */
#include <string.h>

#include "shop.h"

/* Interactive limits: about 60 ms and 64 MiB on the shop's machines, the login budget. */
#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

enum shop_err
password_hash(const char *password, char out[PASSWORD_HASH_BYTES])
{
	if (crypto_pwhash_str_alg(out, password, strlen(password), PW_OPS, PW_MEM,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		LOG("crypto_pwhash_str failed (out of memory?)");
		return SHOP_ERR_NOMEM;
	}
	return SHOP_OK;
}

int
password_verify(const char *hash, const char *password)
{
	static char dummy[PASSWORD_HASH_BYTES];

	if (hash == NULL) {
		/* Unknown e-mail: spend the same time so timing does not reveal who exists. */
		if (dummy[0] == '\0' && password_hash("not a password", dummy) != SHOP_OK)
			return 0;
		if (crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
			LOG("the dummy hash matched");
		return 0;
	}
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
