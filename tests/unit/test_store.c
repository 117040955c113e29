/* test_store.c — JSON array files: store_update appends and persists, leaves the file alone when
 * nothing changed or the file is corrupt, writes 0600 without leftovers, and serialises writers
 * in different processes. Each test works in its own mkdtemp folder under /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define FILE_NAME "things.json"

struct fixture {
	char	dir[64];
	char	path[128];
};

static int
setup_dir(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/shop-unit-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, FILE_NAME);
	*state = f;
	return 0;
}

/* Removes everything in the folder (the tests make no subfolders), then the folder. */
static int
teardown_dir(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	char p[512];
	DIR *d;
	int rc = 0;

	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
			if (unlink(p) == -1)
				rc = -1;
		}
		closedir(d);
	}
	if (rmdir(f->dir) == -1)
		rc = -1;
	free(f);
	return rc;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static void
write_raw(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The folder holds nothing but the data file (if have_file) and its lock file: no temp files. */
static void
assert_no_leftovers(const struct fixture *f, int have_file)
{
	struct dirent *de;
	DIR *d;
	int files = 0;

	assert_non_null(d = opendir(f->dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, FILE_NAME ".lock") == 0)
			continue;
		if (strcmp(de->d_name, FILE_NAME) == 0) {
			files++;
			continue;
		}
		print_error("left behind: %s\n", de->d_name);
		fail();
	}
	closedir(d);
	assert_int_equal(files, have_file);
}

/* One entry to append: {"who":who,"n":n}. */
struct entry {
	int	who;
	int	n;
};

static enum shop_err
append_entry(cJSON *array, void *ctx, int *changed)
{
	const struct entry *e = ctx;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "who", e->who) == NULL ||
	    cJSON_AddNumberToObject(o, "n", e->n) == NULL) {
		cJSON_Delete(o);
		return SHOP_ERR_NOMEM;
	}
	cJSON_AddItemToArray(array, o);
	*changed = 1;
	return SHOP_OK;
}

/* ---- appending and reading back ---------------------------------------------------------- */

/* Starting from a file (NULL: none), append count entries; read back the whole array. */
struct append_row {
	const char	*initial;
	int		 count;
	int		 want_size;
};

static const struct append_row append_rows[] = {
	{ NULL, 1, 1 },
	{ NULL, 5, 5 },
	{ "[]", 3, 3 },
	{ "[{\"who\":-1,\"n\":-1}]", 2, 3 },
	{ "  [ \"kept\" , 7 ]\n", 1, 3 },
};

static void
update_appends_and_persists(void **state)
{
	struct fixture *f = *state;
	struct entry e = { 0, 0 };
	cJSON *array, *item;
	size_t i;
	int j, bad = 0, first;

	for (i = 0; i < nitems(append_rows); i++) {
		const struct append_row *r = &append_rows[i];

		unlink(f->path);
		if (r->initial != NULL)
			write_raw(f->path, r->initial, strlen(r->initial), 0600);
		for (j = 0; j < r->count; j++) {
			e.n = j;
			assert_int_equal(store_update(f->path, append_entry, &e), SHOP_OK);
		}
		assert_int_equal(store_read(f->path, &array), SHOP_OK);
		if (cJSON_GetArraySize(array) != r->want_size)
			ROW_FAIL(bad, "row %zu: %d entries, want %d", i, cJSON_GetArraySize(array),
			    r->want_size);
		/* The appended entries come last, in order. */
		first = r->want_size - r->count;
		for (j = 0; j < r->count; j++) {
			item = cJSON_GetArrayItem(array, first + j);
			if (json_int_or(item, "n", -1) != j)
				ROW_FAIL(bad, "row %zu: entry %d is not n=%d", i, first + j, j);
		}
		cJSON_Delete(array);
		assert_no_leftovers(f, 1);
	}
	assert_int_equal(bad, 0);
}

static void
read_of_a_missing_file_is_an_empty_array(void **state)
{
	struct fixture *f = *state;
	cJSON *array;

	assert_int_equal(store_read(f->path, &array), SHOP_OK);
	assert_true(cJSON_IsArray(array));
	assert_int_equal(cJSON_GetArraySize(array), 0);
	cJSON_Delete(array);
	assert_no_leftovers(f, 0);
}

/* ---- leaving the file alone -------------------------------------------------------------- */

/* A callback that edits the array, sets *changed or not, and returns ret. */
struct cb_row {
	const char	*behaviour;
	int		 edit;
	int		 set_changed;
	enum shop_err	 ret;
};

static enum shop_err
scripted(cJSON *array, void *ctx, int *changed)
{
	const struct cb_row *r = ctx;

	if (r->edit) {
		cJSON_AddItemToArray(array, cJSON_CreateString("should not be written"));
		cJSON_DeleteItemFromArray(array, 0);
	}
	*changed = r->set_changed;
	return r->ret;
}

static const struct cb_row unchanged_rows[] = {
	{ "changed not set", 0, 0, SHOP_OK },
	{ "edited but changed not set", 1, 0, SHOP_OK },
	{ "an error", 0, 0, SHOP_ERR_CONFLICT },
	{ "an error after editing and setting changed", 1, 1, SHOP_ERR_INPUT },
	{ "out of memory after setting changed", 1, 1, SHOP_ERR_NOMEM },
};

/* Unusual spacing so that any rewrite by cJSON_Print would show. */
static const char unchanged_text[] = "[ 1,2 ,\n\"three\" ]  \n";

static void
update_without_change_leaves_file_byte_identical(void **state)
{
	struct fixture *f = *state;
	struct stat before, after;
	char *data;
	size_t i, len;
	int bad = 0;
	enum shop_err e;

	for (i = 0; i < nitems(unchanged_rows); i++) {
		write_raw(f->path, unchanged_text, sizeof(unchanged_text) - 1, 0644);
		assert_int_equal(stat(f->path, &before), 0);
		e = store_update(f->path, scripted, (void *)&unchanged_rows[i]);
		if (e != unchanged_rows[i].ret)
			ROW_FAIL(bad, "%s: store_update = %s, want %s", unchanged_rows[i].behaviour,
			    shop_strerror(e), shop_strerror(unchanged_rows[i].ret));
		assert_int_equal(store_read_file(f->path, &data, &len), SHOP_OK);
		assert_int_equal(stat(f->path, &after), 0);
		if (len != sizeof(unchanged_text) - 1 || memcmp(data, unchanged_text, len) != 0 ||
		    before.st_ino != after.st_ino || (after.st_mode & 07777) != 0644)
			ROW_FAIL(bad, "%s: the file was rewritten: %s", unchanged_rows[i].behaviour,
			    quote(data));
		free(data);
		assert_no_leftovers(f, 1);
	}
	assert_int_equal(bad, 0);
}

static void
update_without_change_creates_no_file(void **state)
{
	struct fixture *f = *state;
	size_t i;
	int bad = 0;

	for (i = 0; i < nitems(unchanged_rows); i++) {
		store_update(f->path, scripted, (void *)&unchanged_rows[i]);
		if (access(f->path, F_OK) == 0) {
			ROW_FAIL(bad, "%s: created the file", unchanged_rows[i].behaviour);
			unlink(f->path);
		}
	}
	assert_no_leftovers(f, 0);
	assert_int_equal(bad, 0);
}

/* Files that are not a JSON array. */
static const char *const corrupt_texts[] = {
	"",
	"\n",
	"{}",
	"{\"a\":[]}",
	"[1,",
	"[{\"who\":1,\"n\":",
	"not json",
	"\"a string\"",
	"null",
	"42",
};

/*
 * BUG (src/lib/store.c, store_load, line 91): cJSON_ParseWithLength stops after the first
 * value and does not require the rest of the file to be empty, so a file holding an array
 * followed by anything ("[1]garbage", two arrays) loads as that first array; store_update then
 * rewrites the file and the rest is lost, where SHOP_ERR_CORRUPT ("reported, never replaced")
 * is wanted. Parsing with cJSON_ParseWithLengthOpts(data, len, &end, 0) and refusing anything
 * but whitespace after end would fix it.
 */
static const char *const trailing_texts[] = {
	"[1]garbage",
	"[{\"who\":1,\"n\":1}]\n[{\"who\":2,\"n\":2}]\n",
	"[1],",
	"[1]]",
};

/* Each text is written as the file; update and read must both refuse it and leave it be. */
static int
check_corrupt(const struct fixture *f, const char *const *texts, size_t n)
{
	struct entry e = { 0, 0 };
	cJSON *array;
	char *data;
	size_t i, len;
	int bad = 0;
	enum shop_err got;

	for (i = 0; i < n; i++) {
		write_raw(f->path, texts[i], strlen(texts[i]), 0600);
		if ((got = store_update(f->path, append_entry, &e)) != SHOP_ERR_CORRUPT)
			ROW_FAIL(bad, "store_update on %s = %s, want %s", quote(texts[i]),
			    shop_strerror(got), shop_strerror(SHOP_ERR_CORRUPT));
		array = (cJSON *)1;
		if ((got = store_read(f->path, &array)) != SHOP_ERR_CORRUPT || array != NULL)
			ROW_FAIL(bad, "store_read on %s = %s, want %s and NULL", quote(texts[i]),
			    shop_strerror(got), shop_strerror(SHOP_ERR_CORRUPT));
		if (got == SHOP_OK)
			cJSON_Delete(array);
		assert_int_equal(store_read_file(f->path, &data, &len), SHOP_OK);
		if (len != strlen(texts[i]) || memcmp(data, texts[i], len) != 0)
			ROW_FAIL(bad, "%s was replaced by %s", quote(texts[i]), quote(data));
		free(data);
		assert_no_leftovers(f, 1);
	}
	return bad;
}

static void
corrupt_file_is_refused_and_left_untouched(void **state)
{
	assert_int_equal(check_corrupt(*state, corrupt_texts, nitems(corrupt_texts)), 0);
}

/* Fails until the bug above is fixed. */
static void
array_followed_by_more_is_corrupt(void **state)
{
	assert_int_equal(check_corrupt(*state, trailing_texts, nitems(trailing_texts)), 0);
}

/* ---- permissions ------------------------------------------------------------------------- */

/* The mode the file had before the update; 0 means there was no file. */
static const mode_t mode_rows[] = { 0, 0600, 0644, 0666, 0640 };

static void
update_writes_the_file_mode_0600(void **state)
{
	struct fixture *f = *state;
	struct entry e = { 0, 0 };
	struct stat st;
	size_t i;
	int bad = 0;

	for (i = 0; i < nitems(mode_rows); i++) {
		unlink(f->path);
		if (mode_rows[i] != 0)
			write_raw(f->path, "[]", 2, mode_rows[i]);
		assert_int_equal(store_update(f->path, append_entry, &e), SHOP_OK);
		assert_int_equal(stat(f->path, &st), 0);
		if ((st.st_mode & 07777) != 0600)
			ROW_FAIL(bad, "was %04o: now %04o, want 0600", (unsigned)mode_rows[i],
			    (unsigned)(st.st_mode & 07777));
		assert_no_leftovers(f, 1);
	}
	assert_int_equal(bad, 0);
}

/* ---- concurrent writers ------------------------------------------------------------------ */

#define MAX_CHILDREN 8
#define MAX_EACH 25

struct race_row {
	int	children;
	int	each;
};

static const struct race_row race_rows[] = {
	{ 1, MAX_EACH },
	{ MAX_CHILDREN, MAX_EACH },
};

/* A child's whole life: its appends, then _exit so it never returns into cmocka. */
static void
race_child(const char *path, int who, int each)
{
	struct entry e;
	int n;

	for (n = 0; n < each; n++) {
		e.who = who;
		e.n = n;
		if (store_update(path, append_entry, &e) != SHOP_OK)
			_exit(1);
	}
	_exit(0);
}

static void
concurrent_writers_lose_no_entries(void **state)
{
	struct fixture *f = *state;
	char seen[MAX_CHILDREN][MAX_EACH];
	pid_t pids[MAX_CHILDREN];
	const cJSON *item;
	cJSON *array;
	long long who, n;
	size_t i;
	int c, status, bad = 0, dups;

	for (i = 0; i < nitems(race_rows); i++) {
		const struct race_row *r = &race_rows[i];

		unlink(f->path);
		fflush(NULL);
		for (c = 0; c < r->children; c++) {
			assert_true((pids[c] = fork()) != -1);
			if (pids[c] == 0)
				race_child(f->path, c, r->each);
		}
		for (c = 0; c < r->children; c++) {
			assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				ROW_FAIL(bad, "%d x %d: child %d failed (status %#x)", r->children,
				    r->each, c, (unsigned)status);
		}
		/* store_read parses it, so it is valid JSON; each entry must be there once. */
		assert_int_equal(store_read(f->path, &array), SHOP_OK);
		if (cJSON_GetArraySize(array) != r->children * r->each)
			ROW_FAIL(bad, "%d x %d: %d entries, want %d", r->children, r->each,
			    cJSON_GetArraySize(array), r->children * r->each);
		memset(seen, 0, sizeof(seen));
		dups = 0;
		cJSON_ArrayForEach(item, array) {
			who = json_int_or(item, "who", -1);
			n = json_int_or(item, "n", -1);
			assert_true(who >= 0 && who < r->children && n >= 0 && n < r->each);
			if (seen[who][n]++)
				dups++;
		}
		if (dups != 0)
			ROW_FAIL(bad, "%d x %d: %d duplicate entries", r->children, r->each, dups);
		cJSON_Delete(array);
		assert_no_leftovers(f, 1);
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(update_appends_and_persists, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(read_of_a_missing_file_is_an_empty_array, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(update_without_change_leaves_file_byte_identical,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(update_without_change_creates_no_file, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(corrupt_file_is_refused_and_left_untouched,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(array_followed_by_more_is_corrupt, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(update_writes_the_file_mode_0600, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(concurrent_writers_lose_no_entries, setup_dir,
		    teardown_dir),
	};

	/* store.c logs refusals to stderr; that is expected here. */
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
