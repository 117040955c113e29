/*
 * control.c: the emulator's own control endpoint under /_emu/ (same API keys as /v1): reset
 * the state, move the clock forward, and queue faults (429, 500, or no answer) for the next
 * /v1 requests, so that a client's error paths can be tested. Stripe has no such endpoint.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "emu.h"

#define FAULT_MAX       32
#define FAULT_MAX_COUNT 1000
#define HANG_MAX_SECS   120
#define ADVANCE_MAX     (10LL * 366 * 24 * 3600)

/* A queued fault: the next `remaining` /v1 requests whose path starts with `path`. */
struct fault {
	char id[32];
	enum emu_fault kind;
	int remaining;
	char path[128];
};

/* Faults and hanging requests have their own lock: a hanging request holds neither it
 * nor emu_mu while it waits. Releasing bumps g_release so every waiter lets go. */
static pthread_mutex_t g_fault_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_fault_cv = PTHREAD_COND_INITIALIZER;
static struct fault g_faults[FAULT_MAX];
static int g_nfaults;
static unsigned long g_release;

static atomic_llong g_offset;          /* seconds added to the real clock */

static const struct emu_param p_clock[] = {
	{"advance", P_INT, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_fault[] = {
	{"status", P_STR, NULL}, {"count", P_INT, NULL}, {"path", P_STR, NULL}, {NULL, 0, NULL}
};
static const struct emu_param p_none[] = {
	{NULL, 0, NULL}
};

static const char *fault_name(enum emu_fault f);
static cJSON *faults_list(void);
static void faults_add(struct emu_req *rq, struct emu_resp *rs);
static void clock_answer(struct emu_resp *rs);
static void clock_advance(struct emu_req *rq, struct emu_resp *rs);
static void reset(struct emu_resp *rs);
static int client_gone(int fd);

int64_t
emu_now(void)
{
	return (int64_t)time(NULL) + atomic_load(&g_offset);
}

static const char *
fault_name(enum emu_fault f)
{
	return f == FAULT_429 ? "429" : f == FAULT_500 ? "500" : "hang";
}

/* GET /_emu/faults: {"object":"list","data":[{id, status, remaining, path}]}. */
static cJSON *
faults_list(void)
{
	cJSON *list = cJSON_CreateObject(), *data;

	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	pthread_mutex_lock(&g_fault_mu);
	for (int i = 0; i < g_nfaults; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "id", g_faults[i].id);
		cJSON_AddStringToObject(f, "status", fault_name(g_faults[i].kind));
		cJSON_AddNumberToObject(f, "remaining", g_faults[i].remaining);
		cJSON_AddStringToObject(f, "path", g_faults[i].path);
		cJSON_AddItemToArray(data, f);
	}
	pthread_mutex_unlock(&g_fault_mu);
	return list;
}

/* POST /_emu/faults status=429|500|hang count=N [path=/v1/…]. */
static void
faults_add(struct emu_req *rq, struct emu_resp *rs)
{
	const char *st, *path = emu_p_str(rq->params, "path");
	int64_t count = 1;
	struct fault f = {0};

	if (emu_params_check(rs, rq->params, p_fault) != 0 ||
	    (st = emu_p_need(rs, rq->params, "status", NULL)) == NULL)
		return;
	if (strcmp(st, "429") == 0)
		f.kind = FAULT_429;
	else if (strcmp(st, "500") == 0)
		f.kind = FAULT_500;
	else if (strcmp(st, "hang") == 0)
		f.kind = FAULT_HANG;
	else {
		emu_bad(rs, "status", "Invalid status: must be one of 429, 500, or hang.");
		return;
	}
	if (emu_p_has(rq->params, "count") && (!emu_p_int(rq->params, "count", &count) ||
	    count < 1 || count > FAULT_MAX_COUNT)) {
		emu_bad(rs, "count", "Invalid count: must be an integer between 1 and %d.",
		    FAULT_MAX_COUNT);
		return;
	}
	if (path == NULL || *path == '\0')
		path = "/v1";
	if (strncmp(path, "/v1", 3) != 0 || strlen(path) >= sizeof(f.path) ||
	    strpbrk(path, " ?#\r\n") != NULL) {
		emu_bad(rs, "path", "Invalid path: must be a prefix of /v1 paths, such as "
		    "/v1/checkout.");
		return;
	}
	emu_new_id(f.id, sizeof(f.id), "fault_", 14);
	f.remaining = (int)count;
	snprintf(f.path, sizeof(f.path), "%s", path);
	pthread_mutex_lock(&g_fault_mu);
	if (g_nfaults == FAULT_MAX) {
		pthread_mutex_unlock(&g_fault_mu);
		emu_bad(rs, NULL, "At most %d faults can be queued; DELETE /_emu/faults first.",
		    FAULT_MAX);
		return;
	}
	g_faults[g_nfaults++] = f;
	pthread_mutex_unlock(&g_fault_mu);
	emu_log("control", "fault %s: next %d requests under %s", fault_name(f.kind),
	    f.remaining, f.path);
	emu_resp_json(rs, 200, faults_list());
}

/*
 * Consumes one matching fault for a /v1 request to path: the oldest queued fault whose
 * prefix matches. Returns FAULT_NONE when no fault applies.
 */
enum emu_fault
control_fault_take(const char *path)
{
	enum emu_fault f = FAULT_NONE;

	pthread_mutex_lock(&g_fault_mu);
	for (int i = 0; i < g_nfaults; i++) {
		if (strncmp(path, g_faults[i].path, strlen(g_faults[i].path)) != 0)
			continue;
		f = g_faults[i].kind;
		if (--g_faults[i].remaining == 0) {
			memmove(&g_faults[i], &g_faults[i + 1],
			    (size_t)(g_nfaults - i - 1) * sizeof(g_faults[0]));
			g_nfaults--;
		}
		break;
	}
	pthread_mutex_unlock(&g_fault_mu);
	return f;
}

/* Stripe's answers for an injected 429 or 500. */
void
control_fault_answer(struct emu_resp *rs, enum emu_fault f)
{
	if (f == FAULT_429)
		emu_error(rs, 429, "invalid_request_error", "rate_limit", NULL, "Too many requests "
		    "hit the API too quickly. We recommend an exponential backoff of your requests.");
	else
		emu_error(rs, 500, "api_error", NULL, NULL, "An unknown error occurred (injected by "
		    "the emulator's fault control).");
}

/* Has the peer closed its side? (A client that timed out drops the connection.) */
static int
client_gone(int fd)
{
	char c;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/*
 * Leaves a request unanswered: returns when the client gives up (closes fd), when a reset or
 * DELETE /_emu/faults releases it, or after HANG_MAX_SECS. Called without emu_mu, so the
 * rest of the server keeps serving.
 */
void
control_hang(int fd)
{
	struct timespec until, tick;
	unsigned long gen;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HANG_MAX_SECS;
	pthread_mutex_lock(&g_fault_mu);
	gen = g_release;
	while (g_release == gen && !client_gone(fd)) {
		clock_gettime(CLOCK_REALTIME, &tick);
		if (tick.tv_sec >= until.tv_sec)
			break;
		tick.tv_nsec += 250 * 1000000L;
		if (tick.tv_nsec >= 1000000000L) {
			tick.tv_sec++;
			tick.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g_fault_cv, &g_fault_mu, &tick);
	}
	pthread_mutex_unlock(&g_fault_mu);
}

/* Drops every queued fault and lets every hanging request go (reset, DELETE, shutdown). */
void
control_release_all(void)
{
	pthread_mutex_lock(&g_fault_mu);
	g_nfaults = 0;
	g_release++;
	pthread_cond_broadcast(&g_fault_cv);
	pthread_mutex_unlock(&g_fault_mu);
}

static void
clock_answer(struct emu_resp *rs)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "now", (double)emu_now());
	emu_resp_json(rs, 200, o);
}

/* POST /_emu/clock advance=SECONDS: moves the clock on and runs what fell due. */
static void
clock_advance(struct emu_req *rq, struct emu_resp *rs)
{
	int64_t secs;

	if (emu_params_check(rs, rq->params, p_clock) != 0 ||
	    emu_p_need(rs, rq->params, "advance", NULL) == NULL)
		return;
	if (!emu_p_int(rq->params, "advance", &secs) || secs < 0 || secs > ADVANCE_MAX) {
		emu_bad(rs, "advance", "Invalid advance: must be a whole number of seconds between "
		    "0 and %lld.", ADVANCE_MAX);
		return;
	}
	pthread_mutex_lock(&emu_mu);
	atomic_fetch_add(&g_offset, secs);
	co_run_due();
	if (emu_take_dirty() && emu_store_save() != 0)
		emu_error(rs, 500, "api_error", NULL, NULL, "The emulator could not save its "
		    "state; see its log.");
	else
		clock_answer(rs);
	pthread_mutex_unlock(&emu_mu);
	emu_log("control", "clock advanced by %lld s", (long long)secs);
}

/* POST /_emu/reset: as if started on an empty state dir (the webhook secret stays). */
static void
reset(struct emu_resp *rs)
{
	cJSON *o;

	control_release_all();
	pthread_mutex_lock(&emu_mu);
	atomic_store(&g_offset, 0);
	emu_store_reset();
	emu_take_dirty();
	if (emu_store_save() != 0) {
		pthread_mutex_unlock(&emu_mu);
		emu_error(rs, 500, "api_error", NULL, NULL, "The emulator could not save its "
		    "state; see its log.");
		return;
	}
	pthread_mutex_unlock(&emu_mu);
	emu_log("control", "state reset");
	o = cJSON_CreateObject();
	cJSON_AddTrueToObject(o, "reset");
	emu_resp_json(rs, 200, o);
}

/* Routes /_emu/… (authenticated by the caller). Takes emu_mu where state is touched. */
void
control_handle(struct emu_req *rq, struct emu_resp *rs)
{
	const char *m = rq->method, *p = rq->path;
	int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;

	if (strcmp(p, "/_emu/reset") == 0 && post) {
		if (emu_params_check(rs, rq->params, p_none) == 0)
			reset(rs);
	} else if (strcmp(p, "/_emu/clock") == 0 && get) {
		if (emu_params_check(rs, rq->params, p_none) == 0)
			clock_answer(rs);
	} else if (strcmp(p, "/_emu/clock") == 0 && post)
		clock_advance(rq, rs);
	else if (strcmp(p, "/_emu/faults") == 0 && get) {
		if (emu_params_check(rs, rq->params, p_none) == 0)
			emu_resp_json(rs, 200, faults_list());
	} else if (strcmp(p, "/_emu/faults") == 0 && post)
		faults_add(rq, rs);
	else if (strcmp(p, "/_emu/faults") == 0 && strcmp(m, "DELETE") == 0) {
		control_release_all();
		emu_log("control", "faults cleared");
		emu_resp_json(rs, 200, faults_list());
	} else
		emu_error(rs, 404, "invalid_request_error", NULL, NULL, "Unrecognized request URL "
		    "(%s: %s). The control endpoints are POST /_emu/reset, GET|POST /_emu/clock and "
		    "GET|POST|DELETE /_emu/faults.", m, p);
}
