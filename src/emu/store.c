/*
 * store.c: the emulator's state. One cJSON tree holds every object (by type, in creation
 * order), idempotency records and pending webhook deliveries; it is saved to
 * STATE/state.json atomically after each mutation. Also: ids, rendering, expand and lists.
 * Every function here expects emu_mu to be held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "emu.h"

static cJSON *g_root;
static int g_dirty;

static const char *const g_types[] = {
	"product", "price", "customer", "coupon", "promotion_code", "checkout.session",
	"payment_intent", "event", NULL
};

/* Which id fields may be expanded, on which object type, into which type. */
static const struct expandable {
	const char *type, *path, *target;
} g_expandable[] = {
	{"product", "default_price", "price"},
	{"price", "product", "product"},
	{"checkout.session", "customer", "customer"},
	{"checkout.session", "payment_intent", "payment_intent"},
	{"checkout.session", "line_items", NULL},
	{"checkout.session", "discounts.coupon", "coupon"},
	{"checkout.session", "discounts.promotion_code", "promotion_code"},
	{"promotion_code", "promotion.coupon", "coupon"},
	{"promotion_code", "customer", "customer"},
	{"payment_intent", "customer", "customer"},
	{NULL, NULL, NULL}
};

static int read_file(const char *path, char **out);
static int write_atomic(const char *dir, const char *name, const char *data);
static int mkdir_p(const char *dir);
static const struct expandable *expandable_find(const char *type, const char *rel);
static int expand_path(struct emu_resp *rs, cJSON *node, const char *type, const char *rel,
    char **segs, int nseg, const char *full);
static void strip_private(cJSON *o);
static cJSON *line_items_list(const cJSON *session);
static int expand_one(struct emu_resp *rs, cJSON *node, const char *path);
static void root_init(void);

static int
read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	*out = NULL;
	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	if ((buf = malloc((size_t)len + 1)) == NULL)
		goto fail;
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto fail;
	buf[len] = '\0';
	fclose(f);
	*out = buf;
	return 0;
fail:
	free(buf);
	fclose(f);
	return -1;
}

/* Writes dir/name so that it holds either the old or the new content whatever happens. */
static int
write_atomic(const char *dir, const char *name, const char *data)
{
	char tmp[1200], dst[1200];
	size_t len = strlen(data), off = 0;
	int fd = -1, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
		goto fail;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) != 0)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	emu_log("write_atomic", "%s/%s: %s", dir, name, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* Creates dir and its missing parents (mode 0700, as the state holds customer data). */
static int
mkdir_p(const char *dir)
{
	char buf[1024];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", dir) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Loads STATE/state.json, or starts empty when there is none. A file that does not parse
 * is an error: state is never silently reset. */
int
emu_store_open(char *err, size_t errlen)
{
	char path[1200], *text = NULL;
	int rc;

	if (mkdir_p(emu_cfg.state_dir) != 0) {
		snprintf(err, errlen, "cannot create state dir %s: %s", emu_cfg.state_dir,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/state.json", emu_cfg.state_dir);
	rc = read_file(path, &text);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	g_root = rc == 0 ? cJSON_Parse(text) : cJSON_CreateObject();
	free(text);
	if (!cJSON_IsObject(g_root)) {
		snprintf(err, errlen, "%s is not valid JSON; fix or remove it (state is never reset "
		    "silently)", path);
		cJSON_Delete(g_root);
		g_root = NULL;
		return -1;
	}
	root_init();
	return 0;
}

/* Gives g_root every collection and array it must have. */
static void
root_init(void)
{
	cJSON *objs;

	if (!cJSON_IsObject(objs = emu_jget(g_root, "objects"))) {
		objs = cJSON_CreateObject();
		emu_jset(g_root, "objects", objs);
	}
	for (int i = 0; g_types[i] != NULL; i++)
		if (!cJSON_IsArray(emu_jget(objs, g_types[i])))
			emu_jset(objs, g_types[i], cJSON_CreateArray());
	if (!cJSON_IsArray(emu_jget(g_root, "idempotency")))
		emu_jset(g_root, "idempotency", cJSON_CreateArray());
	if (!cJSON_IsArray(emu_jget(g_root, "deliveries")))
		emu_jset(g_root, "deliveries", cJSON_CreateArray());
	emu_jset(g_root, "api_version", cJSON_CreateString(EMU_API_VERSION));
}

/* Empties the state (POST /_emu/reset): no objects, idempotency records or deliveries. */
void
emu_store_reset(void)
{
	cJSON_Delete(g_root);
	g_root = cJSON_CreateObject();
	root_init();
	g_dirty = 1;
}

int
emu_store_save(void)
{
	char *text = cJSON_PrintUnformatted(g_root);
	int rc;

	if (text == NULL)
		return -1;
	rc = write_atomic(emu_cfg.state_dir, "state.json", text);
	free(text);
	return rc;
}

void
emu_store_close(void)
{
	cJSON_Delete(g_root);
	g_root = NULL;
}

void
emu_dirty(void)
{
	g_dirty = 1;
}

/* Returns whether anything changed since the last call, and resets the flag. */
int
emu_take_dirty(void)
{
	int d = g_dirty;

	g_dirty = 0;
	return d;
}

cJSON *
emu_coll(const char *type)
{
	return emu_jget(emu_jget(g_root, "objects"), type);
}

cJSON *
emu_root_array(const char *name)
{
	return emu_jget(g_root, name);
}

cJSON *
emu_find(const char *type, const char *id)
{
	cJSON *o;

	if (id == NULL)
		return NULL;
	cJSON_ArrayForEach(o, emu_coll(type)) {
		const char *oid = emu_jgets(o, "id");
		if (oid != NULL && strcmp(oid, id) == 0)
			return o;
	}
	return NULL;
}

void
emu_insert(const char *type, cJSON *obj)
{
	cJSON_AddItemToArray(emu_coll(type), obj);
	g_dirty = 1;
}

/* Writes prefix + nrand random letters and digits into out. */
void
emu_new_id(char *out, size_t n, const char *prefix, int nrand)
{
	static const char alnum[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t p = strlen(prefix);

	if (p + (size_t)nrand + 1 > n)
		nrand = (int)(n - p - 1);
	memcpy(out, prefix, p);
	for (int i = 0; i < nrand; i++)
		out[p + (size_t)i] = alnum[randombytes_uniform(sizeof(alnum) - 1)];
	out[p + (size_t)nrand] = '\0';
}

/* A new object with the fields every Stripe object has. Caller owns it. */
cJSON *
emu_base(const char *prefix, const char *object, int nrand)
{
	char id[128];
	cJSON *o = cJSON_CreateObject();

	emu_new_id(id, sizeof(id), prefix, nrand);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "object", object);
	cJSON_AddNumberToObject(o, "created", (double)emu_now());
	cJSON_AddFalseToObject(o, "livemode");
	return o;
}

/* emu_base plus the fields of tpl, a JSON object literal giving the type's shape and
 * defaults in Stripe's field order. Caller owns the result. */
cJSON *
emu_new_obj(const char *prefix, const char *object, int nrand, const char *tpl)
{
	cJSON *o = emu_base(prefix, object, nrand), *t = cJSON_Parse(tpl), *c;

	while (t != NULL && (c = t->child) != NULL)
		cJSON_AddItemToObject(o, c->string, cJSON_DetachItemViaPointer(t, c));
	cJSON_Delete(t);
	return o;
}

void
emu_jset(cJSON *obj, const char *key, cJSON *val)
{
	if (val == NULL)
		val = cJSON_CreateNull();
	if (emu_jget(obj, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val);
	else
		cJSON_AddItemToObject(obj, key, val);
}

cJSON *
emu_jstr(const char *s)
{
	return s == NULL || *s == '\0' ? cJSON_CreateNull() : cJSON_CreateString(s);
}

const char *
emu_jgets(const cJSON *obj, const char *key)
{
	const cJSON *v = emu_jget(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t
emu_jgeti(const cJSON *obj, const char *key, int64_t dflt)
{
	const cJSON *v = emu_jget(obj, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

int
emu_jtrue(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(emu_jget(obj, key));
}

static void
strip_private(cJSON *o)
{
	cJSON *c, *next;

	for (c = o != NULL ? o->child : NULL; c != NULL; c = next) {
		next = c->next;
		if (c->string != NULL && c->string[0] == '_')
			cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
	}
}

/* A copy of a stored object without its private ("_"-prefixed) fields. Caller frees. */
cJSON *
emu_render(const cJSON *obj)
{
	cJSON *o = cJSON_Duplicate(obj, 1);

	strip_private(o);
	return o;
}

static const struct expandable *
expandable_find(const char *type, const char *rel)
{
	for (const struct expandable *e = g_expandable; e->type != NULL; e++)
		if (type != NULL && strcmp(e->type, type) == 0 && strcmp(e->path, rel) == 0)
			return e;
	return NULL;
}

/* The embedded list of a session's line items, as Stripe shows it when expanded. */
static cJSON *
line_items_list(const cJSON *session)
{
	cJSON *list = cJSON_CreateObject(), *data = cJSON_CreateArray(), *it;
	char url[200];
	int n = 0;

	cJSON_ArrayForEach(it, emu_jget(session, "_line_items"))
		if (n++ < 10)
			cJSON_AddItemToArray(data, cJSON_Duplicate(it, 1));
	snprintf(url, sizeof(url), "/v1/checkout/sessions/%s/line_items", emu_jgets(session, "id"));
	cJSON_AddStringToObject(list, "object", "list");
	cJSON_AddItemToObject(list, "data", data);
	cJSON_AddBoolToObject(list, "has_more", n > 10);
	cJSON_AddStringToObject(list, "url", url);
	return list;
}

/*
 * Expands segs[0..nseg) below node. type is the Stripe type of the nearest typed object and
 * rel the path from it to node ("" at the object itself), so untyped sub-objects such as a
 * session's discounts are matched against the table by their full relative path.
 */
static int
expand_path(struct emu_resp *rs, cJSON *node, const char *type, const char *rel,
    char **segs, int nseg, const char *full)
{
	char r[256];
	const struct expandable *e;
	cJSON *child, *el;

	if (nseg == 0)
		return 0;
	if (type != NULL && strcmp(type, "list") == 0 && *rel == '\0' &&
	    strcmp(segs[0], "data") == 0) {
		cJSON_ArrayForEach(el, emu_jget(node, "data"))
			if (expand_path(rs, el, emu_jgets(el, "object"), "", segs + 1, nseg - 1,
			    full) != 0)
				return -1;
		return 0;
	}
	snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "." : "", segs[0]);
	e = expandable_find(type, r);
	if (e != NULL && e->target == NULL && emu_jget(node, "_line_items") != NULL) {
		emu_jset(node, "line_items", line_items_list(node));
	}
	child = emu_jget(node, segs[0]);
	if (e != NULL && cJSON_IsString(child)) {
		cJSON *found = emu_find(e->target, child->valuestring);
		if (found != NULL) {
			child = emu_render(found);
			emu_jset(node, segs[0], child);
		}
	}
	if (e == NULL && (nseg == 1 || child == NULL)) {
		emu_error(rs, 400, "invalid_request_error", NULL, "expand",
		    "This property cannot be expanded (%s).", full);
		return -1;
	}
	if (nseg == 1 || cJSON_IsNull(child))
		return 0;
	if (cJSON_IsArray(child)) {
		cJSON_ArrayForEach(el, child)
			if (cJSON_IsObject(el) && expand_path(rs, el, type, r, segs + 1, nseg - 1,
			    full) != 0)
				return -1;
		return 0;
	}
	if (cJSON_IsObject(child)) {
		const char *ct = emu_jgets(child, "object");
		return ct != NULL ? expand_path(rs, child, ct, "", segs + 1, nseg - 1, full) :
		    expand_path(rs, child, type, r, segs + 1, nseg - 1, full);
	}
	emu_error(rs, 400, "invalid_request_error", NULL, "expand",
	    "This property cannot be expanded (%s).", full);
	return -1;
}

static int
expand_one(struct emu_resp *rs, cJSON *node, const char *path)
{
	char buf[256], *segs[8], *save = NULL, *t;
	int n = 0;

	if (strlen(path) >= sizeof(buf) || *path == '\0') {
		emu_error(rs, 400, "invalid_request_error", NULL, "expand",
		    "This property cannot be expanded (%s).", path);
		return -1;
	}
	strcpy(buf, path);
	for (t = strtok_r(buf, ".", &save); t != NULL; t = strtok_r(NULL, ".", &save)) {
		if (n == 4) {
			emu_error(rs, 400, "invalid_request_error", NULL, "expand",
			    "You cannot expand more than 4 levels of a property. Property: %s", path);
			return -1;
		}
		segs[n++] = t;
	}
	return expand_path(rs, node, emu_jgets(node, "object"), "", segs, n, path);
}

/* Applies params.expand[] to a rendered object or list. Answers 400 and returns -1 when a
 * path cannot be expanded. */
int
emu_expand(struct emu_resp *rs, cJSON *obj, const cJSON *params)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, emu_jget(params, "expand"))
		if (cJSON_IsString(p) && expand_one(rs, obj, p->valuestring) != 0)
			return -1;
	return 0;
}

/* Answers 200 with obj rendered and expanded as the request asks. */
void
emu_respond_obj(struct emu_req *rq, struct emu_resp *rs, const cJSON *obj)
{
	cJSON *o = cJSON_Duplicate(obj, 1);

	/* private fields go after expansion: line_items expands from "_line_items" */
	if (emu_expand(rs, o, rq->params) != 0) {
		cJSON_Delete(o);
		return;
	}
	strip_private(o);
	emu_resp_json(rs, 200, o);
}

/* GET of one object by id: expand is its only parameter; 404 for an unknown id. */
void
emu_get(struct emu_req *rq, struct emu_resp *rs, const char *type, const char *id)
{
	static const struct emu_param spec[] = { {"expand", P_STRS, NULL}, {NULL, 0, NULL} };
	const cJSON *o;

	if (emu_params_check(rs, rq->params, spec) != 0)
		return;
	if ((o = emu_find(type, id)) == NULL)
		emu_missing_obj(rs, type, id, NULL);
	else
		emu_respond_obj(rq, rs, o);
}

/*
 * Answers a list request over arr (newest first when newest_first, else in array order):
 * limit 1–100, starting_after / ending_before cursors, has_more, expand with "data.".
 */
void
emu_list(struct emu_req *rq, struct emu_resp *rs, const cJSON *arr, int newest_first,
    const char *url, emu_match_fn match)
{
	const char *after = emu_p_str(rq->params, "starting_after");
	const char *before = emu_p_str(rq->params, "ending_before");
	int64_t limit = 10;
	const char *cursor = after != NULL && *after ? after : before;
	int n = cJSON_GetArraySize(arr), cnt = 0, start, end, cur = -1, cur_in = 0;
	const cJSON **v = NULL, **all = NULL, *o;
	cJSON *list = NULL, *data;

	if (cursor != NULL && *cursor == '\0')
		cursor = NULL;
	if (emu_p_has(rq->params, "limit") && (!emu_p_int(rq->params, "limit", &limit) ||
	    limit < 1 || limit > 100)) {
		emu_bad(rs, "limit", "Invalid limit: must be an integer between 1 and 100");
		return;
	}
	if (after != NULL && *after && before != NULL && *before) {
		emu_bad(rs, "ending_before", "You may only specify one of these parameters: "
		    "ending_before, starting_after.");
		return;
	}
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL ||
	    (all = calloc((size_t)n + 1, sizeof(*all))) == NULL)
		goto fail;
	n = 0;
	cJSON_ArrayForEach(o, arr)
		all[n++] = o;
	/* the cursor is a position in the full list, even when the filter drops it */
	for (int i = 0; i < n; i++) {
		const char *id;
		int is_cur;

		o = all[newest_first ? n - 1 - i : i];
		id = emu_jgets(o, "id");
		is_cur = cursor != NULL && id != NULL && strcmp(id, cursor) == 0;

		if (is_cur)
			cur = cnt;
		if (match == NULL || match(o, rq->params)) {
			cur_in |= is_cur;
			v[cnt++] = o;
		}
	}
	if (cursor != NULL && cur < 0) {
		emu_error(rs, 400, "invalid_request_error", "resource_missing",
		    cursor == after ? "starting_after" : "ending_before",
		    "No such object: '%s'", cursor);
		goto done;
	}
	if (cursor != NULL && cursor == after) {
		start = cur + cur_in;
		end = start + (int)limit < cnt ? start + (int)limit : cnt;
	} else if (cursor != NULL) {
		end = cur;
		start = end - (int)limit > 0 ? end - (int)limit : 0;
	} else {
		start = 0;
		end = (int)limit < cnt ? (int)limit : cnt;
	}
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	for (int i = start; i < end; i++)
		cJSON_AddItemToArray(data, cJSON_Duplicate(v[i], 1));
	cJSON_AddBoolToObject(list, "has_more", cursor != NULL && cursor != after ? start > 0 :
	    end < cnt);
	cJSON_AddStringToObject(list, "url", url);
	if (emu_expand(rs, list, rq->params) != 0)
		goto done;
	cJSON_ArrayForEach(o, data)
		strip_private((cJSON *)o);
	emu_resp_json(rs, 200, list);
	list = NULL;
	goto done;
fail:
	emu_error(rs, 500, "api_error", NULL, NULL, "Out of memory");
done:
	cJSON_Delete(list);
	free(v);
	free(all);
}
