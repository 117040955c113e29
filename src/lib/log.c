/* log.c — the library's error texts and its one logging function (stderr, never FastCGI). */
#include <stdarg.h>
#include <stdio.h>

#include "shop.h"

static const char *log_prog = "shop";

static const char *const shop_errors[SHOP_ERR__MAX] = {
	[SHOP_OK] = "success",
	[SHOP_ERR_NOMEM] = "out of memory",
	[SHOP_ERR_IO] = "input/output error",
	[SHOP_ERR_CORRUPT] = "data file does not parse",
	[SHOP_ERR_INPUT] = "invalid input",
	[SHOP_ERR_AUTH] = "not authorised",
	[SHOP_ERR_CONFLICT] = "conflict",
	[SHOP_ERR_NOTFOUND] = "not found",
	[SHOP_ERR_STRIPE] = "Stripe answered an error",
	[SHOP_ERR_NETWORK] = "Stripe could not be reached",
	[SHOP_ERR_CONFIG] = "bad configuration",
};

const char *
shop_strerror(enum shop_err e)
{
	if (e < 0 || e >= SHOP_ERR__MAX)
		return "unknown error";
	return shop_errors[e];
}

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_msg(const char *func, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from concurrent processes do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_prog, func, line);
}
