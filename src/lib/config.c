/* config.c — the shop's configuration, read once per process from the environment and data/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shop.h"

/* Copies getenv(name) or def into out; fails on truncation. */
static enum shop_err
config_str(const char *name, const char *def, char *out, size_t outsz)
{
	const char *v = getenv(name);
	size_t len;

	if (v == NULL || *v == '\0')
		v = def;
	if ((len = strlen(v)) >= outsz) {
		LOG("%s is too long", name);
		return SHOP_ERR_CONFIG;
	}
	memcpy(out, v, len + 1);
	while (len > 0 && out[len - 1] == '/')	/* URLs and folders without a trailing slash */
		out[--len] = '\0';
	return SHOP_OK;
}

static long
config_long(const char *name, long def, long min, long max)
{
	long long v;

	if (!parse_int(getenv(name), min, max, &v))
		return def;
	return (long)v;
}

enum shop_err
config_path(const struct config *cfg, const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", cfg->data_dir, name);

	if (n < 0 || (size_t)n >= outsz) {
		LOG("path too long: %s/%s", cfg->data_dir, name);
		return SHOP_ERR_CONFIG;
	}
	return SHOP_OK;
}

/* Loads the session key from data/session.key, creating it (0600) if missing. Concurrent
 * first starts race safely: each writes its own temp file and link() lets exactly one win. */
static enum shop_err
config_session_key(struct config *cfg)
{
	char path[600], tmp[640];
	unsigned char key[SESSION_KEY_BYTES];
	char *data = NULL;
	size_t len;
	enum shop_err e;
	const char *hex = getenv("SHOP_SESSION_KEY");

	if (hex != NULL && *hex != '\0') {
		if (sodium_hex2bin(cfg->session_key, sizeof(cfg->session_key), hex, strlen(hex),
		    NULL, &len, NULL) != 0 || len != sizeof(cfg->session_key)) {
			LOG("SHOP_SESSION_KEY must be %zu bytes in hex", sizeof(cfg->session_key));
			return SHOP_ERR_CONFIG;
		}
		return SHOP_OK;
	}
	if ((e = config_path(cfg, "session.key", path, sizeof(path))) != SHOP_OK)
		return e;
	if (access(path, F_OK) != 0) {
		snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
		randombytes_buf(key, sizeof(key));
		e = store_write_file(tmp, (const char *)key, sizeof(key), 0600);
		sodium_memzero(key, sizeof(key));
		if (e != SHOP_OK)
			return e;
		if (link(tmp, path) != 0 && errno != EEXIST) {
			LOG("link %s: %s", path, strerror(errno));
			unlink(tmp);
			return SHOP_ERR_IO;
		}
		unlink(tmp);
	}
	if ((e = store_read_file(path, &data, &len)) != SHOP_OK)
		return e;
	if (len != sizeof(cfg->session_key)) {
		LOG("%s: wrong size (%zu bytes)", path, len);
		sodium_memzero(data, len);
		free(data);
		return SHOP_ERR_CONFIG;
	}
	memcpy(cfg->session_key, data, len);
	sodium_memzero(data, len);
	free(data);
	return SHOP_OK;
}

/* STRIPE_WEBHOOK_SECRET, else the first line of data/webhook-secret (written by make run). */
static enum shop_err
config_webhook_secret(struct config *cfg)
{
	char path[600];
	char *data = NULL;
	size_t len;
	enum shop_err e;

	if ((e = config_str("STRIPE_WEBHOOK_SECRET", "", cfg->webhook_secret,
	    sizeof(cfg->webhook_secret))) != SHOP_OK || cfg->webhook_secret[0] != '\0')
		return e;
	if ((e = config_path(cfg, "webhook-secret", path, sizeof(path))) != SHOP_OK)
		return e;
	if (store_read_file(path, &data, &len) != SHOP_OK)
		return SHOP_OK;		/* no secret: every webhook is refused */
	data[strcspn(data, "\r\n")] = '\0';
	if (strlen(data) < sizeof(cfg->webhook_secret))
		memcpy(cfg->webhook_secret, data, strlen(data) + 1);
	sodium_memzero(data, len);
	free(data);
	return SHOP_OK;
}

enum shop_err
config_load(struct config *cfg)
{
	enum shop_err e;
	int have_key;

	memset(cfg, 0, sizeof(*cfg));
	if (sodium_init() < 0) {
		LOG("sodium_init failed");
		return SHOP_ERR_CONFIG;
	}
	have_key = getenv("STRIPE_SECRET_KEY") != NULL && *getenv("STRIPE_SECRET_KEY") != '\0';
	if ((e = config_str("SHOP_DATA_DIR", "data", cfg->data_dir, sizeof(cfg->data_dir))) ||
	    (e = config_str("SHOP_BASE_URL", "http://127.0.0.1:8080", cfg->base_url,
	    sizeof(cfg->base_url))) ||
	    (e = config_str("STRIPE_SECRET_KEY", STRIPE_EMU_DEFAULT_KEY, cfg->stripe_key,
	    sizeof(cfg->stripe_key))) ||
	    (e = config_str("STRIPE_API_BASE", have_key ? "https://api.stripe.com" :
	    STRIPE_EMU_DEFAULT_BASE, cfg->stripe_api_base, sizeof(cfg->stripe_api_base))))
		return e;
	cfg->secure_cookies = strncmp(cfg->base_url, "https://", 8) == 0;
	cfg->products_ttl = config_long("SHOP_PRODUCTS_TTL", 60, 0, 60);
	cfg->stripe_timeout = config_long("SHOP_STRIPE_TIMEOUT", 10, 1, 60);
	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
		LOG("mkdir %s: %s", cfg->data_dir, strerror(errno));
		return SHOP_ERR_IO;
	}
	if ((e = config_webhook_secret(cfg)) != SHOP_OK)
		return e;
	return config_session_key(cfg);
}
