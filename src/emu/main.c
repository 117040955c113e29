/*
 * main.c: stripe-emu, a local stateful Stripe for development and tests. Reads the command
 * line and environment, serves HTTP with libmicrohttpd (a thread per connection, one mutex
 * around all state), authenticates, routes /v1/… to the API handlers, /_emu/… to the control
 * endpoint, /c/pay/… to the hosted payment page and /admin to the owner's page (loopback
 * callers only), replays idempotent POSTs (409 while one is in flight), applies injected
 * faults, and saves state on SIGTERM/SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <sodium.h>

#include "emu.h"

struct emu_config emu_cfg;
pthread_mutex_t emu_mu = PTHREAD_MUTEX_INITIALIZER;

/* Per-connection state, created by the URI log callback, freed when the request ends. */
struct conn {
	char *uri;               /* raw request target, query string included */
	char *body;
	size_t len, cap;
	int started, too_big;
	struct timeval t0;
};

/* A route either has a handler, or names the type that a plain GET by id retrieves. */
struct route {
	const char *method, *pattern;
	emu_handler fn;
	const char *get_type;
};

/* Longer patterns first where a literal segment competes with an id (customers/search). */
static const struct route g_routes[] = {
	{"POST", "/v1/products", api_products_create, NULL},
	{"GET", "/v1/products", api_products_list, NULL},
	{"GET", "/v1/products/*", NULL, "product"},
	{"POST", "/v1/products/*", api_products_update, NULL},
	{"POST", "/v1/prices", api_prices_create, NULL},
	{"GET", "/v1/prices", api_prices_list, NULL},
	{"GET", "/v1/prices/*", NULL, "price"},
	{"POST", "/v1/prices/*", api_prices_update, NULL},
	{"POST", "/v1/customers", api_customers_create, NULL},
	{"GET", "/v1/customers", api_customers_list, NULL},
	{"GET", "/v1/customers/search", api_customers_search, NULL},
	{"GET", "/v1/customers/*", NULL, "customer"},
	{"POST", "/v1/customers/*", api_customers_update, NULL},
	{"POST", "/v1/coupons", api_coupons_create, NULL},
	{"GET", "/v1/coupons", api_coupons_list, NULL},
	{"GET", "/v1/coupons/*", NULL, "coupon"},
	{"POST", "/v1/promotion_codes", api_promos_create, NULL},
	{"GET", "/v1/promotion_codes", api_promos_list, NULL},
	{"GET", "/v1/promotion_codes/*", NULL, "promotion_code"},
	{"POST", "/v1/promotion_codes/*", api_promos_update, NULL},
	{"POST", "/v1/checkout/sessions", co_create, NULL},
	{"GET", "/v1/checkout/sessions", co_list, NULL},
	{"GET", "/v1/checkout/sessions/*", NULL, "checkout.session"},
	{"GET", "/v1/checkout/sessions/*/line_items", co_line_items, NULL},
	{"POST", "/v1/checkout/sessions/*/expire", co_expire, NULL},
	{"GET", "/v1/events", api_events_list, NULL},
	{"GET", "/v1/events/*", NULL, "event"},
	{"POST", "/v1/payment_intents", api_pi_create, NULL},
	{"GET", "/v1/payment_intents/*", NULL, "payment_intent"},
	{NULL, NULL, NULL, NULL}
};

/* An Idempotency-Key whose POST is being handled now; the node lives on that request's
 * stack. The list is guarded by emu_mu. */
struct inflight {
	const char *key;
	struct inflight *next;
};
static struct inflight *g_inflight;

struct setting;

static void usage(void);
static int config_load(int argc, char **argv);
static const struct route *route_find(const char *method, const char *path, char *arg,
    size_t argn);
static int auth_check(struct MHD_Connection *c, struct emu_resp *rs);
static int idem_begin(struct emu_req *rq, const char *hash, struct emu_resp *rs,
    char *orig_req, size_t n);
static void idem_save(struct emu_req *rq, const char *hash, const struct emu_resp *rs);
static int inflight_add(struct inflight *node, const char *key);
static void inflight_remove(struct inflight *node);
static int parse_params(const struct conn *cn, struct emu_req *rq, struct emu_resp *rs);
static void api_run(const struct conn *cn, struct emu_req *rq, struct emu_resp *rs,
    int *replayed, char *orig_req, size_t origlen);
static void handle_api(struct MHD_Connection *c, struct conn *cn, struct emu_req *rq,
    struct emu_resp *rs, int *replayed, char *orig_req, size_t origlen);
static void handle_control(struct MHD_Connection *c, const struct conn *cn,
    struct emu_req *rq, struct emu_resp *rs);
static int is_loopback(struct MHD_Connection *c);
static void handle_admin(struct MHD_Connection *c, const struct conn *cn,
    struct emu_req *rq, struct emu_resp *rs);
static void handle_page(const struct conn *cn, struct emu_req *rq, struct emu_resp *rs);
static int setting_put(const struct setting *s, const char *v);
static int webhook_secret_load(void);
static void idem_hash(const struct emu_req *rq, const struct conn *cn, char *hex, size_t n);
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c);
static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe);
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **con_cls);
static void on_signal(int sig);
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static enum MHD_Result send_resp(struct MHD_Connection *c, struct emu_req *rq,
    struct emu_resp *rs, int replayed, const char *orig_req);

void
emu_log(const char *fn, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "stripe-emu: %s: ", fn);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
}

void
emu_resp_json(struct emu_resp *rs, int status, cJSON *obj)
{
	free(rs->body);
	rs->status = status;
	rs->body = cJSON_PrintUnformatted(obj);
	rs->ctype = NULL;
	cJSON_Delete(obj);
}

void
emu_resp_html(struct emu_resp *rs, int status, char *html)
{
	free(rs->body);
	rs->status = status;
	rs->body = html;
	rs->ctype = "text/html; charset=utf-8";
}

/* Answers with Stripe's error shape: {"error":{type, code, message, param, doc_url}}. */
void
emu_error(struct emu_resp *rs, int status, const char *type, const char *code,
    const char *param, const char *fmt, ...)
{
	char msg[1024], url[200];
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (code != NULL) {
		cJSON_AddStringToObject(e, "code", code);
		snprintf(url, sizeof(url), "https://stripe.com/docs/error-codes/%s", code);
		for (char *p = url; *p; p++)
			if (*p == '_')
				*p = '-';
		cJSON_AddStringToObject(e, "doc_url", url);
	}
	cJSON_AddStringToObject(e, "message", msg);
	if (param != NULL)
		cJSON_AddStringToObject(e, "param", param);
	cJSON_AddStringToObject(e, "type", type);
	emu_resp_json(rs, status, o);
}

/* A 400 invalid_request_error about one parameter. */
void
emu_bad(struct emu_resp *rs, const char *param, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emu_error(rs, 400, "invalid_request_error", NULL, param, "%s", msg);
}

/* Stripe's answer for an unknown id: 404 on the object's own URL, 400 when it was a
 * parameter (param != NULL). */
void
emu_missing_obj(struct emu_resp *rs, const char *what, const char *id, const char *param)
{
	emu_error(rs, param != NULL ? 400 : 404, "invalid_request_error", "resource_missing",
	    param != NULL ? param : "id", "No such %s: '%s'", what, id != NULL ? id : "");
}

static char g_port[16] = "12111";

/* Every setting: its flag, its environment variable (flags win), and where it goes. */
static const struct setting {
	const char *flag, *env;
	char *dst;
	size_t size;
} g_settings[] = {
	{"--host", "STRIPE_EMU_HOST", emu_cfg.host, sizeof(emu_cfg.host)},
	{"--port", "STRIPE_EMU_PORT", g_port, sizeof(g_port)},
	{"--state", "STRIPE_EMU_STATE", emu_cfg.state_dir, sizeof(emu_cfg.state_dir)},
	{"--public-url", "STRIPE_EMU_PUBLIC_URL", emu_cfg.public_url, sizeof(emu_cfg.public_url)},
	{"--webhook", "STRIPE_EMU_WEBHOOK_URL", emu_cfg.webhook_url, sizeof(emu_cfg.webhook_url)},
	{"--webhook-secret", "STRIPE_WEBHOOK_SECRET", emu_cfg.webhook_secret,
	    sizeof(emu_cfg.webhook_secret)},
	{NULL, NULL, NULL, 0}
};

static void
usage(void)
{
	fputs("usage: stripe-emu [--host 127.0.0.1] [--port 12111] [--state DIR] "
	    "[--public-url URL]\n                  [--webhook URL] [--webhook-secret whsec_...]\n"
	    "env: STRIPE_EMU_HOST STRIPE_EMU_PORT STRIPE_EMU_STATE STRIPE_EMU_PUBLIC_URL "
	    "STRIPE_EMU_WEBHOOK_URL STRIPE_WEBHOOK_SECRET\n", stderr);
}

static int
setting_put(const struct setting *s, const char *v)
{
	if (v == NULL)
		return 0;
	if ((size_t)snprintf(s->dst, s->size, "%s", v) >= s->size) {
		emu_log("config", "the value of %s is too long", s->flag);
		return -1;
	}
	return 0;
}

/* Fills emu_cfg from defaults, then the environment, then the command line. Returns 0,
 * 1 after --help, or -1 after logging what is wrong. */
static int
config_load(int argc, char **argv)
{
	const struct setting *s;
	char *end;
	long port;

	snprintf(emu_cfg.host, sizeof(emu_cfg.host), "127.0.0.1");
	snprintf(emu_cfg.state_dir, sizeof(emu_cfg.state_dir), "data/stripe-emu");
	for (s = g_settings; s->flag != NULL; s++)
		if (setting_put(s, getenv(s->env)) != 0)
			return -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t nl = eq != NULL ? (size_t)(eq - a) : strlen(a);

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage();
			return 1;
		}
		for (s = g_settings; s->flag != NULL; s++)
			if (strlen(s->flag) == nl && strncmp(s->flag, a, nl) == 0)
				break;
		if (s->flag == NULL || (eq == NULL && i + 1 >= argc)) {
			emu_log("config", "%s: %s", s->flag == NULL ? "unknown option" :
			    "missing value for", a);
			usage();
			return -1;
		}
		if (setting_put(s, eq != NULL ? eq + 1 : argv[++i]) != 0)
			return -1;
	}
	errno = 0;
	port = strtol(g_port, &end, 10);
	if (errno != 0 || *end != '\0' || g_port[0] == '\0' || port < 0 || port > 65535) {
		emu_log("config", "invalid port '%s'", g_port);
		return -1;
	}
	emu_cfg.port = (int)port;
	if (strcmp(emu_cfg.host, "localhost") == 0)
		snprintf(emu_cfg.host, sizeof(emu_cfg.host), "127.0.0.1");
	if (emu_cfg.webhook_secret[0] != '\0' &&
	    strncmp(emu_cfg.webhook_secret, "whsec_", 6) != 0) {
		emu_log("config", "the webhook secret must start with whsec_");
		return -1;
	}
	return 0;
}

/* Without a configured secret, one is made once and kept in STATE/webhook_secret (0600) so
 * the shop can read it; it is never logged. */
static int
webhook_secret_load(void)
{
	char path[1200], buf[256];
	FILE *f;
	size_t n;

	if (emu_cfg.webhook_url[0] == '\0' || emu_cfg.webhook_secret[0] != '\0')
		return 0;
	snprintf(path, sizeof(path), "%s/webhook_secret", emu_cfg.state_dir);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		snprintf(emu_cfg.webhook_secret, sizeof(emu_cfg.webhook_secret), "%s", buf);
	} else {
		int fd;

		emu_new_id(emu_cfg.webhook_secret, 39, "whsec_", 32);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
			emu_log("config", "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		fprintf(f, "%s\n", emu_cfg.webhook_secret);
		fclose(f);
	}
	emu_log("config", "no --webhook-secret given; using the one in %s", path);
	return 0;
}

static const struct route *
route_find(const char *method, const char *path, char *arg, size_t argn)
{
	for (const struct route *r = g_routes; r->method != NULL; r++) {
		const char *p = r->pattern, *u = path;

		if (strcmp(r->method, method) != 0)
			continue;
		arg[0] = '\0';
		while (*p != '\0' && *u != '\0') {
			if (*p == '*') {
				size_t n = strcspn(u, "/");
				if (n == 0 || n >= argn)
					break;
				memcpy(arg, u, n);
				arg[n] = '\0';
				u += n;
				p++;
			} else if (*p == *u) {
				p++;
				u++;
			} else
				break;
		}
		if (*p == '\0' && (*u == '\0' || strcmp(u, "/") == 0))
			return r;
	}
	return NULL;
}

/* Accepts "Bearer sk_test_…" or Basic with the key as user. Answers 401 otherwise. */
static int
auth_check(struct MHD_Connection *c, struct emu_resp *rs)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char key[256] = "", masked[300];
	size_t n;

	if (h == NULL || *h == '\0') {
		emu_error(rs, 401, "invalid_request_error", NULL, NULL, "You did not provide an API "
		    "key. You need to provide your API key in the Authorization header, using Bearer "
		    "auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
		    "https://stripe.com/docs/api#authentication for details, or we can help at "
		    "https://support.stripe.com/.");
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) == 0)
		snprintf(key, sizeof(key), "%s", h + 7);
	else if (strncasecmp(h, "Basic ", 6) == 0) {
		unsigned char bin[256];
		size_t blen = 0;

		if (sodium_base642bin(bin, sizeof(bin) - 1, h + 6, strlen(h + 6), NULL, &blen, NULL,
		    sodium_base64_VARIANT_ORIGINAL) == 0) {
			bin[blen] = '\0';
			snprintf(key, sizeof(key), "%.*s", (int)strcspn((char *)bin, ":"),
			    (char *)bin);
		}
	}
	if (strncmp(key, "sk_test_", 8) == 0 && strlen(key) > 8 &&
	    strcspn(key, " \t\r\n") == strlen(key))
		return 0;
	/* show the prefix and the last four characters only, as Stripe does */
	n = strlen(key);
	if (n > 12) {
		const char *u = strchr(key, '_');
		size_t keep = u != NULL && strchr(u + 1, '_') != NULL ?
		    (size_t)(strchr(u + 1, '_') - key + 1) : 0;
		if (keep > 8)
			keep = 8;
		snprintf(masked, sizeof(masked), "%.*s", (int)keep, key);
		for (size_t i = keep; i < n - 4 && i < 120; i++)
			strcat(masked, "*");
		strcat(masked, key + n - 4);
	} else
		snprintf(masked, sizeof(masked), "%s", n > 0 ? "****" : "");
	emu_error(rs, 401, "invalid_request_error", NULL, NULL,
	    "Invalid API Key provided: %s", masked);
	sodium_memzero(key, sizeof(key));
	return -1;
}

/* Replays a stored answer for this Idempotency-Key (returns 1), refuses reuse with other
 * parameters (returns -1, answered), or lets the request run (returns 0). */
static int
idem_begin(struct emu_req *rq, const char *hash, struct emu_resp *rs, char *orig_req,
    size_t n)
{
	cJSON *arr = emu_root_array("idempotency"), *r, *next;
	int64_t now = emu_now();

	for (r = arr->child; r != NULL; r = next) {
		next = r->next;
		if (emu_jgeti(r, "created", 0) < now - 24 * 3600) {
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, r));
			emu_dirty();
			continue;
		}
		if (strcmp(emu_jgets(r, "key") ? emu_jgets(r, "key") : "", rq->idem_key) != 0)
			continue;
		if (strcmp(emu_jgets(r, "hash") ? emu_jgets(r, "hash") : "", hash) != 0) {
			emu_error(rs, 400, "idempotency_error", NULL, NULL, "Keys for idempotent "
			    "requests can only be used with the same parameters they were first used "
			    "with. Try using a key other than '%s' if you meant to execute a different "
			    "request.", rq->idem_key);
			return -1;
		}
		rs->status = (int)emu_jgeti(r, "status", 200);
		rs->body = strdup(emu_jgets(r, "body") ? emu_jgets(r, "body") : "{}");
		snprintf(orig_req, n, "%s", emu_jgets(r, "request_id") ? emu_jgets(r, "request_id") :
		    "");
		return 1;
	}
	return 0;
}

static void
idem_save(struct emu_req *rq, const char *hash, const struct emu_resp *rs)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "key", rq->idem_key);
	cJSON_AddStringToObject(r, "hash", hash);
	cJSON_AddStringToObject(r, "request_id", rq->id);
	cJSON_AddNumberToObject(r, "status", rs->status);
	cJSON_AddStringToObject(r, "body", rs->body != NULL ? rs->body : "");
	cJSON_AddNumberToObject(r, "created", (double)emu_now());
	cJSON_AddItemToArray(emu_root_array("idempotency"), r);
	emu_dirty();
}

/* Hash of what makes two POSTs "the same request": method, path and body bytes. */
static void
idem_hash(const struct emu_req *rq, const struct conn *cn, char *hex, size_t n)
{
	unsigned char h[32];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)rq->path, strlen(rq->path) + 1);
	if (cn->body != NULL)
		crypto_generichash_update(&st, (const unsigned char *)cn->body, cn->len);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, n, h, sizeof(h));
}

/* Adds node for key, or returns -1 when a request with that key is already in flight. */
static int
inflight_add(struct inflight *node, const char *key)
{
	for (const struct inflight *i = g_inflight; i != NULL; i = i->next)
		if (strcmp(i->key, key) == 0)
			return -1;
	node->key = key;
	node->next = g_inflight;
	g_inflight = node;
	return 0;
}

static void
inflight_remove(struct inflight *node)
{
	for (struct inflight **pp = &g_inflight; *pp != NULL; pp = &(*pp)->next)
		if (*pp == node) {
			*pp = node->next;
			return;
		}
}

/* The request's parameters: the form body of a POST, else the query string. Answers 413
 * or 400 and returns -1 when they cannot be read. */
static int
parse_params(const struct conn *cn, struct emu_req *rq, struct emu_resp *rs)
{
	const char *q = strchr(cn->uri, '?');

	if (cn->too_big) {
		emu_error(rs, 413, "invalid_request_error", NULL, NULL,
		    "Request body too large: the limit is %d bytes.", EMU_MAX_BODY);
		return -1;
	}
	if (strcmp(rq->method, "POST") == 0 && cn->len > 0)
		rq->params = emu_form_parse(cn->body, cn->len);
	else
		rq->params = q != NULL ? emu_form_parse(q + 1, strlen(q + 1)) :
		    cJSON_CreateObject();
	if (rq->params == NULL) {
		emu_bad(rs, NULL, "Invalid request: parameters must be valid UTF-8 and "
		    "form-encoded.");
		return -1;
	}
	return 0;
}

/* Runs one authenticated /v1 request: route, idempotent replay, handler, save. */
static void
api_run(const struct conn *cn, struct emu_req *rq, struct emu_resp *rs, int *replayed,
    char *orig_req, size_t origlen)
{
	const struct route *r;
	char arg[256], hash[65];
	int keyed = strcmp(rq->method, "POST") == 0 && rq->idem_key != NULL &&
	    *rq->idem_key != '\0';

	if (parse_params(cn, rq, rs) != 0)
		return;
	if ((r = route_find(rq->method, rq->path, arg, sizeof(arg))) == NULL) {
		emu_error(rs, 404, "invalid_request_error", NULL, NULL,
		    "Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we "
		    "can help at https://support.stripe.com/.", rq->method, rq->path);
		return;
	}
	pthread_mutex_lock(&emu_mu);
	co_run_due();
	if (keyed) {
		idem_hash(rq, cn, hash, sizeof(hash));
		*replayed = idem_begin(rq, hash, rs, orig_req, origlen);
	}
	if (*replayed == 0) {
		if (r->fn != NULL)
			r->fn(rq, rs, arg[0] ? arg : NULL);
		else
			emu_get(rq, rs, r->get_type, arg);
		/* a validation failure may be fixed and retried under its key; a card
		 * decline (402) is a payment attempt that happened, so Stripe keeps it */
		if (keyed && (rs->status < 400 || rs->status == 402))
			idem_save(rq, hash, rs);
	} else if (*replayed < 0)
		*replayed = 0;
	if (emu_take_dirty() && emu_store_save() != 0)
		emu_error(rs, 500, "api_error", NULL, NULL, "The emulator could not save its "
		    "state; see its log.");
	pthread_mutex_unlock(&emu_mu);
	emu_worker_kick();
}

/*
 * A /v1 request: authentication, then Stripe's 409 when its Idempotency-Key is already in
 * flight, then an injected fault if one is queued (a hang leaves rs->status 0: no answer),
 * else the API itself.
 */
static void
handle_api(struct MHD_Connection *c, struct conn *cn, struct emu_req *rq,
    struct emu_resp *rs, int *replayed, char *orig_req, size_t origlen)
{
	const union MHD_ConnectionInfo *ci;
	struct inflight me;
	enum emu_fault f;
	int keyed = strcmp(rq->method, "POST") == 0 && rq->idem_key != NULL &&
	    *rq->idem_key != '\0', busy = 0;

	if (auth_check(c, rs) != 0)
		return;
	if (rq->idem_key != NULL && strlen(rq->idem_key) > 255) {
		emu_bad(rs, NULL, "Idempotency-Key must be at most 255 characters long.");
		return;
	}
	if (keyed) {
		pthread_mutex_lock(&emu_mu);
		busy = inflight_add(&me, rq->idem_key);
		pthread_mutex_unlock(&emu_mu);
	}
	if (busy) {
		emu_error(rs, 409, "idempotency_error", NULL, NULL, "There is currently another "
		    "in-progress request using this Idempotent Key (that probably means you "
		    "submitted twice, and the other request is still going through): %s. Please "
		    "try again later.", rq->idem_key);
		return;
	}
	f = control_fault_take(rq->path);
	if (f == FAULT_HANG) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		control_hang(ci != NULL ? ci->connect_fd : -1);
		rs->status = 0;
	} else if (f != FAULT_NONE)
		control_fault_answer(rs, f);
	else
		api_run(cn, rq, rs, replayed, orig_req, origlen);
	if (keyed) {
		pthread_mutex_lock(&emu_mu);
		inflight_remove(&me);
		pthread_mutex_unlock(&emu_mu);
	}
}

/* /_emu/…: the same keys as the API; control_handle takes emu_mu where it needs it. */
static void
handle_control(struct MHD_Connection *c, const struct conn *cn, struct emu_req *rq,
    struct emu_resp *rs)
{
	if (auth_check(c, rs) != 0 || parse_params(cn, rq, rs) != 0)
		return;
	control_handle(rq, rs);
	emu_worker_kick();
}

/* Is the caller on this machine? The admin page needs no key, so only they may use it. */
static int
is_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
		    24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* /admin…: loopback callers only; the page checks Host, Origin and its form token. */
static void
handle_admin(struct MHD_Connection *c, const struct conn *cn, struct emu_req *rq,
    struct emu_resp *rs)
{
	if (!is_loopback(c)) {
		emu_resp_html(rs, 403, strdup("<!doctype html><p>The admin page answers only "
		    "callers on this machine.</p>"));
		return;
	}
	if (parse_params(cn, rq, rs) != 0)
		return;
	pthread_mutex_lock(&emu_mu);
	co_run_due();
	admin_handle(rq, rs, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"),
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Referer"));
	if (emu_take_dirty() && emu_store_save() != 0)
		emu_resp_html(rs, 500, strdup("<!doctype html><p>The emulator could not save its "
		    "state.</p>"));
	pthread_mutex_unlock(&emu_mu);
	emu_worker_kick();
}

/* /c/pay/…: the hosted payment page; a body that does not parse is an empty form. */
static void
handle_page(const struct conn *cn, struct emu_req *rq, struct emu_resp *rs)
{
	rq->params = strcmp(rq->method, "POST") == 0 && cn->len > 0 && !cn->too_big ?
	    emu_form_parse(cn->body, cn->len) : cJSON_CreateObject();
	if (rq->params == NULL)
		rq->params = cJSON_CreateObject();
	pthread_mutex_lock(&emu_mu);
	co_run_due();
	page_pay(rq, rs, rq->path + 7);
	if (emu_take_dirty() && emu_store_save() != 0)
		emu_resp_html(rs, 500, strdup("<!doctype html><p>The emulator could not "
		    "save its state.</p>"));
	pthread_mutex_unlock(&emu_mu);
	emu_worker_kick();
}

static enum MHD_Result
send_resp(struct MHD_Connection *c, struct emu_req *rq, struct emu_resp *rs, int replayed,
    const char *orig_req)
{
	const char *ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Stripe-Version");
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;

	if (rs->body == NULL)
		rs->body = strdup("");
	len = strlen(rs->body);
	r = MHD_create_response_from_buffer(len, rs->body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	rs->body = NULL;
	MHD_add_response_header(r, "Content-Type", rs->ctype != NULL ? rs->ctype :
	    "application/json");
	MHD_add_response_header(r, "Request-Id", rq->id);
	MHD_add_response_header(r, "Cache-Control", "no-cache, no-store");
	if (strncmp(rq->path, "/v1/", 4) == 0)
		MHD_add_response_header(r, "Stripe-Version", ver != NULL && *ver != '\0' &&
		    strlen(ver) < 64 && strcspn(ver, "\r\n") == strlen(ver) ? ver :
		    EMU_API_VERSION);
	if (rq->idem_key != NULL && strcspn(rq->idem_key, "\r\n") == strlen(rq->idem_key))
		MHD_add_response_header(r, "Idempotency-Key", rq->idem_key);
	if (replayed) {
		MHD_add_response_header(r, "Idempotent-Replayed", "true");
		if (*orig_req)
			MHD_add_response_header(r, "Original-Request", orig_req);
	}
	if (rs->location != NULL)
		MHD_add_response_header(r, "Location", rs->location);
	if (strncmp(rq->path, "/admin", 6) == 0)     /* its forms must not be framed elsewhere */
		MHD_add_response_header(r, "Content-Security-Policy", "frame-ancestors 'none'");
	ret = MHD_queue_response(c, (unsigned int)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *cn = calloc(1, sizeof(*cn));

	if (cn != NULL) {
		cn->uri = strdup(uri != NULL ? uri : "/");
		gettimeofday(&cn->t0, NULL);
	}
	return cn;
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	if (cn != NULL) {
		free(cn->uri);
		free(cn->body);
		free(cn);
	}
	*con_cls = NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct conn *cn = *con_cls;
	struct emu_req rq = {0};
	struct emu_resp rs = {0};
	struct timeval t1;
	char orig_req[64] = "";
	int replayed = 0;
	enum MHD_Result ret;

	if (cn == NULL || cn->uri == NULL)
		return MHD_NO;
	if (!cn->started) {
		cn->started = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (cn->too_big || cn->len + *upload_size > EMU_MAX_BODY) {
			cn->too_big = 1;
		} else {
			if (cn->len + *upload_size + 1 > cn->cap) {
				size_t ncap = (cn->len + *upload_size + 1) * 2;
				char *nb = realloc(cn->body, ncap);
				if (nb == NULL)
					return MHD_NO;
				cn->body = nb;
				cn->cap = ncap;
			}
			memcpy(cn->body + cn->len, upload, *upload_size);
			cn->len += *upload_size;
			cn->body[cn->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	rq.method = method;
	rq.path = url;
	rq.idem_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	emu_new_id(rq.id, sizeof(rq.id), "req_", EMU_ID_RAND);
	if (strncmp(url, "/v1/", 4) == 0)
		handle_api(c, cn, &rq, &rs, &replayed, orig_req, sizeof(orig_req));
	else if (strncmp(url, "/_emu/", 6) == 0)
		handle_control(c, cn, &rq, &rs);
	else if (strncmp(url, "/c/pay/", 7) == 0)
		handle_page(cn, &rq, &rs);
	else if (strcmp(url, "/admin") == 0 || strncmp(url, "/admin/", 7) == 0)
		handle_admin(c, cn, &rq, &rs);
	else if (strcmp(url, "/") == 0)
		page_index(&rs);
	else
		emu_error(&rs, 404, "invalid_request_error", NULL, NULL,
		    "Unrecognized request URL (%s: %s).", method, url);
	/* status 0: an injected hang, which ends by dropping the connection unanswered */
	ret = rs.status != 0 ? send_resp(c, &rq, &rs, replayed, orig_req) : MHD_NO;
	gettimeofday(&t1, NULL);
	emu_log("request", "%s %s %d%s %s%s %ldms", method, url, rs.status,
	    rs.status == 0 ? " (hang: dropped unanswered)" : "", rq.id,
	    replayed ? " (replayed)" : "", (long)((t1.tv_sec - cn->t0.tv_sec) * 1000 +
	    (t1.tv_usec - cn->t0.tv_usec) / 1000));
	cJSON_Delete(rq.params);
	free(rs.body);
	free(rs.location);
	return ret;
}

static void
on_signal(int sig)
{
}

/* libmicrohttpd's own messages, through emu_log like everything else. */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\r\n")] = '\0';
	/* an injected hang ends by refusing to answer, which MHD reports as an error */
	if (strstr(msg, "Application reported internal error") != NULL)
		return;
	emu_log("microhttpd", "%s", msg);
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sa;
	char err[1400];
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig, rc;

	if ((rc = config_load(argc, argv)) != 0)
		return rc > 0 ? 0 : 2;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		emu_log("main", "cannot initialise libsodium or libcurl");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)emu_cfg.port);
	if (inet_pton(AF_INET, emu_cfg.host, &sa.sin_addr) != 1) {
		emu_log("main", "--host must be an IPv4 address, not '%s'", emu_cfg.host);
		return 2;
	}
	if (emu_store_open(err, sizeof(err)) != 0) {
		emu_log("main", "%s", err);
		return 1;
	}
	if (webhook_secret_load() != 0)
		return 1;
	/* INT and TERM are taken by sigwait below; every thread inherits the mask. A shell
	 * starts background jobs with SIGINT ignored, and an ignored signal never reaches
	 * sigwait, so both get a real (never run) handler first. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, (uint16_t)emu_cfg.port, NULL, NULL,
	    on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		emu_log("main", "cannot listen on %s:%d: %s", emu_cfg.host, emu_cfg.port,
		    strerror(errno));
		emu_store_close();
		return 1;
	}
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) != NULL &&
	    info->port != 0)
		emu_cfg.port = info->port;
	if (emu_cfg.public_url[0] == '\0')
		snprintf(emu_cfg.public_url, sizeof(emu_cfg.public_url), "http://%s:%d",
		    emu_cfg.host, emu_cfg.port);
	else
		emu_cfg.public_url[strcspn(emu_cfg.public_url, "\r\n")] = '\0';
	if (strlen(emu_cfg.public_url) > 0 &&
	    emu_cfg.public_url[strlen(emu_cfg.public_url) - 1] == '/')
		emu_cfg.public_url[strlen(emu_cfg.public_url) - 1] = '\0';
	if (emu_worker_start() != 0) {
		MHD_stop_daemon(d);
		emu_store_close();
		return 1;
	}
	printf("stripe-emu listening on http://%s:%d\n", emu_cfg.host, emu_cfg.port);
	fflush(stdout);
	if (emu_cfg.webhook_url[0] != '\0')
		emu_log("main", "delivering webhooks to %s", emu_cfg.webhook_url);
	do {
		rc = sigwait(&set, &sig);
	} while (rc == EINTR);
	emu_log("main", "signal %d: finishing requests and saving", sig);
	control_release_all();     /* hanging requests must not hold up the stop */
	MHD_stop_daemon(d);
	emu_worker_stop();
	pthread_mutex_lock(&emu_mu);
	rc = emu_store_save();
	emu_store_close();
	pthread_mutex_unlock(&emu_mu);
	curl_global_cleanup();
	return rc == 0 ? 0 : 1;
}
