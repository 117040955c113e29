/* login — who is logged in (GET), log in (POST {email, password}), log out (DELETE). */
#include <string.h>

#include "shop.h"

/* Any password is worth checking: a wrong one is a 401, not a 400. */
static int
valid_any_password(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) <= 256;
}

enum { F_EMAIL, F_PASSWORD, F__MAX };
static const struct json_field login_fields[F__MAX] = {
	[F_EMAIL] = { "email", valid_email, 1 },
	[F_PASSWORD] = { "password", valid_any_password, 1 },
};

static void
login_answer_user(int status, const cJSON *user)
{
	cJSON *answer = cJSON_CreateObject();

	if (answer == NULL) {
		http_send_failure(SHOP_ERR_NOMEM);
		return;
	}
	cJSON_AddItemToObject(answer, "user", users_public(user));
	http_send_json(status, answer);
	cJSON_Delete(answer);
}

static void
login_get(const struct config *cfg, const struct request *req)
{
	cJSON *user;

	if ((user = users_require_login(cfg, req)) == NULL)
		return;
	login_answer_user(200, user);
	cJSON_Delete(user);
}

static void
login_post(const struct config *cfg, const struct request *req)
{
	const char *in[F__MAX];
	cJSON *root, *user = NULL;
	enum shop_err e;

	if (json_input(req, login_fields, F__MAX, &root, in) != SHOP_OK)
		return;
	e = users_find_email(cfg, in[F_EMAIL], &user);
	if (e != SHOP_OK && e != SHOP_ERR_NOTFOUND)
		http_send_failure(e);
	else if (!password_verify(user ? json_str(user, "password_hash") : NULL, in[F_PASSWORD]))
		http_send_error(401, "invalid_credentials", NULL,
		    "The e-mail address or the password is wrong.");
	else if ((e = session_set_cookie(cfg, user)) != SHOP_OK)
		http_send_failure(e);
	else
		login_answer_user(200, user);
	sodium_memzero((char *)in[F_PASSWORD], strlen(in[F_PASSWORD]));	/* borrowed from root */
	cJSON_Delete(user);
	cJSON_Delete(root);
}

/* Logs out everywhere: every cookie the user holds, copied or stolen, stops working. The
 * +1 makes a cookie made in this same second old too. */
static void
login_delete(const struct config *cfg, const struct request *req)
{
	char id[64];
	enum shop_err e;

	if (session_check(cfg, req->cookie, time(NULL), id, sizeof(id), NULL) == SHOP_OK &&
	    (e = users_set(cfg, id, "sessions_valid_after",
	    cJSON_CreateNumber((double)time(NULL) + 1))) != SHOP_OK && e != SHOP_ERR_NOTFOUND) {
		http_send_failure(e);
		return;
	}
	session_set_cookie(cfg, NULL);
	http_send_empty(204);
}

static const struct route routes[] = {
	{ HTTP_GET, login_get },
	{ HTTP_POST, login_post },
	{ HTTP_DELETE, login_delete },
};

int
main(void)
{
	return http_main("login", routes, sizeof(routes) / sizeof(routes[0]), 4096);
}
