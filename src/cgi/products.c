/* products — GET /api/products: the catalogue from Stripe (active products with an active
 * one-time default price), cached on disk for a short time so page views do not spend
 * Stripe's rate limit, and served stale when Stripe cannot be reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shop.h"

#define PRODUCTS_MAX_PAGES 20	/* 2000 products; a bound, not a wish */

/* The last body served, kept across FastCGI requests on purpose: a fresh cache file is
 * served from memory after one stat(). */
static struct {
	char	*body;
	size_t	 len;
	struct timespec mtime;
	ino_t	 ino;
} products_mem;

/* One product in the shop's shape, or NULL when it cannot be sold as a one-off. */
static cJSON *
products_entry(const cJSON *p)
{
	const cJSON *price = cJSON_GetObjectItemCaseSensitive(p, "default_price");
	const cJSON *images = cJSON_GetObjectItemCaseSensitive(p, "images");
	const char *type = json_str(price, "type"), *desc = json_str(p, "description");
	cJSON *out, *pr;
	long long amount;

	if (!cJSON_IsObject(price) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(price,
	    "active")) || type == NULL || strcmp(type, "one_time") != 0 ||
	    !json_int(cJSON_GetObjectItemCaseSensitive(price, "unit_amount"), 0, 1LL << 40,
	    &amount) || json_str(p, "id") == NULL || json_str(p, "name") == NULL ||
	    json_str(price, "id") == NULL || json_str(price, "currency") == NULL)
		return NULL;
	if ((out = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(out, "id", json_str(p, "id"));
	cJSON_AddStringToObject(out, "name", json_str(p, "name"));
	cJSON_AddStringToObject(out, "description", desc ? desc : "");
	cJSON_AddItemToObject(out, "images", cJSON_IsArray(images) ?
	    cJSON_Duplicate(images, 1) : cJSON_CreateArray());
	pr = cJSON_AddObjectToObject(out, "price");
	cJSON_AddStringToObject(pr, "id", json_str(price, "id"));
	cJSON_AddNumberToObject(pr, "unit_amount", (double)amount);
	cJSON_AddStringToObject(pr, "currency", json_str(price, "currency"));
	return out;
}

/* Asks Stripe for every active product, paging until has_more is false. Caller frees. */
static enum shop_err
products_fetch(const struct config *cfg, cJSON **out, struct stripe_result *fail)
{
	char path[512], last[256] = "";
	struct stripe_result res;
	const cJSON *p;
	cJSON *list, *entry;
	int page, more = 1;
	enum shop_err e;

	*out = NULL;
	if ((list = cJSON_CreateArray()) == NULL)
		return SHOP_ERR_NOMEM;
	for (page = 0; more && page < PRODUCTS_MAX_PAGES; page++) {
		snprintf(path, sizeof(path), "/v1/products?active=true&limit=100"
		    "&expand%%5B%%5D=data.default_price%s%s", last[0] ? "&starting_after=" : "",
		    last);
		if ((e = stripe_request(cfg, "GET", path, NULL, NULL, &res)) != SHOP_OK) {
			*fail = res;
			cJSON_Delete(list);
			return e;
		}
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(res.body, "data")) {
			if (json_str(p, "id") != NULL && valid_stripe_id(json_str(p, "id"), "prod_"))
				snprintf(last, sizeof(last), "%s", json_str(p, "id"));
			if ((entry = products_entry(p)) != NULL)
				cJSON_AddItemToArray(list, entry);
		}
		more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res.body, "has_more")) &&
		    last[0] != '\0';
		stripe_result_free(&res);
	}
	*out = list;
	return SHOP_OK;
}

/* Fetches from Stripe and replaces the cache file. */
static enum shop_err
products_refresh(const struct config *cfg, const char *path, struct stripe_result *fail)
{
	cJSON *list = NULL, *root;
	char *text = NULL;
	enum shop_err e;

	if ((e = products_fetch(cfg, &list, fail)) != SHOP_OK)
		return e;
	e = SHOP_ERR_NOMEM;
	if ((root = cJSON_CreateObject()) != NULL) {
		cJSON_AddItemToObject(root, "products", list);
		list = NULL;
		if ((text = cJSON_PrintUnformatted(root)) != NULL)
			e = store_write_file(path, text, strlen(text), 0644);
	}
	free(text);
	cJSON_Delete(list);
	cJSON_Delete(root);
	return e;
}

/* Serves the cache file, from memory when it is the same file as last time. */
static enum shop_err
products_serve(const char *path, const struct stat *st, int stale)
{
	char *body;
	size_t len;
	enum shop_err e;

	if (products_mem.body == NULL || products_mem.ino != st->st_ino ||
	    products_mem.mtime.tv_sec != st->st_mtim.tv_sec ||
	    products_mem.mtime.tv_nsec != st->st_mtim.tv_nsec) {
		if ((e = store_read_file(path, &body, &len)) != SHOP_OK)
			return e;
		free(products_mem.body);
		products_mem.body = body;
		products_mem.len = len;
		products_mem.ino = st->st_ino;
		products_mem.mtime = st->st_mtim;
	}
	http_header("Cache-Control: no-cache");	/* a catalogue change shows at once */
	http_header("X-Cache: %s", stale ? "stale" : "hit");
	http_send_raw(200, "application/json", products_mem.body, products_mem.len);
	return SHOP_OK;
}

static void
products_get(const struct config *cfg, const struct request *req)
{
	char path[600];
	struct stat st;
	struct stripe_result fail = { 0 };
	enum shop_err e;
	int have = 0;

	if ((e = catalog_cache_path(cfg, path, sizeof(path))) != SHOP_OK) {
		http_send_failure(e);
		return;
	}
	have = stat(path, &st) == 0;
	if (have && st.st_mtime + cfg->products_ttl > time(NULL) && st.st_mtime <= time(NULL))
		e = products_serve(path, &st, 0);
	else if ((e = products_refresh(cfg, path, &fail)) == SHOP_OK && stat(path, &st) == 0)
		e = products_serve(path, &st, 0);
	else if (have && (e == SHOP_ERR_STRIPE || e == SHOP_ERR_NETWORK)) {
		LOG("Stripe failed (%s); serving the cached catalogue", shop_strerror(e));
		e = products_serve(path, &st, 1);
	} else if (e == SHOP_ERR_STRIPE || e == SHOP_ERR_NETWORK) {
		stripe_send_failure(e, &fail);
		e = SHOP_OK;
	}
	if (e != SHOP_OK)
		http_send_failure(e);
	stripe_result_free(&fail);
}

static const struct route routes[] = {
	{ HTTP_GET, products_get },
};

int
main(void)
{
	return http_main("products", routes, sizeof(routes) / sizeof(routes[0]), 0);
}
