/*
 * emu.h: the local, stateful Stripe emulator (build/stripe-emu). Shared types and the
 * functions each module exports: main (server, routing), form (parameters), store (state,
 * lists, expand), api (catalogue resources), checkout (sessions), page (hosted payment page),
 * webhook (events and their delivery), control (clock, reset, faults), admin (owner's page).
 */
#ifndef EMU_H
#define EMU_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <cjson/cJSON.h>

#define EMU_API_VERSION "2026-10-28.endive"
#define EMU_MAX_BODY    (1024 * 1024)
#define EMU_ID_RAND     24

/* Configuration, filled once by main before any thread starts; read-only afterwards. */
struct emu_config {
	char host[64];
	int port;
	char state_dir[1024];
	char public_url[512];
	char webhook_url[1024];
	char webhook_secret[256];
};
extern struct emu_config emu_cfg;

/* The one lock around all state: every handler and the worker hold it while they touch
 * the store; nobody holds it during network I/O. */
extern pthread_mutex_t emu_mu;

/* One parsed request. Everything is borrowed from main and valid until the answer is sent. */
struct emu_req {
	const char *method;
	const char *path;
	cJSON *params;           /* form fields as a tree (owned by main) */
	const char *idem_key;    /* Idempotency-Key header or NULL */
	char id[40];             /* req_… */
};

/* The answer a handler builds. body is malloc'd and owned by the response. */
struct emu_resp {
	int status;
	char *body;
	const char *ctype;       /* NULL means application/json */
	char *location;          /* malloc'd redirect target or NULL */
};

/* Parameter kinds for the input tables (kcgi style: declared once, validated up front). */
enum emu_pkind { P_STR, P_INT, P_BOOL, P_NUM, P_MAP, P_STRS, P_OBJ, P_OBJS };
struct emu_param {
	const char *name;
	enum emu_pkind kind;
	const struct emu_param *sub;     /* for P_OBJ / P_OBJS; NULL-name terminated */
};
#define EMU_LIST_PARAMS \
	{"limit", P_INT, NULL}, {"starting_after", P_STR, NULL}, \
	{"ending_before", P_STR, NULL}, {"expand", P_STRS, NULL}

/* main.c */
void emu_log(const char *fn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emu_resp_json(struct emu_resp *rs, int status, cJSON *obj);   /* takes obj */
void emu_resp_html(struct emu_resp *rs, int status, char *html);   /* takes html */
void emu_error(struct emu_resp *rs, int status, const char *type, const char *code,
    const char *param, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void emu_bad(struct emu_resp *rs, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void emu_missing_obj(struct emu_resp *rs, const char *what, const char *id, const char *param);

/* form.c */
cJSON *emu_form_parse(const char *s, size_t n);   /* caller frees; NULL on bad UTF-8 */
int emu_params_check(struct emu_resp *rs, cJSON *params, const struct emu_param *spec);
const char *emu_p_str(const cJSON *p, const char *name);
int emu_p_int(const cJSON *p, const char *name, int64_t *out);
int emu_p_bool(const cJSON *p, const char *name, int *out);
int emu_p_num(const cJSON *p, const char *name, double *out);
int emu_p_has(const cJSON *p, const char *name);
const char *emu_p_need(struct emu_resp *rs, const cJSON *p, const char *name,
    const char *label);
void emu_p_metadata(cJSON *obj, const cJSON *p);
int emu_str_ieq(const char *a, const char *b);

/* store.c */
int emu_store_open(char *err, size_t errlen);
int emu_store_save(void);
void emu_store_close(void);
void emu_dirty(void);
int emu_take_dirty(void);
cJSON *emu_coll(const char *type);                      /* borrowed */
cJSON *emu_find(const char *type, const char *id);      /* borrowed or NULL */
void emu_insert(const char *type, cJSON *obj);          /* takes obj */
cJSON *emu_root_array(const char *name);                /* "idempotency", "deliveries" */
void emu_new_id(char *out, size_t n, const char *prefix, int nrand);
cJSON *emu_base(const char *prefix, const char *object, int nrand);
cJSON *emu_new_obj(const char *prefix, const char *object, int nrand, const char *tpl);
cJSON *emu_render(const cJSON *obj);                    /* caller frees */
int emu_expand(struct emu_resp *rs, cJSON *obj, const cJSON *params);
void emu_respond_obj(struct emu_req *rq, struct emu_resp *rs, const cJSON *obj);
void emu_get(struct emu_req *rq, struct emu_resp *rs, const char *type, const char *id);
typedef int (*emu_match_fn)(const cJSON *obj, const cJSON *params);
void emu_list(struct emu_req *rq, struct emu_resp *rs, const cJSON *arr, int newest_first,
    const char *url, emu_match_fn match);
void emu_jset(cJSON *obj, const char *key, cJSON *val);  /* takes val */
cJSON *emu_jstr(const char *s);                          /* NULL or "" → JSON null */
const char *emu_jgets(const cJSON *obj, const char *key);
int64_t emu_jgeti(const cJSON *obj, const char *key, int64_t dflt);
int emu_jtrue(const cJSON *obj, const char *key);
#define emu_jget cJSON_GetObjectItemCaseSensitive

/* api.c: one entry point per route; see the route table in main.c */
typedef void (*emu_handler)(struct emu_req *rq, struct emu_resp *rs, const char *arg);
void api_products_create(struct emu_req *, struct emu_resp *, const char *);
void api_products_list(struct emu_req *, struct emu_resp *, const char *);
void api_products_update(struct emu_req *, struct emu_resp *, const char *);
void api_prices_create(struct emu_req *, struct emu_resp *, const char *);
void api_prices_list(struct emu_req *, struct emu_resp *, const char *);
void api_prices_update(struct emu_req *, struct emu_resp *, const char *);
void api_customers_create(struct emu_req *, struct emu_resp *, const char *);
void api_customers_list(struct emu_req *, struct emu_resp *, const char *);
void api_customers_search(struct emu_req *, struct emu_resp *, const char *);
void api_customers_update(struct emu_req *, struct emu_resp *, const char *);
void api_coupons_create(struct emu_req *, struct emu_resp *, const char *);
void api_coupons_list(struct emu_req *, struct emu_resp *, const char *);
void api_promos_create(struct emu_req *, struct emu_resp *, const char *);
void api_promos_list(struct emu_req *, struct emu_resp *, const char *);
void api_promos_update(struct emu_req *, struct emu_resp *, const char *);
void api_events_list(struct emu_req *, struct emu_resp *, const char *);
void api_pi_create(struct emu_req *, struct emu_resp *, const char *);

/* checkout.c */
void co_create(struct emu_req *, struct emu_resp *, const char *);
void co_list(struct emu_req *, struct emu_resp *, const char *);
void co_line_items(struct emu_req *, struct emu_resp *, const char *);
void co_expire(struct emu_req *, struct emu_resp *, const char *);
int co_discount_check(const cJSON *coupon, const cJSON *promo, const cJSON *session,
    char *err, size_t n);
void co_set_discount(cJSON *session, const cJSON *coupon, const cJSON *promo);
void emu_money(char *buf, size_t n, int64_t amount, const char *currency);
void co_expire_session(struct emu_req *rq, cJSON *session);
extern const char co_pi_tpl[];      /* a payment intent's fields in Stripe's order */

/* page.c */
void page_pay(struct emu_req *rq, struct emu_resp *rs, const char *rest);
void page_index(struct emu_resp *rs);

/* webhook.c */
void emu_event(struct emu_req *rq, const char *type, const cJSON *obj, cJSON *prev);
cJSON *emu_diff(const cJSON *before, const cJSON *after);   /* caller frees; NULL = same */
int emu_worker_start(void);
void emu_worker_stop(void);
void emu_worker_kick(void);

/* ---- time, control endpoint, hosted-page helpers and admin page (issue 3 §2-4) ---- */

/* control.c: the emulator's clock, the /_emu/ control endpoint and injected faults. */
enum emu_fault { FAULT_NONE, FAULT_429, FAULT_500, FAULT_HANG };
int64_t emu_now(void);                  /* unix seconds on the emulator's clock */
void control_handle(struct emu_req *rq, struct emu_resp *rs);   /* takes emu_mu itself */
enum emu_fault control_fault_take(const char *path);
void control_fault_answer(struct emu_resp *rs, enum emu_fault f);
void control_hang(int fd);
void control_release_all(void);

/* store.c */
void emu_store_reset(void);             /* empties every object, record and delivery */

/* checkout.c: how a session was paid on the hosted page. A bank debit settles
 * CO_SETTLE_DELAY seconds later on the emulator's clock. */
enum co_pay { CO_PAY_CARD, CO_PAY_BANK_OK, CO_PAY_BANK_FAIL };
#define CO_SETTLE_DELAY 60
void co_pay_complete(cJSON *session, const char *email, const char *name, enum co_pay how);
void co_run_due(void);                  /* expiries and settlements due now; emu_mu held */
int emu_zero_decimal(const char *currency);

/* page.c: HTML building shared by the hosted page and the admin page. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;                         /* set on allocation failure; the page is then dropped */
};
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_esc(struct sbuf *b, const char *s);
void page_head(struct sbuf *b, const char *title, const char *extra_css);
char *page_finish(struct sbuf *b);     /* caller frees */

/* admin.c: the shop owner's page at /admin (loopback only; emu_mu held by the caller). */
void admin_handle(struct emu_req *rq, struct emu_resp *rs, const char *host,
    const char *origin, const char *referer);

#endif
