/* Unit tests for libmypool that need no database: error texts, connection targets, the exact
 * value conversions (text, double, BIT), type mapping, parameter macros, and the API's answers
 * to misuse and to servers that are not there. Links the internal objects (libmypoolcore). */
#include "autoconfig.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_main.h"
#include "internal.h"

/* ---- error texts and names ---- */

START_TEST(strerror_every_code_has_its_own_text)
{
	int a, b;

	for (a = MYPOOL_OK; a >= MYPOOL_ERR_RANGE; a--) {
		ck_assert_str_ne(mypool_strerror(a), "unknown error");
		for (b = a - 1; b >= MYPOOL_ERR_RANGE; b--)
			ck_assert_str_ne(mypool_strerror(a), mypool_strerror(b));
	}
	ck_assert_str_eq(mypool_strerror(MYPOOL_ERR_RANGE - 1), "unknown error");
	ck_assert_str_eq(mypool_strerror(1), "unknown error");
	ck_assert_str_eq(mypool_strerror(-1000), "unknown error");
}
END_TEST

START_TEST(type_names_are_distinct)
{
	int a, b;

	for (a = MYPOOL_TYPE_NULL; a <= MYPOOL_TYPE_OTHER; a++)
		for (b = a + 1; b <= MYPOOL_TYPE_OTHER; b++)
			ck_assert_str_ne(mypool_type_name((enum mypool_type)a),
					 mypool_type_name((enum mypool_type)b));
	ck_assert_str_eq(mypool_type_name(MYPOOL_TYPE_UINT), "uint");
	ck_assert_str_eq(mypool_version(), PACKAGE_VERSION);
}
END_TEST

/* ---- targets ---- */

START_TEST(target_default_then_env_then_argument)
{
	struct mypool__target t;

	unsetenv("MYPOOL_SOCKET");
	ck_assert_int_eq(mypool__target_parse(NULL, &t), 0);
	ck_assert_str_eq(t.unix_socket, MYPOOL_DEFAULT_SOCKET);
	ck_assert_ptr_null(t.host);
	mypool__target_free(&t);

	setenv("MYPOOL_SOCKET", "", 1); /* empty counts as unset */
	ck_assert_int_eq(mypool__target_parse("", &t), 0);
	ck_assert_str_eq(t.unix_socket, MYPOOL_DEFAULT_SOCKET);
	mypool__target_free(&t);

	setenv("MYPOOL_SOCKET", "/tmp/env.sock", 1);
	ck_assert_int_eq(mypool__target_parse(NULL, &t), 0);
	ck_assert_str_eq(t.unix_socket, "/tmp/env.sock");
	mypool__target_free(&t);

	ck_assert_int_eq(mypool__target_parse("./rel/x.sock", &t), 0); /* the argument wins */
	ck_assert_str_eq(t.unix_socket, "./rel/x.sock");
	mypool__target_free(&t);
	unsetenv("MYPOOL_SOCKET");
}
END_TEST

START_TEST(target_host_and_port)
{
	static const struct {
		const char *in, *host;
		unsigned port;
	} ok[] = {
		{ "db.example", "db.example", 3306 },
		{ "127.0.0.1:6033", "127.0.0.1", 6033 },
		{ "[::1]:3307", "::1", 3307 },
		{ "[fe80::1]", "fe80::1", 3306 },
		{ "h:65535", "h", 65535 },
	};
	static const char *const bad[] = {
		"::1", "host:", "host:0", "host:65536", "host:12x", ":3306", "[::1", "[]:1",
		"[::1]x", "h:+1", "h:-1",
	};
	struct mypool__target t;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(mypool__target_parse(ok[i].in, &t), 0);
		ck_assert_ptr_null(t.unix_socket);
		ck_assert_str_eq(t.host, ok[i].host);
		ck_assert_uint_eq(t.port, ok[i].port);
		mypool__target_free(&t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mypool__target_parse(bad[i], &t) == MYPOOL_ERR_INVAL, "%s", bad[i]);
		mypool__target_free(&t);
	}
}
END_TEST

/* ---- conversions ---- */

START_TEST(text_to_int64_is_exact)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "-0", 0, 0 },
		{ "+7", 0, 7 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", MYPOOL_ERR_RANGE, 0 },
		{ "-9223372036854775809", MYPOOL_ERR_RANGE, 0 },
		{ "99999999999999999999999", MYPOOL_ERR_RANGE, 0 },
		{ "12.000", 0, 12 },        /* DECIMAL text that is an integer */
		{ "-1e3", 0, -1000 },       /* DOUBLE text */
		{ "12.5", MYPOOL_ERR_TYPE, 0 },
		{ "1e19", MYPOOL_ERR_RANGE, 0 },
		{ "", MYPOOL_ERR_TYPE, 0 },
		{ " 1", MYPOOL_ERR_TYPE, 0 },
		{ "1 ", MYPOOL_ERR_TYPE, 0 },
		{ "0x10", MYPOOL_ERR_TYPE, 0 },
		{ "abc", MYPOOL_ERR_TYPE, 0 },
		{ ".", MYPOOL_ERR_TYPE, 0 },
		{ "-", MYPOOL_ERR_TYPE, 0 },
		{ "1e", MYPOOL_ERR_TYPE, 0 },
		{ "inf", MYPOOL_ERR_TYPE, 0 },
		{ "nan", MYPOOL_ERR_TYPE, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 42;
		int rc = mypool__text_to_int64(cases[i].s, strlen(cases[i].s), &v);

		ck_assert_msg(rc == cases[i].rc, "'%s': rc %d, want %d", cases[i].s, rc, cases[i].rc);
		if (rc == 0)
			ck_assert_msg(v == cases[i].v, "'%s': %lld", cases[i].s, (long long)v);
		else
			ck_assert_msg(v == 42, "'%s': *out changed on failure", cases[i].s);
	}
	/* exactly len bytes are read, not up to a NUL */
	{
		int64_t v;

		ck_assert_int_eq(mypool__text_to_int64("1234", 2, &v), 0);
		ck_assert_int_eq(v, 12);
	}
}
END_TEST

START_TEST(text_to_uint64_is_exact)
{
	uint64_t v;

	ck_assert_int_eq(mypool__text_to_uint64("18446744073709551615", 20, &v), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_int_eq(mypool__text_to_uint64("18446744073709551616", 20, &v), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__text_to_uint64("-1", 2, &v), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__text_to_uint64("-0", 2, &v), 0);
	ck_assert(v == 0);
	ck_assert_int_eq(mypool__text_to_uint64("2.5e-1", 6, &v), MYPOOL_ERR_TYPE);
	ck_assert_int_eq(mypool__text_to_uint64("2.0e1", 5, &v), 0);
	ck_assert(v == 20);
	ck_assert_int_eq(mypool__text_to_uint64("-0.5", 4, &v), MYPOOL_ERR_TYPE);
	ck_assert_int_eq(mypool__text_to_uint64("-1.5", 4, &v), MYPOOL_ERR_RANGE);
}
END_TEST

START_TEST(text_to_double)
{
	double d;
	char big[300];

	ck_assert_int_eq(mypool__text_to_double("3.141592653589793", 17, &d), 0);
	ck_assert(d == 3.141592653589793);
	ck_assert_int_eq(mypool__text_to_double("-2.5E-3", 7, &d), 0);
	ck_assert(d == -2.5e-3);
	ck_assert_int_eq(mypool__text_to_double("1e308", 5, &d), 0);
	ck_assert_int_eq(mypool__text_to_double("1e309", 5, &d), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__text_to_double("inf", 3, &d), MYPOOL_ERR_TYPE);
	ck_assert_int_eq(mypool__text_to_double("1,5", 3, &d), MYPOOL_ERR_TYPE);
	/* longer than the stack buffer: a 65-digit DECIMAL and more */
	memset(big, '9', sizeof(big));
	big[0] = '1';
	ck_assert_int_eq(mypool__text_to_double(big, 200, &d), 0);
	ck_assert(d > 1e199 && d < 3e199);
}
END_TEST

START_TEST(double_to_integers_is_exact)
{
	int64_t i;
	uint64_t u;

	ck_assert_int_eq(mypool__double_to_int64(-9223372036854775808.0, &i), 0);
	ck_assert(i == INT64_MIN);
	ck_assert_int_eq(mypool__double_to_int64(9223372036854775808.0, &i), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__double_to_int64(1.5, &i), MYPOOL_ERR_TYPE);
	ck_assert_int_eq(mypool__double_to_int64(NAN, &i), MYPOOL_ERR_TYPE);
	ck_assert_int_eq(mypool__double_to_int64(INFINITY, &i), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__double_to_int64(-3.0, &i), 0);
	ck_assert(i == -3);
	ck_assert_int_eq(mypool__double_to_uint64(-1.0, &u), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__double_to_uint64(-0.5, &u), MYPOOL_ERR_TYPE);
	ck_assert_int_eq(mypool__double_to_uint64(-0.0, &u), 0);
	ck_assert_int_eq(mypool__double_to_uint64(18446744073709551616.0, &u), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__double_to_uint64(18446744073709549568.0, &u), 0);
	ck_assert(u == 18446744073709549568ull);
}
END_TEST

START_TEST(format_double_is_shortest_and_round_trips)
{
	char buf[40];

	ck_assert_uint_eq(mypool__format_double(buf, sizeof(buf), 0.1, false), 3);
	ck_assert_str_eq(buf, "0.1");
	mypool__format_double(buf, sizeof(buf), 1.0 / 3.0, false);
	ck_assert_str_eq(buf, "0.3333333333333333");
	ck_assert(strtod(buf, NULL) == 1.0 / 3.0);
	mypool__format_double(buf, sizeof(buf), 0.1f, true);
	ck_assert_str_eq(buf, "0.1");
	mypool__format_double(buf, sizeof(buf), 1e300, false);
	ck_assert_str_eq(buf, "1e+300");
	mypool__format_double(buf, sizeof(buf), -2.5, false);
	ck_assert_str_eq(buf, "-2.5");
}
END_TEST

START_TEST(numbers_ignore_the_application_locale)
{
	static const char *const comma_locales[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
						     "ru_RU.UTF-8" };
	const char *set = NULL;
	char buf[40];
	double d;
	size_t i;

	for (i = 0; i < sizeof(comma_locales) / sizeof(comma_locales[0]) && set == NULL; i++)
		set = setlocale(LC_NUMERIC, comma_locales[i]);
	/* With or without a comma locale installed, the results are the C locale's. */
	mypool__format_double(buf, sizeof(buf), 2.5, false);
	ck_assert_str_eq(buf, "2.5");
	ck_assert_int_eq(mypool__text_to_double("2.5", 3, &d), 0);
	ck_assert(d == 2.5);
	setlocale(LC_NUMERIC, "C");
}
END_TEST

START_TEST(bits_are_big_endian)
{
	static const unsigned char b1[] = { 0xa5 }, b2[] = { 0x01, 0x00 },
				   b8[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
				   b9[9] = { 0 };
	uint64_t v;

	ck_assert_int_eq(mypool__bits_to_uint64(b1, 1, &v), 0);
	ck_assert(v == 0xa5);
	ck_assert_int_eq(mypool__bits_to_uint64(b2, 2, &v), 0);
	ck_assert(v == 256);
	ck_assert_int_eq(mypool__bits_to_uint64(b8, 8, &v), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_int_eq(mypool__bits_to_uint64(b9, 9, &v), MYPOOL_ERR_RANGE);
	ck_assert_int_eq(mypool__bits_to_uint64(b1, 0, &v), 0);
	ck_assert(v == 0);
}
END_TEST

START_TEST(field_types_map_to_mypool_types)
{
	static const struct {
		enum enum_field_types t;
		unsigned flags, charsetnr;
		enum mypool_type want;
	} cases[] = {
		{ MYSQL_TYPE_LONG, 0, 63, MYPOOL_TYPE_INT },
		{ MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 63, MYPOOL_TYPE_UINT },
		{ MYSQL_TYPE_TINY, 0, 63, MYPOOL_TYPE_INT },
		{ MYSQL_TYPE_YEAR, UNSIGNED_FLAG, 63, MYPOOL_TYPE_UINT },
		{ MYSQL_TYPE_FLOAT, 0, 63, MYPOOL_TYPE_DOUBLE },
		{ MYSQL_TYPE_NEWDECIMAL, 0, 63, MYPOOL_TYPE_DECIMAL },
		{ MYSQL_TYPE_VAR_STRING, 0, 45, MYPOOL_TYPE_STRING },
		{ MYSQL_TYPE_VAR_STRING, 0, 63, MYPOOL_TYPE_BLOB },
		{ MYSQL_TYPE_BLOB, 0, 224, MYPOOL_TYPE_STRING },
		{ MYSQL_TYPE_BLOB, 0, 63, MYPOOL_TYPE_BLOB },
		{ MYSQL_TYPE_DATE, 0, 63, MYPOOL_TYPE_DATE },
		{ MYSQL_TYPE_TIME, 0, 63, MYPOOL_TYPE_TIME },
		{ MYSQL_TYPE_TIMESTAMP, 0, 63, MYPOOL_TYPE_DATETIME },
		{ MYSQL_TYPE_DATETIME, 0, 63, MYPOOL_TYPE_DATETIME },
		{ MYSQL_TYPE_BIT, UNSIGNED_FLAG, 63, MYPOOL_TYPE_BIT },
		{ MYSQL_TYPE_NULL, 0, 63, MYPOOL_TYPE_NULL },
		{ MYSQL_TYPE_GEOMETRY, 0, 63, MYPOOL_TYPE_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MYSQL_FIELD f;

		memset(&f, 0, sizeof(f));
		f.type = cases[i].t;
		f.flags = cases[i].flags;
		f.charsetnr = cases[i].charsetnr;
		ck_assert_msg(mypool__field_type(&f) == cases[i].want, "case %zu", i);
	}
}
END_TEST

/* ---- parameters ---- */

START_TEST(param_macros_tag_their_values)
{
	static const char blob[] = { 0, 1, 2 };
	mypool_param p[] = {
		MYPOOL_NULL,
		MYPOOL_INT64(-5),
		MYPOOL_UINT64(UINT64_MAX),
		MYPOOL_DOUBLE(0.5),
		MYPOOL_STRING("héllo"),
		MYPOOL_STRINGN("abcdef", 3),
		MYPOOL_BLOB(blob, sizeof(blob)),
	};

	ck_assert_uint_eq(MYPOOL_NPARAMS(p), 7);
	ck_assert_int_eq(p[0].type, MYPOOL_PARAM_NULL);
	ck_assert_int_eq(p[1].type, MYPOOL_PARAM_INT64);
	ck_assert(p[1].v.i64 == -5);
	ck_assert(p[2].v.u64 == UINT64_MAX);
	ck_assert(p[3].v.d == 0.5);
	ck_assert_int_eq(p[4].type, MYPOOL_PARAM_STRING);
	ck_assert_uint_eq(p[4].v.bytes.len, 6); /* bytes, not characters */
	ck_assert_uint_eq(p[5].v.bytes.len, 3);
	ck_assert_int_eq(p[6].type, MYPOOL_PARAM_BLOB);
	ck_assert_ptr_eq(p[6].v.bytes.ptr, blob);
}
END_TEST

/* ---- the API without a server ---- */

START_TEST(null_handles_are_refused)
{
	mypool_row *row = (mypool_row *)&row;

	ck_assert_int_eq(mypool_connect(NULL, NULL, "u", NULL, NULL), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_reconnect(NULL), MYPOOL_ERR_INVAL);
	ck_assert_ptr_null(mypool_query(NULL, "SELECT 1"));
	ck_assert_ptr_null(mypool_query_params(NULL, "SELECT 1", NULL, 0));
	ck_assert_int_eq(mypool_exec(NULL, "SELECT 1", NULL, NULL), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_exec_params(NULL, "SELECT 1", NULL, 0, NULL, NULL),
			 MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_next(NULL, &row), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_row_is_null(NULL, 0), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_begin(NULL), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_transaction(NULL, 1, NULL, NULL), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_last_error(NULL), MYPOOL_ERR_INVAL);
	ck_assert_uint_eq(mypool_errno(NULL), 0);
	ck_assert_uint_eq(mypool_column_count(NULL), 0);
	ck_assert_ptr_null(mypool_column_name(NULL, 0));
	ck_assert_int_eq(mypool_column_index(NULL, "x"), MYPOOL_ERR_INVAL);
	mypool_cursor_close(NULL);
	mypool_conn_free(NULL);
}
END_TEST

START_TEST(unconnected_handle_says_so)
{
	mypool_conn *conn = mypool_conn_new();

	ck_assert_ptr_nonnull(conn);
	ck_assert_int_eq(mypool_last_error(conn), 0);
	ck_assert_str_eq(mypool_sqlstate(conn), "00000");
	ck_assert_str_eq(mypool_errmsg(conn), "");
	ck_assert_ptr_null(mypool_query(conn, "SELECT 1"));
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_NOT_CONNECTED);
	ck_assert_int_eq(mypool_exec(conn, "SELECT 1", NULL, NULL), MYPOOL_ERR_NOT_CONNECTED);
	ck_assert_int_eq(mypool_reconnect(conn), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_connect(conn, NULL, NULL, NULL, NULL), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_conn_set_close_policy(conn, (enum mypool_close_policy)7),
			 MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_conn_set_close_policy(conn, MYPOOL_CLOSE_DRAIN), 0);
	ck_assert_int_eq(mypool_transaction(conn, 0, NULL, NULL), MYPOOL_ERR_INVAL);
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_INVAL);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(connect_to_a_missing_socket_fails_with_2002)
{
	mypool_conn *conn = mypool_conn_new();

	ck_assert_int_eq(mypool_connect(conn, "/nonexistent/dir/mypool.sock", "app", "pw", "test"),
			 MYPOOL_ERR_CONNECT);
	ck_assert_int_eq(mypool_last_error(conn), MYPOOL_ERR_CONNECT);
	ck_assert_uint_eq(mypool_errno(conn), 2002);
	ck_assert_msg(strstr(mypool_errmsg(conn), "/nonexistent/dir/mypool.sock") != NULL, "%s",
		      mypool_errmsg(conn));
	/* the stored arguments are reused */
	ck_assert_int_eq(mypool_reconnect(conn), MYPOOL_ERR_CONNECT);
	ck_assert_uint_eq(mypool_errno(conn), 2002);
	ck_assert_int_eq(mypool_exec(conn, "SELECT 1", NULL, NULL), MYPOOL_ERR_NOT_CONNECTED);
	mypool_conn_free(conn);
}
END_TEST

START_TEST(connect_without_target_uses_env_then_default)
{
	mypool_conn *conn = mypool_conn_new();

	setenv("MYPOOL_SOCKET", "/nonexistent/env/mypool.sock", 1);
	ck_assert_int_eq(mypool_connect(conn, NULL, "app", NULL, NULL), MYPOOL_ERR_CONNECT);
	ck_assert_msg(strstr(mypool_errmsg(conn), "/nonexistent/env/mypool.sock") != NULL, "%s",
		      mypool_errmsg(conn));
	unsetenv("MYPOOL_SOCKET");
	if (access(MYPOOL_DEFAULT_SOCKET, F_OK) != 0) {
		ck_assert_int_eq(mypool_connect(conn, "", "app", NULL, NULL), MYPOOL_ERR_CONNECT);
		ck_assert_msg(strstr(mypool_errmsg(conn), MYPOOL_DEFAULT_SOCKET) != NULL, "%s",
			      mypool_errmsg(conn));
	}
	ck_assert_int_eq(mypool_connect(conn, "a:b:c", "app", NULL, NULL), MYPOOL_ERR_INVAL);
	mypool_conn_free(conn);
}
END_TEST

/* A "server" that accepts one connection and hangs up at once. */
static void *hang_up(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);

	if (fd >= 0)
		close(fd);
	return NULL;
}

START_TEST(server_that_hangs_up_gives_a_connect_error)
{
	char dir[] = "/tmp/mypool-unit-XXXXXX", path[sizeof(dir) + 16];
	struct sockaddr_un sa;
	mypool_conn *conn = mypool_conn_new();
	pthread_t th;
	int lfd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, hang_up, &lfd), 0);
	ck_assert_int_eq(mypool_connect(conn, path, "app", "pw", NULL), MYPOOL_ERR_CONNECT);
	ck_assert_msg(mypool_errno(conn) >= 2000 && mypool_errno(conn) < 3000, "errno %u: %s",
		      mypool_errno(conn), mypool_errmsg(conn));
	pthread_join(th, NULL);
	close(lfd);
	unlink(path);
	rmdir(dir);
	mypool_conn_free(conn);
}
END_TEST

static Suite *client_unit_suite(void)
{
	Suite *s = suite_create("client_unit");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, strerror_every_code_has_its_own_text);
	tcase_add_test(tc, type_names_are_distinct);
	suite_add_tcase(s, tc);

	tc = tcase_create("targets");
	tcase_add_test(tc, target_default_then_env_then_argument);
	tcase_add_test(tc, target_host_and_port);
	suite_add_tcase(s, tc);

	tc = tcase_create("conversions");
	tcase_add_test(tc, text_to_int64_is_exact);
	tcase_add_test(tc, text_to_uint64_is_exact);
	tcase_add_test(tc, text_to_double);
	tcase_add_test(tc, double_to_integers_is_exact);
	tcase_add_test(tc, format_double_is_shortest_and_round_trips);
	tcase_add_test(tc, numbers_ignore_the_application_locale);
	tcase_add_test(tc, bits_are_big_endian);
	tcase_add_test(tc, field_types_map_to_mypool_types);
	tcase_add_test(tc, param_macros_tag_their_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_server");
	tcase_add_test(tc, null_handles_are_refused);
	tcase_add_test(tc, unconnected_handle_says_so);
	tcase_add_test(tc, connect_to_a_missing_socket_fails_with_2002);
	tcase_add_test(tc, connect_without_target_uses_env_then_default);
	tcase_add_test(tc, server_that_hangs_up_gives_a_connect_error);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(client_unit_suite)
