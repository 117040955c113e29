/* catalog.c — where the product cache lives and how a catalogue webhook marks it stale. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "shop.h"

enum shop_err
catalog_cache_path(const struct config *cfg, char *out, size_t outsz)
{
	return config_path(cfg, "products-cache.json", out, outsz);
}

void
catalog_invalidate(const struct config *cfg)
{
	char path[600];
	const struct timespec epoch[2] = { { 0, 0 }, { 0, 0 } };

	/* An old mtime, not a removal: the stale copy still serves if Stripe is down. */
	if (catalog_cache_path(cfg, path, sizeof(path)) == SHOP_OK &&
	    utimensat(AT_FDCWD, path, epoch, 0) != 0 && errno != ENOENT)
		LOG("utimensat %s: %s", path, strerror(errno));
}
