/* json.c — JSON request bodies checked against a table of fields, and small typed getters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shop.h"

enum shop_err
json_input(const struct request *req, const struct json_field *fields, size_t n, cJSON **root,
    const char **values)
{
	const cJSON *item;
	const char *end = NULL;
	char msg[160];
	size_t i;

	*root = NULL;
	if (req->content_type == NULL ||
	    strncmp(req->content_type, "application/json", 16) != 0 ||
	    (req->content_type[16] != '\0' && req->content_type[16] != ';')) {
		http_send_error(415, "unsupported_media_type", NULL,
		    "Send the request as application/json.");
		return SHOP_ERR_INPUT;
	}
	/* C strings end at NUL: a \u0000 inside a string would silently shorten it. */
	if (memchr(req->body, '\0', req->body_len) != NULL ||
	    strstr(req->body, "\\u0000") != NULL) {
		http_send_error(400, "invalid_json", NULL, "NUL characters are not allowed.");
		return SHOP_ERR_INPUT;
	}
	*root = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
	while (*root != NULL && end < req->body + req->body_len && *end != '\0' &&
	    strchr(" \t\r\n", *end))
		end++;
	if (*root == NULL || !cJSON_IsObject(*root) || end != req->body + req->body_len) {
		http_send_error(400, "invalid_json", NULL, "The request body is not a JSON object.");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		values[i] = NULL;
		item = cJSON_GetObjectItemCaseSensitive(*root, fields[i].name);
		if (item == NULL || cJSON_IsNull(item)) {
			if (!fields[i].required)
				continue;
			snprintf(msg, sizeof(msg), "The field '%s' is required.", fields[i].name);
			http_send_error(400, "missing_field", fields[i].name, msg);
			goto fail;
		}
		if (!cJSON_IsString(item) || item->valuestring == NULL ||
		    (fields[i].valid != NULL && !fields[i].valid(item->valuestring))) {
			snprintf(msg, sizeof(msg), "The field '%s' is not valid.", fields[i].name);
			http_send_error(400, "invalid_field", fields[i].name, msg);
			goto fail;
		}
		values[i] = item->valuestring;
	}
	return SHOP_OK;
fail:
	cJSON_Delete(*root);
	*root = NULL;
	return SHOP_ERR_INPUT;
}

int
json_int(const cJSON *item, long long min, long long max, long long *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return 0;
	d = item->valuedouble;
	/* Reject fractions and anything a double cannot hold exactly. */
	if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max ||
	    fabs(d) >= 9007199254740992.0)
		return 0;
	*out = (long long)d;
	return 1;
}

const char *
json_str(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

long long
json_int_or(const cJSON *obj, const char *name, long long def)
{
	long long v;

	return json_int(cJSON_GetObjectItemCaseSensitive(obj, name), -(1LL << 53), 1LL << 53, &v)
	    ? v : def;
}
