/*
 * form.c: Stripe's request parameters. Decodes application/x-www-form-urlencoded bodies and
 * query strings with bracket nesting into a cJSON tree of objects and strings, then checks
 * the tree against an endpoint's input table (unknown names, types), turning indexed
 * objects into arrays. Handlers read only checked values through the emu_p_* accessors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"

/* Stripe's limits on metadata (and so on every map parameter). */
#define META_MAX_KEYS   50
#define META_MAX_KEYLEN 40
#define META_MAX_VALLEN 500

static int hexval(int c);
static size_t utf8_chars(const char *s);
static char *decode(const char *s, size_t n);
static int utf8_ok(const char *s);
static void form_put(cJSON *root, const char *key, const char *val);
static int all_digits(const char *s);
static int to_array(cJSON *parent, cJSON *node, const char *name);
static int check_node(struct emu_resp *rs, cJSON *parent, cJSON *node,
    const struct emu_param *pm, const char *path);
static int cmp_index(const void *a, const void *b);
static void join_path(char *dst, size_t n, const char *base, const char *seg);
static int check_scalar(struct emu_resp *rs, const cJSON *node, enum emu_pkind kind,
    const char *path);
static int check_obj(struct emu_resp *rs, cJSON *obj, const struct emu_param *spec,
    const char *prefix);

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes n bytes, '+' meaning space. Caller frees; NULL if it decodes a NUL. */
static char *
decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, j = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[j++] = ' ';
		else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			out[j] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			if (out[j++] == '\0') {
				free(out);
				return NULL;
			}
			i += 2;
		} else
			out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

/* Strict UTF-8 check (no overlongs, no surrogates); a NUL byte also fails. */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n;
		unsigned int cp;

		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1; cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2; cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3; cp = *p & 0x07;
		} else
			return 0;
		p++;
		for (int k = 0; k < n; k++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/*
 * Stores val under a bracketed key: "a[b][0][c]" becomes root.a.b."0".c. An empty segment
 * ("expand[]") appends, using the next free index as its name. A later value for the same
 * key wins, as with Stripe.
 */
static void
form_put(cJSON *root, const char *key, const char *val)
{
	char seg[256];
	const char *p = key, *open = strchr(key, '[');
	cJSON *node = root;
	size_t len;

	len = open != NULL ? (size_t)(open - key) : strlen(key);
	if (open != NULL && (len == 0 || key[strlen(key) - 1] != ']'))
		open = NULL, len = strlen(key);     /* not bracket syntax: a literal name */
	if (len == 0 || len >= sizeof(seg))
		return;
	memcpy(seg, key, len);
	seg[len] = '\0';
	p = open;
	while (p != NULL) {
		const char *close = strchr(p, ']');
		cJSON *child;

		if (close == NULL || (size_t)(close - p - 1) >= sizeof(seg))
			return;
		/* descend into seg, making it an object */
		child = emu_jget(node, seg);
		if (child == NULL || !cJSON_IsObject(child)) {
			child = cJSON_CreateObject();
			emu_jset(node, seg, child);
		}
		node = child;
		len = (size_t)(close - p - 1);
		if (len == 0)
			snprintf(seg, sizeof(seg), "%d", cJSON_GetArraySize(node));
		else {
			memcpy(seg, p + 1, len);
			seg[len] = '\0';
		}
		p = close[1] == '[' ? close + 1 : NULL;
	}
	emu_jset(node, seg, cJSON_CreateString(val));
}

cJSON *
emu_form_parse(const char *s, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	size_t i = 0;

	if (root == NULL)
		return NULL;
	while (i < n) {
		size_t end = i, eq;
		char *k, *v;

		while (end < n && s[end] != '&')
			end++;
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (end > i) {
			k = decode(s + i, eq - i);
			v = eq < end ? decode(s + eq + 1, end - eq - 1) : decode("", 0);
			if (k == NULL || v == NULL || !utf8_ok(k) || !utf8_ok(v)) {
				free(k);
				free(v);
				cJSON_Delete(root);
				return NULL;
			}
			if (*k != '\0')
				form_put(root, k, v);
			free(k);
			free(v);
		}
		i = end + 1;
	}
	return root;
}

/* Characters (code points) in a valid UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
all_digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 6)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
cmp_index(const void *a, const void *b)
{
	long x = strtol((*(cJSON *const *)a)->string, NULL, 10);
	long y = strtol((*(cJSON *const *)b)->string, NULL, 10);

	return (x > y) - (x < y);
}

/* Replaces an object whose names are all indexes by an array in index order. */
static int
to_array(cJSON *parent, cJSON *node, const char *name)
{
	cJSON *arr, *c, **v;
	int n = cJSON_GetArraySize(node), i = 0;

	cJSON_ArrayForEach(c, node)
		if (!all_digits(c->string))
			return -1;
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		return -1;
	cJSON_ArrayForEach(c, node)
		v[i++] = c;
	qsort(v, (size_t)n, sizeof(*v), cmp_index);
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_DetachItemViaPointer(node, v[i]));
	free(v);
	cJSON_ReplaceItemInObjectCaseSensitive(parent, name, arr);
	return 0;
}

/* "base[seg]", or "seg" without a base; a name too long for dst is cut (it is only shown
 * in error messages). */
static void
join_path(char *dst, size_t n, const char *base, const char *seg)
{
	int w = base != NULL ? snprintf(dst, n, "%s[%s]", base, seg) : snprintf(dst, n, "%s", seg);

	if (w < 0 || (size_t)w >= n)
		dst[n - 1] = '\0';
}

static int
check_scalar(struct emu_resp *rs, const cJSON *node, enum emu_pkind kind, const char *path)
{
	const char *s = node->valuestring;
	char *end;

	if (!cJSON_IsString(node)) {
		emu_bad(rs, path, "Invalid %s: %s must be a string", "value", path);
		return -1;
	}
	if (*s == '\0')
		return 0;
	errno = 0;
	switch (kind) {
	case P_INT: {
		long long v = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0' || v > 9007199254740991LL || v < -9007199254740991LL) {
			emu_bad(rs, path, "Invalid integer: %s", s);
			return -1;
		}
		break;
	}
	case P_NUM: {
		double d = strtod(s, &end);
		if (errno != 0 || *end != '\0' || d != d || isspace((unsigned char)*s)) {
			emu_bad(rs, path, "Invalid decimal: %s", s);
			return -1;
		}
		break;
	}
	case P_BOOL:
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
			emu_bad(rs, path, "Invalid boolean: %s", s);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
check_node(struct emu_resp *rs, cJSON *parent, cJSON *node, const struct emu_param *pm,
    const char *path)
{
	char sub[512];
	cJSON *c;
	int i = 0;

	switch (pm->kind) {
	case P_STR: case P_INT: case P_BOOL: case P_NUM:
		if (!cJSON_IsString(node)) {
			emu_bad(rs, path, "Invalid %s", pm->kind == P_STR ? "string" : "value");
			return -1;
		}
		return check_scalar(rs, node, pm->kind, path);
	case P_MAP:
		if (cJSON_IsString(node) && *node->valuestring == '\0')
			return 0;
		if (!cJSON_IsObject(node)) {
			emu_bad(rs, path, "Invalid hash");
			return -1;
		}
		cJSON_ArrayForEach(c, node) {
			join_path(sub, sizeof(sub), path, c->string);
			if (!cJSON_IsString(c)) {
				emu_bad(rs, sub, "Invalid value for %s: must be a string", sub);
				return -1;
			}
			if (utf8_chars(c->string) > META_MAX_KEYLEN) {
				emu_bad(rs, sub, "Metadata keys can have up to %d characters, but you passed "
				    "in a key that is %zu characters long.", META_MAX_KEYLEN,
				    utf8_chars(c->string));
				return -1;
			}
			if (utf8_chars(c->valuestring) > META_MAX_VALLEN) {
				emu_bad(rs, sub, "Metadata values can have up to %d characters, but you "
				    "passed in a value that is %zu characters long.", META_MAX_VALLEN,
				    utf8_chars(c->valuestring));
				return -1;
			}
		}
		if (cJSON_GetArraySize(node) > META_MAX_KEYS) {
			emu_bad(rs, path, "Metadata can have up to %d keys, but you passed in %d keys.",
			    META_MAX_KEYS, cJSON_GetArraySize(node));
			return -1;
		}
		return 0;
	case P_OBJ:
		if (cJSON_IsString(node) && *node->valuestring == '\0')
			return 0;
		if (!cJSON_IsObject(node)) {
			emu_bad(rs, path, "Invalid hash");
			return -1;
		}
		return check_obj(rs, node, pm->sub, path);
	case P_STRS: case P_OBJS:
		if (cJSON_IsString(node) && *node->valuestring == '\0')
			return 0;
		if (!cJSON_IsObject(node) || to_array(parent, node, pm->name) != 0) {
			emu_bad(rs, path, "Invalid array");
			return -1;
		}
		node = emu_jget(parent, pm->name);
		cJSON_ArrayForEach(c, node) {
			char idx[16];

			snprintf(idx, sizeof(idx), "%d", i++);
			join_path(sub, sizeof(sub), path, idx);
			if (pm->kind == P_STRS && !cJSON_IsString(c)) {
				emu_bad(rs, sub, "Invalid string: %s must be a string", sub);
				return -1;
			}
			if (pm->kind == P_OBJS && (!cJSON_IsObject(c) ||
			    check_obj(rs, c, pm->sub, sub) != 0)) {
				if (!cJSON_IsObject(c))
					emu_bad(rs, sub, "Invalid hash");
				return -1;
			}
		}
		return 0;
	}
	return 0;
}

static int
check_obj(struct emu_resp *rs, cJSON *obj, const struct emu_param *spec, const char *prefix)
{
	cJSON *c, *next;
	char path[512];

	for (c = obj->child; c != NULL; c = next) {
		const struct emu_param *pm;

		next = c->next;     /* check_node may replace c */
		join_path(path, sizeof(path), prefix, c->string);
		for (pm = spec; pm->name != NULL; pm++)
			if (strcmp(pm->name, c->string) == 0)
				break;
		if (pm->name == NULL) {
			emu_error(rs, 400, "invalid_request_error", "parameter_unknown", path,
			    "Received unknown parameter: %s", path);
			return -1;
		}
		if (check_node(rs, obj, c, pm, path) != 0)
			return -1;
	}
	return 0;
}

/* Checks params against spec, answering 400 on the first problem. Returns 0 or -1. */
int
emu_params_check(struct emu_resp *rs, cJSON *params, const struct emu_param *spec)
{
	return check_obj(rs, params, spec, NULL);
}

/* A checked string parameter; "" means the caller asked to unset it; NULL if absent. */
const char *
emu_p_str(const cJSON *p, const char *name)
{
	const cJSON *v = p != NULL ? emu_jget(p, name) : NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
emu_p_has(const cJSON *p, const char *name)
{
	return p != NULL && emu_jget(p, name) != NULL;
}

/* 1 and *out set when a checked integer is present and not empty, else 0. */
int
emu_p_int(const cJSON *p, const char *name, int64_t *out)
{
	const char *s = emu_p_str(p, name);

	if (s == NULL || *s == '\0')
		return 0;
	*out = strtoll(s, NULL, 10);
	return 1;
}

int
emu_p_bool(const cJSON *p, const char *name, int *out)
{
	const char *s = emu_p_str(p, name);

	if (s == NULL || *s == '\0')
		return 0;
	*out = strcmp(s, "true") == 0;
	return 1;
}

int
emu_p_num(const cJSON *p, const char *name, double *out)
{
	const char *s = emu_p_str(p, name);

	if (s == NULL || *s == '\0')
		return 0;
	*out = strtod(s, NULL);
	return 1;
}

/* A required, non-empty string; answers 400 and returns NULL when it is not there. */
const char *
emu_p_need(struct emu_resp *rs, const cJSON *p, const char *name, const char *label)
{
	const char *s = emu_p_str(p, name);

	if (label == NULL)
		label = name;
	if (s == NULL) {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", label,
		    "Missing required param: %s.", label);
		return NULL;
	}
	if (*s == '\0') {
		emu_error(rs, 400, "invalid_request_error", "parameter_missing", label,
		    "You passed an empty string for '%s'. We assume empty values are an attempt "
		    "to unset a parameter; however '%s' cannot be unset. You should remove '%s' "
		    "from your request or supply a non-empty value.", label, label, label);
		return NULL;
	}
	return s;
}

/* Applies metadata from p to obj.metadata: a key with "" is removed, metadata="" clears. */
void
emu_p_metadata(cJSON *obj, const cJSON *p)
{
	const cJSON *m = emu_jget(p, "metadata"), *c;
	cJSON *md = emu_jget(obj, "metadata");

	if (!cJSON_IsObject(md)) {
		md = cJSON_CreateObject();
		emu_jset(obj, "metadata", md);
	}
	if (m == NULL)
		return;
	if (cJSON_IsString(m)) {
		emu_jset(obj, "metadata", cJSON_CreateObject());
		return;
	}
	cJSON_ArrayForEach(c, m) {
		if (*c->valuestring == '\0')
			cJSON_DeleteItemFromObjectCaseSensitive(md, c->string);
		else
			emu_jset(md, c->string, cJSON_CreateString(c->valuestring));
	}
}

int
emu_str_ieq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}
