/* register — POST /api/register {email, password, name}: creates the Stripe Customer and the
 * user in data/users.json, both or neither, then logs the new user in. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shop.h"

enum { F_EMAIL, F_PASSWORD, F_NAME, F__MAX };
static const struct json_field register_fields[F__MAX] = {
	[F_EMAIL] = { "email", valid_email, 1 },
	[F_PASSWORD] = { "password", valid_password, 1 },
	[F_NAME] = { "name", valid_name, 1 },
};

struct register_ctx {
	const struct config *cfg;
	const char	*email;		/* lowercased */
	const char	*name;
	const char	*hash;
	const char	*customer;
	char		 id[40];
	cJSON		*user;		/* out: a copy of the new user (owned) */
	struct stripe_result stripe;	/* the failed Stripe call, if one failed */
};

/* Runs under the users lock, so two identical forms sent at once make one user. Stripe is
 * never called here: a slow Stripe must not hold every other request up. */
static enum shop_err
register_add(cJSON *users, void *arg, int *changed)
{
	struct register_ctx *ctx = arg;
	const cJSON *u;
	const char *email;
	cJSON *user;

	cJSON_ArrayForEach(u, users)
		if ((email = json_str(u, "email")) != NULL && strcasecmp(email, ctx->email) == 0)
			return SHOP_ERR_CONFLICT;
	if ((user = cJSON_CreateObject()) == NULL)
		return SHOP_ERR_NOMEM;
	cJSON_AddStringToObject(user, "id", ctx->id);
	cJSON_AddStringToObject(user, "email", ctx->email);
	cJSON_AddStringToObject(user, "name", ctx->name);
	cJSON_AddStringToObject(user, "password_hash", ctx->hash);
	cJSON_AddStringToObject(user, "stripe_customer", ctx->customer);
	cJSON_AddNumberToObject(user, "created", (double)time(NULL));
	cJSON_AddItemToArray(users, user);
	if ((ctx->user = cJSON_Duplicate(user, 1)) == NULL)
		return SHOP_ERR_NOMEM;
	*changed = 1;
	return SHOP_OK;
}

static void
register_post(const struct config *cfg, const struct request *req)
{
	const char *in[F__MAX];
	char email[256], hash[PASSWORD_HASH_BYTES], path[600], customer[256];
	unsigned char rnd[16];
	struct register_ctx ctx;
	cJSON *root, *answer = NULL;
	enum shop_err e;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	if (json_input(req, register_fields, F__MAX, &root, in) != SHOP_OK)
		return;
	for (i = 0; in[F_EMAIL][i] != '\0' && i < sizeof(email) - 1; i++)
		email[i] = (char)tolower((unsigned char)in[F_EMAIL][i]);
	email[i] = '\0';
	/* Hash before taking the lock: it is the slow part. */
	e = password_hash(in[F_PASSWORD], hash);
	sodium_memzero((char *)in[F_PASSWORD], strlen(in[F_PASSWORD]));
	if (e != SHOP_OK)
		goto fail;
	ctx.cfg = cfg;
	ctx.email = email;
	ctx.name = in[F_NAME];
	ctx.hash = hash;
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(ctx.id, "u_", 2);
	sodium_bin2hex(ctx.id + 2, sizeof(ctx.id) - 2, rnd, sizeof(rnd));
	/* Taken already: answered without a word to Stripe. */
	if ((e = users_find_email(cfg, email, &answer)) != SHOP_ERR_NOTFOUND) {
		cJSON_Delete(answer);
		answer = NULL;
		if (e == SHOP_OK)
			goto taken;
		goto fail;
	}
	e = users_stripe_customer(cfg, email, "", customer, sizeof(customer), &ctx.stripe);
	if (e == SHOP_ERR_STRIPE || e == SHOP_ERR_NETWORK) {
		stripe_send_failure(e, &ctx.stripe);
		goto out;
	}
	ctx.customer = customer;
	if (e != SHOP_OK || (e = config_path(cfg, "users.json", path, sizeof(path))) != SHOP_OK)
		goto fail;
	if ((e = store_update(path, register_add, &ctx)) == SHOP_ERR_CONFLICT)
		goto taken;
	if (e != SHOP_OK || (e = session_set_cookie(cfg, ctx.user)) != SHOP_OK)
		goto fail;
	if ((answer = cJSON_CreateObject()) == NULL) {
		e = SHOP_ERR_NOMEM;
		goto fail;
	}
	users_describe_customer(cfg, customer, ctx.user);
	cJSON_AddItemToObject(answer, "user", users_public(ctx.user));
	http_send_json(201, answer);
	goto out;
taken:
	http_send_error(409, "email_taken", "email",
	    "An account with this e-mail address exists already. Log in instead.");
	goto out;
fail:
	http_send_failure(e);
out:
	stripe_result_free(&ctx.stripe);
	cJSON_Delete(ctx.user);
	cJSON_Delete(answer);
	cJSON_Delete(root);
}

static const struct route routes[] = {
	{ HTTP_POST, register_post },
};

int
main(void)
{
	return http_main("register", routes, sizeof(routes) / sizeof(routes[0]), 4096);
}
