/*
 * shop.h — the shop's shared library: configuration, logging, request and response over
 * fcgi_stdio, input validation, JSON files, sessions, passwords, the Stripe client and order
 * fulfilment. One prefix per module; everything not declared here is static.
 */
#ifndef SHOP_H
#define SHOP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

struct stripe_result;

/* ---- errors (err.c) ---------------------------------------------------------------------- */

/* The one error type of the library. */
enum shop_err {
	SHOP_OK = 0,
	SHOP_ERR_NOMEM,		/* out of memory */
	SHOP_ERR_IO,		/* a file or socket operation failed */
	SHOP_ERR_CORRUPT,	/* a data file does not parse: reported, never replaced */
	SHOP_ERR_INPUT,		/* the request is malformed or invalid (already answered) */
	SHOP_ERR_AUTH,		/* not logged in, bad credentials or bad signature */
	SHOP_ERR_CONFLICT,	/* the thing exists already, or is in the wrong state */
	SHOP_ERR_NOTFOUND,	/* no such thing */
	SHOP_ERR_STRIPE,	/* Stripe answered with an error */
	SHOP_ERR_NETWORK,	/* Stripe could not be reached or timed out */
	SHOP_ERR_CONFIG,	/* the configuration is unusable */
	SHOP_ERR__MAX
};

const char *shop_strerror(enum shop_err);

/* ---- logging (log.c) --------------------------------------------------------------------- */

/* Sets the program name that prefixes every log line. */
void log_init(const char *prog);
/* Writes "prog: func: message" to stderr. Never pass keys, passwords, cookies or secrets. */
void log_msg(const char *func, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
#define LOG(...) log_msg(__func__, __VA_ARGS__)

/* ---- growable buffer (buf.c) ------------------------------------------------------------- */

/* A NUL-terminated byte buffer; zero-initialise, then buf_free. Appends fail only on ENOMEM. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

enum shop_err buf_append(struct buf *, const void *, size_t);
enum shop_err buf_puts(struct buf *, const char *);
enum shop_err buf_printf(struct buf *, const char *, ...) __attribute__((format(__printf__, 2, 3)));
void buf_free(struct buf *);

/* ---- configuration (config.c) ------------------------------------------------------------ */

#define SESSION_KEY_BYTES crypto_auth_hmacsha512256_KEYBYTES

/* Read once at start-up from the environment (see README, "Configuration"). */
struct config {
	char		data_dir[512];		/* SHOP_DATA_DIR, default "data" */
	char		base_url[512];		/* SHOP_BASE_URL, no trailing slash */
	char		stripe_api_base[512];	/* STRIPE_API_BASE, no trailing slash */
	char		stripe_key[256];	/* STRIPE_SECRET_KEY */
	char		webhook_secret[256];	/* STRIPE_WEBHOOK_SECRET or data/webhook-secret */
	unsigned char	session_key[SESSION_KEY_BYTES];
	int		secure_cookies;		/* base_url is https */
	long		products_ttl;		/* seconds the product cache is fresh */
	long		stripe_timeout;		/* seconds for one Stripe request */
};

/* The emulator's address and the key the shop uses when no Stripe key is configured. */
#define STRIPE_EMU_DEFAULT_BASE	"http://127.0.0.1:12111"
#define STRIPE_EMU_DEFAULT_KEY	"sk_test_emulator"
#define STRIPE_API_VERSION	"2026-10-28.endive"

/* Fills cfg from the environment; creates data/session.key (0600) on first use. */
enum shop_err config_load(struct config *cfg);
/* Writes "data_dir/name" into out; fails on truncation. */
enum shop_err config_path(const struct config *, const char *name, char *out, size_t outsz);

/* ---- validation (valid.c): pure functions, 1 when valid ---------------------------------- */

int valid_email(const char *);
int valid_password(const char *);	/* 8 to 256 bytes */
int valid_name(const char *);		/* 1 to 100 bytes of UTF-8 text, no control characters */
int valid_stripe_id(const char *, const char *prefix);	/* prefix + [A-Za-z0-9_], ≤ 255 */
int valid_price_id(const char *);
int valid_session_id(const char *);	/* cs_test_… or cs_live_… */
int valid_promo_code(const char *);	/* letters, digits, '-' and '_', 1 to 64 */
int valid_user_id(const char *);	/* u_ + 32 hex */
/* Parses a whole decimal integer in [min, max] (strtonum-style); 1 on success. */
int parse_int(const char *s, long long min, long long max, long long *out);

/* ---- forms and query strings (form.c) ---------------------------------------------------- */

/* Percent-decodes the value of key in an a=b&c=d string ('+' is a space). Caller frees;
 * NULL when the key is absent or the encoding is bad. */
char *form_get(const char *form, const char *key);
/* Appends key=value (both percent-encoded, brackets kept readable in the key) to a form. */
enum shop_err form_add(struct buf *, const char *key, const char *value);
enum shop_err form_addf(struct buf *, const char *key, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

/* ---- requests and responses (http.c) ----------------------------------------------------- */

enum http_method { HTTP_GET, HTTP_POST, HTTP_DELETE, HTTP_OTHER };

/* One request, parsed up front from the CGI environment and standard input. The strings are
 * borrowed from the environment; body is owned and freed by http_main after the handler. */
struct request {
	enum http_method method;
	const char	*method_name;
	const char	*query;		/* QUERY_STRING, never NULL */
	const char	*cookie;	/* HTTP_COOKIE or NULL */
	const char	*content_type;
	const char	*stripe_signature;
	char		*body;		/* NUL-terminated, may hold other NULs; "" when none */
	size_t		 body_len;
};

typedef void (*http_handler)(const struct config *, const struct request *);

struct route {
	enum http_method method;
	http_handler	 handle;
};

/* The whole program: loads config, then answers each request (FastCGI under spawn-fcgi, once
 * as plain CGI from a shell) by dispatching on method, 405 with Allow otherwise. */
int http_main(const char *prog, const struct route *routes, size_t nroutes, size_t max_body);

/* Adds a response header line ("Name: value") for the current request. */
void http_header(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
/* Answers with a JSON body (not consumed) or an empty body. */
void http_send_json(int status, const cJSON *body);
void http_send_raw(int status, const char *content_type, const char *body, size_t len);
void http_send_empty(int status);
/* Answers {"error":{"code","message","param"?}}. */
void http_send_error(int status, const char *code, const char *param, const char *message);
/* Answers a library error the handler cannot recover from with a fitting status. */
void http_send_failure(enum shop_err);

/* ---- JSON input (json.c) ----------------------------------------------------------------- */

/* One expected field of a JSON request body, kcgi-style: the table drives parsing. */
struct json_field {
	const char	*name;
	int		(*valid)(const char *);
	int		 required;
};

/* Parses the body as a JSON object and checks each table field is a valid string (or absent
 * and optional); answers 400 naming the field and returns SHOP_ERR_INPUT otherwise. On OK,
 * *root is the tree (caller frees) and values[i] borrows from it (NULL when absent). */
enum shop_err json_input(const struct request *, const struct json_field *, size_t n,
    cJSON **root, const char **values);
/* A whole number stored in a JSON number, within [min, max]; 1 when it is one. */
int json_int(const cJSON *, long long min, long long max, long long *out);
/* obj[name] as a string or NULL. */
const char *json_str(const cJSON *obj, const char *name);
/* obj[name] as an integer, or def. */
long long json_int_or(const cJSON *obj, const char *name, long long def);

/* ---- JSON files (store.c) ---------------------------------------------------------------- */

/* Called with the file's array under an exclusive lock; set *changed to write it back. */
typedef enum shop_err (*store_fn)(cJSON *array, void *ctx, int *changed);

/* Reads path (a JSON array; missing = empty), calls fn, and if it changed the array replaces
 * the file atomically: lock file, temp file, fsync, rename, fsync of the folder, mode 0600. */
enum shop_err store_update(const char *path, store_fn fn, void *ctx);
/* Reads path under a shared lock. Caller frees *out. */
enum shop_err store_read(const char *path, cJSON **out);
/* Replaces path atomically with len bytes (no lock taken: the rename is the commit). */
enum shop_err store_write_file(const char *path, const char *data, size_t len, int mode);
/* Reads a whole file. Caller frees *out (NUL-terminated). */
enum shop_err store_read_file(const char *path, char **out, size_t *len);

/* ---- passwords (password.c) -------------------------------------------------------------- */

#define PASSWORD_HASH_BYTES crypto_pwhash_STRBYTES

/* argon2id through crypto_pwhash_str. */
enum shop_err password_hash(const char *password, char out[PASSWORD_HASH_BYTES]);
/* 1 when password matches; hash NULL spends the same time and says 0. */
int password_verify(const char *hash, const char *password);

/* ---- sessions (session.c) ---------------------------------------------------------------- */

#define SESSION_COOKIE	"shop_session"
#define SESSION_MAX_AGE	(14 * 24 * 3600)

/* Makes a cookie value "v1.<user>.<expires>.<mac>" for user_id valid until now + max age. */
enum shop_err session_make(const struct config *, const char *user_id, time_t now,
    char *out, size_t outsz);
/* Finds our cookie in a Cookie header and checks MAC and expiry; writes the user id and,
 * when issued is not NULL, the time the cookie was made. */
enum shop_err session_check(const struct config *, const char *cookie_header, time_t now,
    char *user_id, size_t sz, time_t *issued);
/* Adds the Set-Cookie header that logs a user in, or out when user is NULL. The cookie is
 * dated no earlier than the user's "sessions_valid_after" (set by logging out). */
enum shop_err session_set_cookie(const struct config *, const cJSON *user);

/* ---- users (users.c) --------------------------------------------------------------------- */

/* The logged-in user, a detached copy of its users.json entry (caller frees), or NULL. When
 * NULL the request has been answered (401, or 500 on a broken store). */
cJSON *users_require_login(const struct config *, const struct request *);
/* The logged-in user without answering anything: SHOP_ERR_AUTH when there is no valid
 * cookie, SHOP_ERR_NOTFOUND when its user is gone or logged out. *out: caller frees. */
enum shop_err users_current(const struct config *, const struct request *, cJSON **out);
/* The public view of a user: {"email","name"}. Caller frees. */
cJSON *users_public(const cJSON *user);
/* Finds a user by e-mail ignoring case; detached copy or NULL. */
enum shop_err users_find_email(const struct config *, const char *email, cJSON **out);
/* The Stripe customer for an e-mail: one the shop made earlier for it (other than the one
 * it replaces, "" for none), or a new one made idempotently. Never call it under the users
 * lock. On a Stripe failure res holds the answer (caller frees). */
enum shop_err users_stripe_customer(const struct config *, const char *email,
    const char *replaces, char *out, size_t outsz, struct stripe_result *res);
/* Gives a customer the user's name and id, best effort (logged when it fails). */
void users_describe_customer(const struct config *, const char *customer, const cJSON *user);
/* Sets users.json's entry user_id[key] = value (consumed), under the users lock. */
enum shop_err users_set(const struct config *, const char *user_id, const char *key,
    cJSON *value);
/* Finds a user by id; detached copy or NULL. */
enum shop_err users_find_id(const struct config *, const char *id, cJSON **out);

/* ---- Stripe (stripe.c) ------------------------------------------------------------------- */

/* One Stripe answer: HTTP status and parsed body (caller frees body; may be NULL). */
struct stripe_result {
	long	 status;	/* 0 when no answer came */
	int	 timed_out;
	cJSON	*body;
};

/* Calls Stripe: method GET/POST/DELETE, path "/v1/…" (with query for GET), form the POST
 * body (may be NULL), idem an Idempotency-Key or NULL. SHOP_OK on 2xx; SHOP_ERR_STRIPE when
 * Stripe answered an error (res->body holds it); SHOP_ERR_NETWORK on timeouts and refusals. */
enum shop_err stripe_request(const struct config *, const char *method, const char *path,
    const char *form, const char *idem, struct stripe_result *res);
void stripe_result_free(struct stripe_result *);
/* The Stripe error code (e.g. "resource_missing") of a failed result, or "". */
const char *stripe_error_code(const struct stripe_result *);
/* Answers the shopper after a failed Stripe call: 502/503/504 with a message in words. */
void stripe_send_failure(enum shop_err, const struct stripe_result *);

/* ---- webhook signatures (webhook_sig.c) -------------------------------------------------- */

#define WEBHOOK_TOLERANCE 300

/* Lowercase hex HMAC-SHA256 of "<t>.<payload>" keyed by the whole secret string. */
void webhook_sign(const char *secret, time_t t, const char *payload, size_t len,
    char hex[2 * crypto_auth_hmacsha256_BYTES + 1]);
/* Checks a Stripe-Signature header: any v1 matches in constant time and |now - t| ≤ tolerance. */
enum shop_err webhook_verify(const char *secret, const char *header, const char *payload,
    size_t len, time_t now, long tolerance);

/* ---- orders (orders.c) ------------------------------------------------------------------- */

/* Writes the order for a paid Checkout Session exactly once, keyed by its id, under the
 * orders lock; session must carry expanded line_items. *order is the stored order (new or
 * the existing one; caller frees). SHOP_ERR_CONFLICT when Stripe does not call it paid. */
enum shop_err orders_fulfil(const struct config *, const cJSON *session, cJSON **order);
/* A user's orders, detached copies, newest first. Caller frees *out. */
enum shop_err orders_of_user(const struct config *, const char *user_id, cJSON **out);
/* The view of an order its owner sees (no internal ids of the user). Caller frees. */
cJSON *orders_public(const cJSON *order);
/* Retrieves a Checkout Session with its line items from Stripe. Caller frees res. */
enum shop_err orders_fetch_session(const struct config *, const char *session_id,
    struct stripe_result *res);

/* ---- product cache (catalog.c) ----------------------------------------------------------- */

/* Path of the cached /api/products body. */
enum shop_err catalog_cache_path(const struct config *, char *out, size_t outsz);
/* Marks the cache stale so the next page view asks Stripe. */
void catalog_invalidate(const struct config *);

#endif
