/* http.c — one request in, one response out, over fcgi_stdio: FastCGI when spawned by
 * spawn-fcgi, a single plain CGI request when run from a shell. Only this file speaks fcgi. */
#include <fcgi_stdio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

/* Per-request state, reset at the top of the accept loop. */
static char	http_headers[2048];
static size_t	http_headers_len;
static int	http_answered;

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return status < 500 ? "Error" : "Internal Server Error";
	}
}

void
http_header(const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(http_headers) - http_headers_len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(http_headers + http_headers_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room) {
		http_headers[http_headers_len] = '\0';	/* drop a header that does not fit */
		LOG("header dropped: too long");
		return;
	}
	memcpy(http_headers + http_headers_len + n, "\r\n", 3);
	http_headers_len += (size_t)n + 2;
}

void
http_send_raw(int status, const char *content_type, const char *body, size_t len)
{
	if (http_answered) {
		LOG("second answer to one request dropped (status %d)", status);
		return;
	}
	http_answered = 1;
	printf("Status: %d %s\r\n", status, http_reason(status));
	if (content_type != NULL)
		/* FCGI_printf knows no %zu. */
		printf("Content-Type: %s\r\nContent-Length: %lu\r\n", content_type,
		    (unsigned long)len);
	if (strstr(http_headers, "Cache-Control:") == NULL)
		printf("Cache-Control: no-store\r\n");
	printf("%s\r\n", http_headers);
	if (len > 0)
		fwrite((void *)(uintptr_t)body, 1, len, stdout);	/* FCGI_fwrite is not const */
}

void
http_send_empty(int status)
{
	http_send_raw(status, NULL, NULL, 0);
}

void
http_send_json(int status, const cJSON *body)
{
	char *text = cJSON_PrintUnformatted(body);

	if (text == NULL) {
		LOG("out of memory printing JSON");
		http_send_raw(500, "application/json",
		    "{\"error\":{\"code\":\"internal\",\"message\":\"Out of memory.\"}}", 56);
		return;
	}
	http_send_raw(status, "application/json", text, strlen(text));
	free(text);
}

void
http_send_error(int status, const char *code, const char *param, const char *message)
{
	cJSON *root = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(root, "error");

	if (err != NULL) {
		cJSON_AddStringToObject(err, "code", code);
		cJSON_AddStringToObject(err, "message", message);
		if (param != NULL)
			cJSON_AddStringToObject(err, "param", param);
	}
	http_send_json(status, root);
	cJSON_Delete(root);
}

void
http_send_failure(enum shop_err e)
{
	switch (e) {
	case SHOP_ERR_AUTH:
		http_send_error(401, "not_logged_in", NULL, "Please log in first.");
		break;
	case SHOP_ERR_NOTFOUND:
		http_send_error(404, "not_found", NULL, "Not found.");
		break;
	case SHOP_ERR_NETWORK:
	case SHOP_ERR_STRIPE:
		stripe_send_failure(e, NULL);
		break;
	case SHOP_ERR_CORRUPT:
		http_send_error(500, "data_corrupt", NULL,
		    "The shop's data file is damaged; the shop owner has been told.");
		break;
	default:
		http_send_error(500, "internal", NULL, "Something went wrong on our side. "
		    "Nothing was saved; please try again.");
		break;
	}
}

static enum http_method
http_method_of(const char *m)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return HTTP_GET;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	if (strcmp(m, "DELETE") == 0)
		return HTTP_DELETE;
	return HTTP_OTHER;
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL ? v : def;
}

/* Fills req from the CGI environment; the strings are borrowed. */
static void
http_env(struct request *req)
{
	memset(req, 0, sizeof(*req));
	req->method_name = env_or("REQUEST_METHOD", "GET");
	req->method = http_method_of(req->method_name);
	req->query = env_or("QUERY_STRING", "");
	req->cookie = getenv("HTTP_COOKIE");
	req->content_type = getenv("CONTENT_TYPE");
	req->stripe_signature = getenv("HTTP_STRIPE_SIGNATURE");
}

/* Reads CONTENT_LENGTH bytes of body; answers 400/413 itself on failure. */
static enum shop_err
http_read_body(struct request *req, size_t max_body)
{
	long long len = 0;
	const char *cl = getenv("CONTENT_LENGTH");
	size_t got = 0, n;

	if (cl != NULL && *cl != '\0' && !parse_int(cl, 0, 1LL << 40, &len)) {
		http_send_error(400, "bad_request", NULL, "Content-Length is not a number.");
		return SHOP_ERR_INPUT;
	}
	if ((unsigned long long)len > max_body) {
		http_send_error(413, "payload_too_large", NULL, "The request body is too large.");
		return SHOP_ERR_INPUT;
	}
	if ((req->body = malloc((size_t)len + 1)) == NULL) {
		http_send_failure(SHOP_ERR_NOMEM);
		return SHOP_ERR_NOMEM;
	}
	while (got < (size_t)len && (n = fread(req->body + got, 1, (size_t)len - got, stdin)) > 0)
		got += n;
	req->body[got] = '\0';
	req->body_len = got;
	if (got != (size_t)len) {
		http_send_error(400, "bad_request", NULL, "The request body was cut short.");
		return SHOP_ERR_INPUT;
	}
	return SHOP_OK;
}

/* Finds the route for the method and runs it once the body is read; 405 otherwise. */
static void
http_dispatch(const struct config *cfg, struct request *req, const struct route *routes,
    size_t nroutes, size_t max_body)
{
	static const char *const names[] = { "GET, HEAD", "POST", "DELETE" };
	char allow[64] = "";
	size_t i;

	for (i = 0; i < nroutes; i++)
		if (routes[i].method == req->method) {
			if (http_read_body(req, max_body) == SHOP_OK)
				routes[i].handle(cfg, req);
			return;
		}
	for (i = 0; i < nroutes; i++) {
		if (i > 0)
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, names[routes[i].method], sizeof(allow) - strlen(allow) - 1);
	}
	http_header("Allow: %s", allow);
	http_send_error(405, "method_not_allowed", NULL, "This method is not allowed here.");
}

int
http_main(const char *prog, const struct route *routes, size_t nroutes, size_t max_body)
{
	struct config cfg;
	struct request req;
	enum shop_err cfg_err;

	log_init(prog);
	if ((cfg_err = config_load(&cfg)) != SHOP_OK)
		LOG("configuration failed: %s; answering 500 until restarted", shop_strerror(cfg_err));
	while (FCGI_Accept() >= 0) {
		http_headers[0] = '\0';
		http_headers_len = 0;
		http_answered = 0;
		http_env(&req);
		if (cfg_err != SHOP_OK)
			http_send_failure(SHOP_ERR_CONFIG);
		else
			http_dispatch(&cfg, &req, routes, nroutes, max_body);
		if (!http_answered) {
			LOG("handler for %s answered nothing", req.method_name);
			http_send_failure(SHOP_ERR_IO);
		}
		if (req.body != NULL)
			sodium_memzero(req.body, req.body_len);	/* may hold a password */
		free(req.body);
		req.body = NULL;
	}
	sodium_memzero(&cfg, sizeof(cfg));
	return 0;
}
