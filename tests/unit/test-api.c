/* SPDX-License-Identifier: MIT */
/* The API's and the CLI's pure helpers: archive magic bytes, login and name rules, UTF-8
 * sanitising for JSON, CSV quoting, student tokens and student names from file names. */
#include "api.h"
#include "client.h"
#include "tap.h"

#include <jansson.h>

static int
t_magic(void)
{
	unsigned char tar[512] = {0};

	CHECK_STREQ(api_archive_kind("\x1f\x8b\x08\x00", 4), "gzip");
	CHECK_STREQ(api_archive_kind("\xfd\x37\x7a\x58\x5a\x00\x00", 7), "xz");
	CHECK_STREQ(api_archive_kind("BZh91AY", 7), "bzip2");
	CHECK_STREQ(api_archive_kind("PK\x03\x04rest", 8), "zip");
	memcpy(tar + 257,
	       "ustar\0"
	       "00",
	       8);
	CHECK_STREQ(api_archive_kind(tar, sizeof(tar)), "tar");
	memcpy(tar + 257, "ustar  \0", 8); /* GNU tar */
	CHECK_STREQ(api_archive_kind(tar, sizeof(tar)), "tar");
	/* Too short to hold the magic, or wrong. */
	CHECK(!api_archive_kind("\x1f", 1));
	CHECK(!api_archive_kind("", 0));
	CHECK(!api_archive_kind("hello world", 11));
	CHECK(!api_archive_kind("PK\x05\x06", 4)); /* empty zip: no entries, refused */
	CHECK(!api_archive_kind("\xfd\x37\x7a\x58\x5a", 5));
	CHECK(!api_archive_kind(tar, 261));
	return 0;
}

static int
t_login(void)
{
	CHECK(api_valid_login("alice"));
	CHECK(api_valid_login("a.b-c_9"));
	CHECK(api_valid_login("x"));
	CHECK(!api_valid_login(""));
	CHECK(!api_valid_login(NULL));
	CHECK(!api_valid_login("."));
	CHECK(!api_valid_login(".."));
	CHECK(!api_valid_login("Alice"));
	CHECK(!api_valid_login("al ice"));
	CHECK(!api_valid_login("a/b"));
	CHECK(!api_valid_login("a\n"));
	CHECK(!api_valid_login("\xc3\xa9"));
	CHECK(!api_valid_login("-rf"));
	CHECK(!api_valid_login(".hidden"));
	char l[66];
	memset(l, 'a', 64);
	l[64] = 0;
	CHECK(api_valid_login(l));
	l[64] = 'a';
	l[65] = 0;
	CHECK(!api_valid_login(l));
	CHECK(api_valid_name("Sum-2.v1"));
	CHECK(!api_valid_name("a b"));
	CHECK(!api_valid_name("../x"));
	return 0;
}

static int
t_utf8(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{"plain", 5, "plain"},
		{"caf\xc3\xa9", 5, "caf\xc3\xa9"},
		{"\xe2\x82\xac\xf0\x9f\x98\x80", 7, "\xe2\x82\xac\xf0\x9f\x98\x80"},
		{"a\xff"
		 "b",
		 3,
		 "a\xef\xbf\xbd"
		 "b"},
		{"a\0b", 3,
		 "a\xef\xbf\xbd"
		 "b"},							     /* NUL */
		{"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},		     /* overlong '/' */
		{"\xe0\x80\xaf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
		{"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
		{"\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"x\xc3", 2, "x\xef\xbf\xbd"}, /* truncated at the end */
		{"", 0, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = api_utf8_sanitize(cases[i].in, cases[i].len);
		CHECK(s);
		CHECK_STREQ(s, cases[i].out);
		/* jansson accepts every result. */
		json_t *j = json_string(s);
		CHECK(j);
		json_decref(j);
		free(s);
	}
	/* Arbitrary bytes always come out as a valid JSON string. */
	unsigned char buf[256];
	for (int i = 0; i < 256; i++)
		buf[i] = (unsigned char)(255 - i);
	char *s = api_utf8_sanitize(buf, sizeof(buf));
	CHECK(s);
	json_t *j = json_string(s);
	CHECK(j);
	json_decref(j);
	free(s);
	return 0;
}

static int
t_csv(void)
{
	static const char *const cases[][2] = {
		{"alice", "alice"},
		{"", ""},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"line\nbreak", "\"line\nbreak\""},
		{"cr\r", "\"cr\r\""},
		{"\"", "\"\"\"\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *f = api_csv_field(cases[i][0]);
		CHECK(f);
		CHECK_STREQ(f, cases[i][1]);
		free(f);
	}
	return 0;
}

static int
t_student_token(void)
{
	char a[65], b[65], c[65];

	api_student_token("TOK", "bob", a);
	/* sha256("TOK:bob"), as `printf TOK:bob | sha256sum` gives. */
	CHECK_STREQ(a, "8d4af2d12b7b407eb0e4e7a6333f15da3a725962988a4011538e14c3ba273a38");
	api_student_token("TOK", "alice", b);
	api_student_token("TOK2", "bob", c);
	CHECK(strcmp(a, b) != 0);
	CHECK(strcmp(a, c) != 0);
	return 0;
}

static int
t_student_from_filename(void)
{
	static const char *const ok[][2] = {
		{"alice.tar.gz", "alice"},   {"dir/bob.tgz", "bob"},
		{"/x/y/carol.tar", "carol"}, {"dave.tar.xz", "dave"},
		{"erin.zip", "erin"},	     {"f.g-h_1.tar.bz2", "f.g-h_1"},
		{"plainname", "plainname"},  {"x.tar.gz.tar", "x.tar.gz"},
	};
	static const char *const bad[] = {
		"Alice.tar.gz", ".tar.gz", "dir/", "a b.tgz", "", "caf\xc3\xa9.zip", "..", ".",
	};
	char buf[80];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_EQ_INT(client_student_from_filename(ok[i][0], buf, sizeof(buf)), 0);
		CHECK_STREQ(buf, ok[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (client_student_from_filename(bad[i], buf, sizeof(buf)) != -EINVAL) {
			printf("# accepted '%s'\n", bad[i]);
			return 1;
		}
	/* Does not fit the buffer. */
	CHECK_EQ_INT(client_student_from_filename("abcdef.tgz", buf, 4), -EINVAL);
	return 0;
}

static int
t_evidence_name(void)
{
	char good[80];
	memset(good, 'a', 64);
	strcpy(good + 64, ".tar.gz");
	CHECK(api_valid_evidence_name(good));
	CHECK(!api_valid_evidence_name("../../etc/passwd"));
	CHECK(!api_valid_evidence_name(".tar.gz"));
	good[3] = 'A'; /* upper case is not what we write */
	CHECK(!api_valid_evidence_name(good));
	good[3] = '/';
	CHECK(!api_valid_evidence_name(good));
	good[3] = 'a';
	strcpy(good + 64, ".tar.gz/x");
	CHECK(!api_valid_evidence_name(good));
	return 0;
}

TAP_MAIN(TAP_TEST(t_evidence_name), TAP_TEST(t_magic), TAP_TEST(t_login), TAP_TEST(t_utf8),
	 TAP_TEST(t_csv), TAP_TEST(t_student_token), TAP_TEST(t_student_from_filename))
