/*
 * test_rec_path.c: recording file names stay inside recording-dir, whatever
 * recording-file, recording-dir and recording-pattern say.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "recording/rec_path.h"

static int build(const char *file, const char *sub, const char *pat, const char *cid, char *out)
{
	const char *err = NULL;
	struct rec_path_in in = {
		.dir = "/var/rec",
		.file = file,
		.file_len = file ? strlen(file) : 0,
		.subdir = sub,
		.subdir_len = sub ? strlen(sub) : 0,
		.pattern = pat,
		.pattern_len = pat ? strlen(pat) : 0,
		.call_id = cid,
		.call_id_len = strlen(cid),
		.rand = "abcd",
		.now = 1700000000, /* 2023-11-14 22:13:20 UTC */
	};
	int rc = rec_path_build(&in, out, &err);
	if (rc)
		assert_non_null(err);
	return rc;
}

static void test_accepted(void **state)
{
	char out[REC_PATH_MAX];
	(void)state;

	assert_int_equal(build(NULL, NULL, NULL, "c1@host", out), 0);
	assert_string_equal(out, "/var/rec/20231114/c1@host-abcd");
	assert_int_equal(build(NULL, NULL, "%Y-%m-%d_%H%M%S/%c_%r%%", "x", out), 0);
	assert_string_equal(out, "/var/rec/2023-11-14_221320/x_abcd%");
	assert_int_equal(build("calls/one", NULL, "%x", "x", out), 0); /* file wins */
	assert_string_equal(out, "/var/rec/calls/one");
	assert_int_equal(build("/var/rec/a/b", NULL, NULL, "x", out), 0);
	assert_string_equal(out, "/var/rec/a/b");
	assert_int_equal(build(NULL, "/var/rec/sub/", "%c", "x", out), 0);
	assert_string_equal(out, "/var/rec/sub/x");
	assert_int_equal(build(NULL, "sub", "%c", "x", out), 0);
	assert_string_equal(out, "/var/rec/sub/x");
	/* a call-id cannot make a path: '/' and a leading '.' are replaced */
	assert_int_equal(build(NULL, NULL, "%c", "../../etc/passwd", out), 0);
	assert_string_equal(out, "/var/rec/_._.._etc_passwd");
	assert_int_equal(build(NULL, NULL, "%c", "..", out), 0);
	assert_string_equal(out, "/var/rec/_.");
}

static void test_refused(void **state)
{
	char out[REC_PATH_MAX];
	static const char *const files[] = {
		"../x", "a/../../x", "/var/rec/../etc/x", "/etc/passwd", "/var/recx/a", "/var/rec",
		"/var/rec/", "a//b", "./a", "a/.", "", "a\\..\\b", "a\nb",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (build(files[i], NULL, NULL, "x", out) != -EINVAL)
			fail_msg("recording-file '%s' accepted as %s", files[i], out);
	assert_int_equal(build(NULL, "..", "%c", "x", out), -EINVAL);
	assert_int_equal(build(NULL, "/tmp", "%c", "x", out), -EINVAL);
	assert_int_equal(build(NULL, NULL, "%c/../%r", "x", out), -EINVAL);
	assert_int_equal(build(NULL, NULL, "/etc/%c", "x", out), -EINVAL);
	assert_int_equal(build(NULL, "sub", "/abs", "x", out), -EINVAL);
	assert_int_equal(build(NULL, NULL, "%q", "x", out), -EINVAL);
	assert_int_equal(build(NULL, NULL, "abc%", "x", out), -EINVAL);
	assert_int_equal(build(NULL, NULL, "", "x", out), -EINVAL);
	/* too long */
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(build(big, NULL, NULL, "x", out), -EINVAL);
	assert_int_equal(build(NULL, NULL, big, "x", out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
