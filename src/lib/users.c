/* users.c — looking up shop users (data/users.json) and the logged-in user of a request. */
#include <string.h>
#include <strings.h>

#include "shop.h"

/* Finds the entry whose key equals value (ignoring case when nocase) and detaches a copy. */
static enum shop_err
users_find(const struct config *cfg, const char *key, const char *value, int nocase,
    cJSON **out)
{
	char path[600];
	cJSON *users = NULL, *u;
	const char *v;
	enum shop_err e;

	*out = NULL;
	if ((e = config_path(cfg, "users.json", path, sizeof(path))) != SHOP_OK ||
	    (e = store_read(path, &users)) != SHOP_OK)
		return e;
	e = SHOP_ERR_NOTFOUND;
	cJSON_ArrayForEach(u, users) {
		if ((v = json_str(u, key)) == NULL)
			continue;
		if (nocase ? strcasecmp(v, value) == 0 : strcmp(v, value) == 0) {
			*out = cJSON_Duplicate(u, 1);
			e = *out ? SHOP_OK : SHOP_ERR_NOMEM;
			break;
		}
	}
	cJSON_Delete(users);
	return e;
}

enum shop_err
users_find_id(const struct config *cfg, const char *id, cJSON **out)
{
	return users_find(cfg, "id", id, 0, out);
}

enum shop_err
users_find_email(const struct config *cfg, const char *email, cJSON **out)
{
	return users_find(cfg, "email", email, 1, out);
}

cJSON *
users_require_login(const struct config *cfg, const struct request *req)
{
	char id[64];
	cJSON *user = NULL;
	enum shop_err e;

	if (session_check(cfg, req->cookie, time(NULL), id, sizeof(id)) != SHOP_OK) {
		http_send_error(401, "not_logged_in", NULL, "Please log in first.");
		return NULL;
	}
	if ((e = users_find_id(cfg, id, &user)) == SHOP_ERR_NOTFOUND) {
		/* A valid cookie for a user who no longer exists: log the browser out. */
		session_set_cookie(cfg, NULL);
		http_send_error(401, "not_logged_in", NULL, "Please log in first.");
		return NULL;
	}
	if (e != SHOP_OK) {
		http_send_failure(e);
		return NULL;
	}
	return user;
}

cJSON *
users_public(const cJSON *user)
{
	cJSON *pub = cJSON_CreateObject();

	if (pub == NULL)
		return NULL;
	if (cJSON_AddStringToObject(pub, "email", json_str(user, "email")) == NULL ||
	    cJSON_AddStringToObject(pub, "name", json_str(user, "name")) == NULL) {
		cJSON_Delete(pub);
		return NULL;
	}
	return pub;
}
