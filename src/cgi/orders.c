/* orders — GET /api/orders: the logged-in user's orders from data/orders.json, newest first. */
#include <stdlib.h>
#include <string.h>

#include "shop.h"

static int
orders_newest_first(const void *a, const void *b)
{
	long long ta = json_int_or(*(cJSON *const *)a, "created", 0);
	long long tb = json_int_or(*(cJSON *const *)b, "created", 0);

	return (ta < tb) - (ta > tb);
}

static void
orders_get(const struct config *cfg, const struct request *req)
{
	char path[600];
	cJSON *user, *all = NULL, *o, *answer = NULL, *list, **mine = NULL;
	const char *uid, *owner;
	size_t n = 0, i;
	enum shop_err e;

	if ((user = users_require_login(cfg, req)) == NULL)
		return;
	uid = json_str(user, "id");
	if ((e = config_path(cfg, "orders.json", path, sizeof(path))) != SHOP_OK ||
	    (e = store_read(path, &all)) != SHOP_OK)
		goto fail;
	e = SHOP_ERR_NOMEM;
	if ((mine = calloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(*mine))) == NULL)
		goto fail;
	cJSON_ArrayForEach(o, all)
		if ((owner = json_str(o, "user")) != NULL && strcmp(owner, uid) == 0)
			mine[n++] = o;
	qsort(mine, n, sizeof(*mine), orders_newest_first);
	if ((answer = cJSON_CreateObject()) == NULL ||
	    (list = cJSON_AddArrayToObject(answer, "orders")) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(list, orders_public(mine[i]));
	http_send_json(200, answer);
	e = SHOP_OK;
fail:
	if (e != SHOP_OK)
		http_send_failure(e);
	cJSON_Delete(answer);
	free(mine);
	cJSON_Delete(all);
	cJSON_Delete(user);
}

static const struct route routes[] = {
	{ HTTP_GET, orders_get },
};

int
main(void)
{
	return http_main("orders", routes, sizeof(routes) / sizeof(routes[0]), 0);
}
