/* store.c — JSON files that are valid at every instant: a lock file serialises writers, and
 * each write goes to a temp file that is fsynced and renamed over the old one. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shop.h"

#define STORE_MAX_FILE (64L * 1024 * 1024)

/* Opens and flocks "path.lock"; returns the fd or -1. */
static int
store_lock(const char *path, int how)
{
	char lpath[1024];
	int fd;

	if ((size_t)snprintf(lpath, sizeof(lpath), "%s.lock", path) >= sizeof(lpath))
		return -1;
	if ((fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		LOG("open %s: %s", lpath, strerror(errno));
		return -1;
	}
	while (flock(fd, how) == -1) {
		if (errno != EINTR) {
			LOG("flock %s: %s", lpath, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

enum shop_err
store_read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *data = NULL;
	ssize_t n;
	size_t got = 0;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? SHOP_ERR_NOTFOUND : SHOP_ERR_IO;
	if (fstat(fd, &st) == -1 || st.st_size > STORE_MAX_FILE)
		goto fail;
	if ((data = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*out = data;
	*len = got;
	return SHOP_OK;
fail:
	LOG("read %s: %s", path, strerror(errno));
	free(data);
	close(fd);
	return SHOP_ERR_IO;
}

/* Parses the file as a JSON array; a missing file is an empty array. */
static enum shop_err
store_load(const char *path, cJSON **out)
{
	char *data;
	const char *end = NULL;
	size_t len;
	int trailing;
	enum shop_err e;

	*out = NULL;
	if ((e = store_read_file(path, &data, &len)) == SHOP_ERR_NOTFOUND) {
		*out = cJSON_CreateArray();
		return *out ? SHOP_OK : SHOP_ERR_NOMEM;
	}
	if (e != SHOP_OK)
		return e;
	*out = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	/* Anything after the array but white space is damage too, not something to drop. */
	while (*out != NULL && end < data + len && *end != '\0' &&
	    strchr(" \t\r\n", *end) != NULL)
		end++;
	trailing = *out != NULL && end != data + len;
	free(data);
	if (*out == NULL || !cJSON_IsArray(*out) || trailing) {
		LOG("%s is not a JSON array: refusing to touch it", path);
		cJSON_Delete(*out);
		*out = NULL;
		return SHOP_ERR_CORRUPT;
	}
	return SHOP_OK;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum shop_err
store_write_file(const char *path, const char *data, size_t len, int mode)
{
	char tmp[1024], dir[1024];
	int fd, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return SHOP_ERR_IO;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) == -1) {
		LOG("open %s: %s", tmp, strerror(errno));
		return SHOP_ERR_IO;
	}
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		LOG("write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return SHOP_ERR_IO;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		LOG("rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return SHOP_ERR_IO;
	}
	/* The rename is durable only once the folder is synced. */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return SHOP_OK;
}

enum shop_err
store_read(const char *path, cJSON **out)
{
	enum shop_err e;
	int lfd;

	if ((lfd = store_lock(path, LOCK_SH)) == -1)
		return SHOP_ERR_IO;
	e = store_load(path, out);
	close(lfd);
	return e;
}

enum shop_err
store_update(const char *path, store_fn fn, void *ctx)
{
	cJSON *array = NULL;
	char *text = NULL;
	int lfd, changed = 0;
	enum shop_err e;

	if ((lfd = store_lock(path, LOCK_EX)) == -1)
		return SHOP_ERR_IO;
	if ((e = store_load(path, &array)) != SHOP_OK)
		goto out;
	if ((e = fn(array, ctx, &changed)) != SHOP_OK || !changed)
		goto out;
	if ((text = cJSON_Print(array)) == NULL) {
		e = SHOP_ERR_NOMEM;
		goto out;
	}
	e = store_write_file(path, text, strlen(text), 0600);
out:
	free(text);
	cJSON_Delete(array);
	close(lfd);		/* releases the lock */
	return e;
}
