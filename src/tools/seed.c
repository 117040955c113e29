/* seed — creates the demo catalogue through the Stripe API (so it works on a real test
 * account too): products with SEK prices and images from public/, and three promotion
 * codes. Fixed ids and codes make a second run create nothing. */
#include <stdio.h>
#include <string.h>

#include "shop.h"

struct demo_product {
	const char	*id, *name, *description, *image;
	long long	 amount;	/* öre */
};

/* Listed last-first: Stripe lists newest first, so the shop shows them in this order. */
static const struct demo_product demo_products[] = {
	{ "prod_demo_bowl", "Ceramic bowl", "A wide, glazed stoneware bowl for soup, salad or "
	    "fruit. Thrown by hand, so no two are alike.", "bowl", 24900 },
	{ "prod_demo_towel", "Tea towel", "Heavy linen-cotton weave that dries glasses without "
	    "lint. Striped in Swedish summer blue.", "towel", 9900 },
	{ "prod_demo_spoon", "Wooden spoon", "Carved from a single piece of birch and oiled "
	    "with linseed. Kind to every pan.", "spoon", 6900 },
	{ "prod_demo_candle", "Scented candle", "Rapeseed wax with birch leaf and juniper, about "
	    "40 hours of slow, even burning.", "candle", 17900 },
	{ "prod_demo_socks", "Wool socks", "Thick, soft socks in Gotland wool, knitted for "
	    "cold wooden floors.", "socks", 12900 },
	{ "prod_demo_notebook", "Dot-grid notebook", "A5, 160 pages of 100 g paper that takes "
	    "fountain pen ink, bound to lie flat.", "notebook", 8900 },
	{ "prod_demo_tote", "Linen tote bag", "A roomy bag in washed linen with long handles "
	    "and an inside pocket.", "tote", 19900 },
	{ "prod_demo_mug", "Stoneware mug", "A hand-glazed 35 cl mug that keeps coffee warm "
	    "and sits well in the hand.", "mug", 14900 },
};

struct demo_code {
	const char	*coupon, *code, *name;
	int		 percent_off;
	long long	 amount_off, minimum_amount;
};

static const struct demo_code demo_codes[] = {
	{ "demo_save10", "SAVE10", "10 % off", 10, 0, 0 },
	{ "demo_sek50", "SEK50", "50 kr off", 0, 5000, 0 },
	{ "demo_big100", "BIG100", "100 kr off orders from 500 kr", 0, 10000, 50000 },
};

/* 1 when GET path answers 200, 0 on 404, -1 on any other failure. */
static int
seed_exists(const struct config *cfg, const char *path)
{
	struct stripe_result res;
	enum shop_err e = stripe_request(cfg, "GET", path, NULL, NULL, &res);
	int found = e == SHOP_OK;

	if (e != SHOP_OK && !(e == SHOP_ERR_STRIPE && res.status == 404)) {
		fprintf(stderr, "seed: GET %s failed: %s\n", path, shop_strerror(e));
		found = -1;
	}
	stripe_result_free(&res);
	return found;
}

static int
seed_post(const struct config *cfg, const char *path, const struct buf *form, const char *what)
{
	struct stripe_result res;
	enum shop_err e = stripe_request(cfg, "POST", path, form->data, NULL, &res);
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(res.body, "error");

	if (e != SHOP_OK)
		fprintf(stderr, "seed: creating %s failed: %s%s%s\n", what, shop_strerror(e),
		    err ? ": " : "", err ? json_str(err, "message") : "");
	else
		printf("seed: created %s\n", what);
	stripe_result_free(&res);
	return e == SHOP_OK ? 0 : -1;
}

static int
seed_product(const struct config *cfg, const struct demo_product *p)
{
	char path[300];
	struct buf f = { 0 };
	int found, rc = -1;

	snprintf(path, sizeof(path), "/v1/products/%s", p->id);
	if ((found = seed_exists(cfg, path)) != 0)
		return found < 0 ? -1 : 0;
	if (form_add(&f, "id", p->id) == SHOP_OK && form_add(&f, "name", p->name) == SHOP_OK &&
	    form_add(&f, "description", p->description) == SHOP_OK &&
	    form_addf(&f, "images[0]", "%s/img/%s.svg", cfg->base_url, p->image) == SHOP_OK &&
	    form_addf(&f, "default_price_data[unit_amount]", "%lld", p->amount) == SHOP_OK &&
	    form_add(&f, "default_price_data[currency]", "sek") == SHOP_OK)
		rc = seed_post(cfg, "/v1/products", &f, p->name);
	buf_free(&f);
	return rc;
}

static int
seed_code(const struct config *cfg, const struct demo_code *c)
{
	char path[300];
	struct buf f = { 0 }, q = { 0 };
	struct stripe_result res;
	int found, rc = -1;

	snprintf(path, sizeof(path), "/v1/coupons/%s", c->coupon);
	if ((found = seed_exists(cfg, path)) < 0)
		return -1;
	if (!found) {
		if (form_add(&f, "id", c->coupon) || form_add(&f, "name", c->name) ||
		    form_add(&f, "duration", "once") || (c->percent_off ?
		    form_addf(&f, "percent_off", "%d", c->percent_off) :
		    (form_addf(&f, "amount_off", "%lld", c->amount_off) ||
		    form_add(&f, "currency", "sek"))) ||
		    seed_post(cfg, "/v1/coupons", &f, c->name) != 0)
			goto out;
		buf_free(&f);
	}
	if (buf_puts(&q, "/v1/promotion_codes?limit=1") || form_add(&q, "code", c->code))
		goto out;
	if (stripe_request(cfg, "GET", q.data, NULL, NULL, &res) != SHOP_OK) {
		fprintf(stderr, "seed: looking up %s failed\n", c->code);
		stripe_result_free(&res);
		goto out;
	}
	found = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res.body, "data")) > 0;
	stripe_result_free(&res);
	if (found) {
		rc = 0;
		goto out;
	}
	if (form_add(&f, "code", c->code) || form_add(&f, "promotion[type]", "coupon") ||
	    form_add(&f, "promotion[coupon]", c->coupon) || (c->minimum_amount > 0 &&
	    (form_addf(&f, "restrictions[minimum_amount]", "%lld", c->minimum_amount) ||
	    form_add(&f, "restrictions[minimum_amount_currency]", "sek"))))
		goto out;
	rc = seed_post(cfg, "/v1/promotion_codes", &f, c->code);
out:
	buf_free(&f);
	buf_free(&q);
	return rc;
}

/* 1 when the account has no product at all, 0 when it has, -1 when Stripe cannot say. */
static int
seed_catalogue_empty(const struct config *cfg)
{
	struct stripe_result res;
	enum shop_err e = stripe_request(cfg, "GET", "/v1/products?limit=1", NULL, NULL, &res);
	int empty = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res.body, "data")) == 0;

	if (e != SHOP_OK)
		fprintf(stderr, "seed: cannot list products at %s: %s\n", cfg->stripe_api_base,
		    shop_strerror(e));
	stripe_result_free(&res);
	return e != SHOP_OK ? -1 : empty;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	size_t i;
	int rc = 0, empty;

	log_init("seed");
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--if-empty") != 0)) {
		fprintf(stderr, "usage: seed [--if-empty]   (configured by the environment, "
		    "see README)\n");
		return 2;
	}
	if (config_load(&cfg) != SHOP_OK)
		return 1;
	if (argc == 2) {
		if ((empty = seed_catalogue_empty(&cfg)) < 0)
			return 1;
		if (!empty) {
			printf("seed: the catalogue has products; not seeding\n");
			return 0;
		}
	}
	for (i = 0; i < sizeof(demo_products) / sizeof(demo_products[0]); i++)
		if (seed_product(&cfg, &demo_products[i]) != 0)
			rc = 1;
	for (i = 0; i < sizeof(demo_codes) / sizeof(demo_codes[0]); i++)
		if (seed_code(&cfg, &demo_codes[i]) != 0)
			rc = 1;
	printf("seed: %s\n", rc == 0 ? "the demo catalogue is in place" : "some steps failed");
	return rc;
}
