/* Unit tests for daemon/pure/auth.c: known vectors (computed independently with Python's hashlib) and
 * the accept/reject rules. */
#include "autoconfig.h"

#include <string.h>

#include "auth.h"
#include "check_main.h"

/* SHA1(SHA1("apppw")): the "*HEX" of mysql.user for 'apppw' (tech-notes: *DB14CBAE...). */
#define APPPW_HASH "*DB14CBAE92D7CB2F84BD3AA7222415B564A4054A"
static const uint8_t apppw_stage2[20] = {
	0xdb, 0x14, 0xcb, 0xae, 0x92, 0xd7, 0xcb, 0x2f, 0x84, 0xbd,
	0x3a, 0xa7, 0x22, 0x24, 0x15, 0xb5, 0x64, 0xa4, 0x05, 0x4a,
};
/* A fixed scramble: the 20 printable bytes 0x21..0x34 ("!\"#$%&'()*+,-./01234"). */
static uint8_t fixed_scramble[20];
/* SHA1("apppw") XOR SHA1(fixed_scramble || apppw_stage2). */
static const uint8_t apppw_native_token[20] = {
	0x82, 0xa4, 0x21, 0x52, 0xb6, 0x35, 0x0e, 0x93, 0x2a, 0x46,
	0xce, 0x46, 0x69, 0xa9, 0x28, 0x21, 0xff, 0xd9, 0x75, 0xd8,
};
/* SHA256(SHA256("apppw")): the caching_sha2 fast-path secret. */
static const uint8_t apppw_sha2_stage2[32] = {
	0x64, 0x60, 0x5c, 0xc2, 0xc8, 0x10, 0xcf, 0x61, 0xdf, 0xf9, 0x89, 0x1e, 0xb9, 0x67, 0x0f, 0xba,
	0x3e, 0x38, 0xac, 0x47, 0x0b, 0x65, 0x65, 0xfe, 0x27, 0x4a, 0xb3, 0x87, 0xeb, 0x24, 0x56, 0x2b,
};
/* SHA256(pw) XOR SHA256(m2 || nonce), nonce = fixed_scramble (20 bytes, libmariadb). */
static const uint8_t apppw_sha2_token20[32] = {
	0x72, 0xa0, 0x0b, 0x09, 0xaf, 0x4a, 0x2c, 0xf5, 0xe6, 0x28, 0xd5, 0x71, 0xa2, 0x07, 0xd3, 0x19,
	0xb4, 0xb5, 0x71, 0x10, 0x21, 0x7c, 0x5c, 0xbc, 0xdb, 0xaf, 0x0e, 0xd8, 0x85, 0xba, 0x3f, 0xf5,
};
/* Same with nonce = fixed_scramble + NUL (21 bytes, as PyMySQL 1.0.2 hashes it). */
static const uint8_t apppw_sha2_token21[32] = {
	0x96, 0xa3, 0x76, 0x81, 0xe7, 0xbe, 0xa6, 0x06, 0x08, 0x50, 0xc8, 0xb4, 0x21, 0xf5, 0xb3, 0x81,
	0xef, 0x82, 0xc7, 0xd1, 0x02, 0xd7, 0xf6, 0xd4, 0x63, 0xd2, 0x99, 0x49, 0xc8, 0xff, 0x04, 0xe5,
};

static void setup(void)
{
	for (int i = 0; i < 20; i++)
		fixed_scramble[i] = (uint8_t)(0x21 + i);
}

START_TEST(native_stage2_vector)
{
	uint8_t s2[20];

	auth_native_stage2("apppw", 5, s2);
	ck_assert_mem_eq(s2, apppw_stage2, 20);
}
END_TEST

START_TEST(native_token_vector)
{
	uint8_t tok[20];

	auth_native_token("apppw", 5, fixed_scramble, tok);
	ck_assert_mem_eq(tok, apppw_native_token, 20);
	ck_assert(auth_native_verify(fixed_scramble, tok, 20, apppw_stage2, true));
}
END_TEST

START_TEST(native_verify_rejects)
{
	uint8_t tok[20], s2[20], other[20];

	/* Wrong password. */
	auth_native_token("apppW", 5, fixed_scramble, tok);
	ck_assert(!auth_native_verify(fixed_scramble, tok, 20, apppw_stage2, true));
	/* Right password, other scramble (a replayed token). */
	memcpy(other, fixed_scramble, 20);
	other[7] ^= 1;
	ck_assert(!auth_native_verify(other, apppw_native_token, 20, apppw_stage2, true));
	/* Right token, wrong length. */
	ck_assert(!auth_native_verify(fixed_scramble, apppw_native_token, 19, apppw_stage2, true));
	ck_assert(!auth_native_verify(fixed_scramble, apppw_native_token, 0, apppw_stage2, true));
	/* Every single-bit flip of the token is rejected. */
	for (int i = 0; i < 20 * 8; i++) {
		memcpy(tok, apppw_native_token, 20);
		tok[i / 8] ^= (uint8_t)(1 << (i % 8));
		ck_assert(!auth_native_verify(fixed_scramble, tok, 20, apppw_stage2, true));
	}
	/* A token for a different user's stage2. */
	auth_native_stage2("other", 5, s2);
	ck_assert(!auth_native_verify(fixed_scramble, apppw_native_token, 20, s2, true));
}
END_TEST

START_TEST(native_empty_password)
{
	uint8_t s2[20], tok[20];
	bool has;

	ck_assert_int_eq(auth_parse_password("", s2, &has), 0);
	ck_assert(!has);
	for (int i = 0; i < 20; i++)
		ck_assert_uint_eq(s2[i], 0);
	/* An account without password: only the empty token (what clients send for ""). */
	ck_assert(auth_native_verify(fixed_scramble, NULL, 0, s2, false));
	auth_native_token("", 0, fixed_scramble, tok);
	ck_assert(!auth_native_verify(fixed_scramble, tok, 20, s2, false));
	ck_assert(!auth_native_verify(fixed_scramble, apppw_native_token, 20, s2, false));
	/* NULL is treated like "". */
	ck_assert_int_eq(auth_parse_password(NULL, s2, &has), 0);
	ck_assert(!has);
}
END_TEST

START_TEST(parse_password_forms)
{
	uint8_t s2[20];
	bool has;

	/* Plain password -> SHA1(SHA1(pw)). */
	ck_assert_int_eq(auth_parse_password("apppw", s2, &has), 0);
	ck_assert(has);
	ck_assert_mem_eq(s2, apppw_stage2, 20);
	/* Upper-case hash. */
	memset(s2, 0xaa, sizeof(s2));
	ck_assert_int_eq(auth_parse_password(APPPW_HASH, s2, &has), 0);
	ck_assert(has);
	ck_assert_mem_eq(s2, apppw_stage2, 20);
	/* Lower-case hash. */
	memset(s2, 0xaa, sizeof(s2));
	ck_assert_int_eq(auth_parse_password("*db14cbae92d7cb2f84bd3aa7222415b564a4054a", s2, &has), 0);
	ck_assert(has);
	ck_assert_mem_eq(s2, apppw_stage2, 20);
	/* Mixed case. */
	ck_assert_int_eq(auth_parse_password("*Db14CbAe92d7cB2F84bd3aA7222415b564A4054a", s2, &has), 0);
	ck_assert_mem_eq(s2, apppw_stage2, 20);
}
END_TEST

START_TEST(parse_password_malformed_hash)
{
	static const char *const bad[] = {
		"*",                                           /* no digits */
		"*DB14CBAE92D7CB2F84BD3AA7222415B564A4054",    /* 39 digits */
		"*DB14CBAE92D7CB2F84BD3AA7222415B564A4054A0",  /* 41 digits */
		"*DB14CBAE92D7CB2F84BD3AA7222415B564A4054G",   /* non-hex last digit */
		"*XB14CBAE92D7CB2F84BD3AA7222415B564A4054A",   /* non-hex first digit */
		"*DB14CBAE92D7CB2F84BD3AA7222415B5 4A4054A",   /* space */
		"**B14CBAE92D7CB2F84BD3AA7222415B564A4054A",   /* second star */
		"*secret",                                     /* a plain password starting with '*' */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t s2[20];
		bool has = true;

		memset(s2, 0xaa, sizeof(s2));
		ck_assert_msg(auth_parse_password(bad[i], s2, &has) == -1, "accepted '%s'", bad[i]);
		ck_assert(!has);
		for (int j = 0; j < 20; j++)
			ck_assert_uint_eq(s2[j], 0);
	}
}
END_TEST

START_TEST(sha2_vectors)
{
	uint8_t m2[32], tok[32], nonce21[21];

	auth_sha2_stage2("apppw", 5, m2);
	ck_assert_mem_eq(m2, apppw_sha2_stage2, 32);

	auth_sha2_token("apppw", 5, fixed_scramble, 20, tok);
	ck_assert_mem_eq(tok, apppw_sha2_token20, 32);
	ck_assert(auth_sha2_verify(fixed_scramble, 20, tok, 32, m2));

	memcpy(nonce21, fixed_scramble, 20);
	nonce21[20] = 0;
	auth_sha2_token("apppw", 5, nonce21, 21, tok);
	ck_assert_mem_eq(tok, apppw_sha2_token21, 32);
	ck_assert(auth_sha2_verify(nonce21, 21, tok, 32, m2));
	/* The function is plain: a 21-byte token does not verify against the 20-byte nonce and back. */
	ck_assert(!auth_sha2_verify(fixed_scramble, 20, apppw_sha2_token21, 32, m2));
	ck_assert(!auth_sha2_verify(nonce21, 21, apppw_sha2_token20, 32, m2));
}
END_TEST

START_TEST(sha2_rejects)
{
	uint8_t tok[32], m2[32];

	/* Wrong password. */
	auth_sha2_token("apppW", 5, fixed_scramble, 20, tok);
	ck_assert(!auth_sha2_verify(fixed_scramble, 20, tok, 32, apppw_sha2_stage2));
	/* Wrong token length, unsupported nonce lengths. */
	ck_assert(!auth_sha2_verify(fixed_scramble, 20, apppw_sha2_token20, 31, apppw_sha2_stage2));
	ck_assert(!auth_sha2_verify(fixed_scramble, 20, apppw_sha2_token20, 0, apppw_sha2_stage2));
	ck_assert(!auth_sha2_verify(fixed_scramble, 19, apppw_sha2_token20, 32, apppw_sha2_stage2));
	/* Other user's secret. */
	auth_sha2_stage2("other", 5, m2);
	ck_assert(!auth_sha2_verify(fixed_scramble, 20, apppw_sha2_token20, 32, m2));
	/* Bit flips. */
	for (int i = 0; i < 32 * 8; i += 7) {
		memcpy(tok, apppw_sha2_token20, 32);
		tok[i / 8] ^= (uint8_t)(1 << (i % 8));
		ck_assert(!auth_sha2_verify(fixed_scramble, 20, tok, 32, apppw_sha2_stage2));
	}
}
END_TEST

START_TEST(cleartext)
{
	uint8_t none[20] = { 0 };

	ck_assert(auth_cleartext_verify((const uint8_t *)"apppw", 5, apppw_stage2, true));
	/* With the NUL that caching_sha2 full auth sends. */
	ck_assert(auth_cleartext_verify((const uint8_t *)"apppw", 6, apppw_stage2, true));
	/* Only one NUL is stripped. */
	ck_assert(!auth_cleartext_verify((const uint8_t *)"apppw\0", 7, apppw_stage2, true));
	ck_assert(!auth_cleartext_verify((const uint8_t *)"apppW", 5, apppw_stage2, true));
	ck_assert(!auth_cleartext_verify((const uint8_t *)"apppw", 4, apppw_stage2, true));
	ck_assert(!auth_cleartext_verify((const uint8_t *)"", 0, apppw_stage2, true));
	ck_assert(!auth_cleartext_verify((const uint8_t *)"", 1, apppw_stage2, true));
	/* No password: only empty (or a lone NUL). */
	ck_assert(auth_cleartext_verify((const uint8_t *)"", 0, none, false));
	ck_assert(auth_cleartext_verify((const uint8_t *)"", 1, none, false));
	ck_assert(!auth_cleartext_verify((const uint8_t *)"apppw", 5, none, false));
}
END_TEST

/* RFC 8032, section 7.1, TEST 2: the public key (as MariaDB writes it: base64, no padding), the
 * one-byte message 0x72 and its signature. */
#define RFC8032_T2_KEY "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw"
static const uint8_t rfc8032_t2_pk[32] = {
	0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc,
	0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c,
};
static const uint8_t rfc8032_t2_sig[64] = {
	0x92, 0xa0, 0x09, 0xa9, 0xf0, 0xd4, 0xca, 0xb8, 0x72, 0x0e, 0x82, 0x0b, 0x5f, 0x64, 0x25, 0x40,
	0xa2, 0xb2, 0x7b, 0x54, 0x16, 0x50, 0x3f, 0x8f, 0xb3, 0x76, 0x22, 0x23, 0xeb, 0xdb, 0x69, 0xda,
	0x08, 0x5a, 0xc1, 0xe4, 0x3e, 0x15, 0x99, 0x6e, 0x45, 0x8f, 0x36, 0x13, 0xd0, 0xf1, 0x1d, 0x8c,
	0x38, 0x7b, 0x2e, 0xae, 0xb4, 0x30, 0x2a, 0xee, 0xb0, 0x0d, 0x29, 0x16, 0x12, 0xbb, 0x0c, 0x00,
};

START_TEST(ed25519_vector)
{
	uint8_t key[32], sig[64], msg[1] = { 0x72 };
	ck_assert_int_eq(auth_ed25519_parse_key(RFC8032_T2_KEY, key), 0);
	ck_assert_mem_eq(key, rfc8032_t2_pk, 32);
	ck_assert(auth_ed25519_verify(key, msg, 1, rfc8032_t2_sig, 64));
	memcpy(sig, rfc8032_t2_sig, 64);
	sig[10] ^= 1;
	ck_assert(!auth_ed25519_verify(key, msg, 1, sig, 64));
	msg[0] = 0x73;
	ck_assert(!auth_ed25519_verify(key, msg, 1, rfc8032_t2_sig, 64));
	msg[0] = 0x72;
	ck_assert(!auth_ed25519_verify(key, msg, 1, rfc8032_t2_sig, 63));
	ck_assert(!auth_ed25519_verify(key, msg, 0, rfc8032_t2_sig, 64));
	key[0] ^= 1;
	ck_assert(!auth_ed25519_verify(key, msg, 1, rfc8032_t2_sig, 64));
}
END_TEST

START_TEST(ed25519_key_forms)
{
	uint8_t key[32];
	ck_assert_int_eq(auth_ed25519_parse_key(RFC8032_T2_KEY "=", key), -1);     /* padded */
	ck_assert_int_eq(auth_ed25519_parse_key("PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zg", key), -1);
	ck_assert_int_eq(auth_ed25519_parse_key("PUAXw-hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw", key), -1);
	ck_assert_int_eq(auth_ed25519_parse_key("", key), -1);
}
END_TEST

START_TEST(scramble_printable)
{
	uint8_t a[AUTH_SCRAMBLE_LEN], b[AUTH_SCRAMBLE_LEN];
	unsigned seen[256] = { 0 };

	ck_assert_int_eq(auth_scramble(a), 0);
	ck_assert_int_eq(auth_scramble(b), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	/* Many draws: every byte printable and non-space; the range gets used (not one constant). */
	for (int round = 0; round < 500; round++) {
		ck_assert_int_eq(auth_scramble(a), 0);
		for (int i = 0; i < AUTH_SCRAMBLE_LEN; i++) {
			ck_assert_uint_ge(a[i], 33);
			ck_assert_uint_le(a[i], 126);
			seen[a[i]]++;
		}
	}
	unsigned distinct = 0;
	for (int c = 33; c <= 126; c++)
		distinct += seen[c] > 0;
	ck_assert_uint_ge(distinct, 90); /* 10,000 draws over 94 values: all but a freak few */
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("native");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, native_stage2_vector);
	tcase_add_test(tc, native_token_vector);
	tcase_add_test(tc, native_verify_rejects);
	tcase_add_test(tc, native_empty_password);
	tcase_add_test(tc, parse_password_forms);
	tcase_add_test(tc, parse_password_malformed_hash);
	suite_add_tcase(s, tc);

	tc = tcase_create("sha2");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, sha2_vectors);
	tcase_add_test(tc, sha2_rejects);
	tcase_add_test(tc, cleartext);
	suite_add_tcase(s, tc);

	tc = tcase_create("ed25519");
	tcase_add_test(tc, ed25519_vector);
	tcase_add_test(tc, ed25519_key_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("scramble");
	tcase_add_test(tc, scramble_printable);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(auth_suite)
