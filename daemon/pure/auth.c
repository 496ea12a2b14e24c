/* auth: password hashing and verification (see auth.h). Pure: no I/O except getrandom(2). */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <pthread.h>
#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"

#define SHA1_LEN 20
#define SHA256_LEN 32

/* Printable ASCII without the space: 94 values. Bytes >= 188 (= 2 * 94) are rejected so that every
 * value is equally likely. */
#define SCRAMBLE_FIRST 33
#define SCRAMBLE_RANGE 94
#define SCRAMBLE_REJECT (2 * SCRAMBLE_RANGE)

int auth_random(uint8_t *out, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(out, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		out += r;
		n -= (size_t)r;
	}
	return 0;
}

int auth_scramble(uint8_t out[AUTH_SCRAMBLE_LEN])
{
	uint8_t pool[64];
	size_t used = sizeof(pool), filled = 0;

	while (filled < AUTH_SCRAMBLE_LEN) {
		if (used == sizeof(pool)) {
			if (auth_random(pool, sizeof(pool)) != 0)
				return -1;
			used = 0;
		}
		uint8_t c = pool[used++];
		if (c < SCRAMBLE_REJECT)
			out[filled++] = (uint8_t)(SCRAMBLE_FIRST + c % SCRAMBLE_RANGE);
	}
	OPENSSL_cleanse(pool, sizeof(pool));
	return 0;
}

/* out = H(a || b); b may be empty. Returns false if the digest failed (out is then zeroed). */
static bool digest2(const EVP_MD *md, const void *a, size_t an, const void *b, size_t bn, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, a, an) == 1 &&
		  (bn == 0 || EVP_DigestUpdate(ctx, b, bn) == 1) && EVP_DigestFinal_ex(ctx, out, NULL) == 1;

	EVP_MD_CTX_free(ctx);
	if (!ok)
		memset(out, 0, (size_t)EVP_MD_size(md));
	return ok;
}

static bool sha1(const void *p, size_t n, uint8_t out[SHA1_LEN])
{
	return digest2(EVP_sha1(), p, n, NULL, 0, out);
}

static bool sha256(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	return digest2(EVP_sha256(), p, n, NULL, 0, out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int auth_parse_password(const char *value, uint8_t stage2[20], bool *has_password)
{
	memset(stage2, 0, SHA1_LEN);
	*has_password = false;
	if (!value || !value[0])
		return 0;
	if (value[0] != '*') {
		auth_native_stage2(value, strlen(value), stage2);
		*has_password = true;
		return 0;
	}
	/* "*" + 40 hex digits: the mysql.user / SHOW GRANTS form of SHA1(SHA1(pw)). */
	if (strlen(value) != 1 + 2 * SHA1_LEN)
		return -1;
	for (int i = 0; i < SHA1_LEN; i++) {
		int hi = hexval(value[1 + 2 * i]), lo = hexval(value[2 + 2 * i]);
		if (hi < 0 || lo < 0) {
			memset(stage2, 0, SHA1_LEN);
			return -1;
		}
		stage2[i] = (uint8_t)(hi << 4 | lo);
	}
	*has_password = true;
	return 0;
}

void auth_native_stage2(const char *pw, size_t n, uint8_t stage2[20])
{
	uint8_t stage1[SHA1_LEN];

	sha1(pw, n, stage1);
	sha1(stage1, sizeof(stage1), stage2);
	OPENSSL_cleanse(stage1, sizeof(stage1));
}

void auth_native_token(const char *pw, size_t n, const uint8_t scramble[20], uint8_t token[20])
{
	uint8_t stage1[SHA1_LEN], stage2[SHA1_LEN], h[SHA1_LEN];

	sha1(pw, n, stage1);
	sha1(stage1, sizeof(stage1), stage2);
	digest2(EVP_sha1(), scramble, AUTH_SCRAMBLE_LEN, stage2, sizeof(stage2), h);
	for (int i = 0; i < SHA1_LEN; i++)
		token[i] = stage1[i] ^ h[i];
	OPENSSL_cleanse(stage1, sizeof(stage1));
}

bool auth_native_verify(const uint8_t scramble[20], const uint8_t *token, size_t token_len,
			const uint8_t stage2[20], bool has_password)
{
	uint8_t h[SHA1_LEN], stage1[SHA1_LEN], check[SHA1_LEN];
	bool ok;

	if (!has_password)
		return token_len == 0;
	if (token_len != SHA1_LEN)
		return false;
	/* stage1 = token XOR SHA1(scramble || stage2); the client knew pw iff SHA1(stage1) == stage2. */
	if (!digest2(EVP_sha1(), scramble, AUTH_SCRAMBLE_LEN, stage2, SHA1_LEN, h))
		return false;
	for (int i = 0; i < SHA1_LEN; i++)
		stage1[i] = token[i] ^ h[i];
	ok = sha1(stage1, sizeof(stage1), check) && CRYPTO_memcmp(check, stage2, SHA1_LEN) == 0;
	OPENSSL_cleanse(stage1, sizeof(stage1));
	return ok;
}

void auth_sha2_stage2(const char *pw, size_t n, uint8_t out[32])
{
	uint8_t m1[SHA256_LEN];

	sha256(pw, n, m1);
	sha256(m1, sizeof(m1), out);
	OPENSSL_cleanse(m1, sizeof(m1));
}

void auth_sha2_token(const char *pw, size_t n, const uint8_t *nonce, size_t nonce_len, uint8_t token[32])
{
	uint8_t m1[SHA256_LEN], m2[SHA256_LEN], h[SHA256_LEN];

	sha256(pw, n, m1);
	sha256(m1, sizeof(m1), m2);
	digest2(EVP_sha256(), m2, sizeof(m2), nonce, nonce_len, h);
	for (int i = 0; i < SHA256_LEN; i++)
		token[i] = m1[i] ^ h[i];
	OPENSSL_cleanse(m1, sizeof(m1));
}

bool auth_sha2_verify(const uint8_t *nonce, size_t nonce_len, const uint8_t *token, size_t token_len,
		      const uint8_t sha2_stage2[32])
{
	uint8_t h[SHA256_LEN], m1[SHA256_LEN], check[SHA256_LEN];
	bool ok;

	if (token_len != SHA256_LEN || (nonce_len != AUTH_SCRAMBLE_LEN && nonce_len != AUTH_SCRAMBLE_LEN + 1))
		return false;
	/* m1 = token XOR SHA256(m2 || nonce) = SHA256(pw) if the client knew pw; then SHA256(m1) == m2. */
	if (!digest2(EVP_sha256(), sha2_stage2, SHA256_LEN, nonce, nonce_len, h))
		return false;
	for (int i = 0; i < SHA256_LEN; i++)
		m1[i] = token[i] ^ h[i];
	ok = sha256(m1, sizeof(m1), check) && CRYPTO_memcmp(check, sha2_stage2, SHA256_LEN) == 0;
	OPENSSL_cleanse(m1, sizeof(m1));
	return ok;
}

bool auth_cleartext_verify(const uint8_t *pw, size_t n, const uint8_t stage2[20], bool has_password)
{
	uint8_t check[SHA1_LEN];

	/* caching_sha2 full auth and mysql_clear_password send the password with its NUL. */
	if (n > 0 && pw[n - 1] == '\0')
		n--;
	if (!has_password)
		return n == 0;
	if (n == 0)
		return false;
	auth_native_stage2((const char *)pw, n, check);
	return CRYPTO_memcmp(check, stage2, SHA1_LEN) == 0;
}

int auth_ed25519_parse_key(const char *s, uint8_t key[32])
{
	/* 43 base64 characters carry 258 bits: 32 bytes and two zero bits. EVP_DecodeBlock wants
	 * whole groups of four, so the padding goes back on first. */
	char in[45];
	uint8_t out[33];
	if (strlen(s) != 43 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != 43)
		return -1;
	memcpy(in, s, 43);
	in[43] = '=';
	in[44] = '\0';
	if (EVP_DecodeBlock(out, (const unsigned char *)in, 44) != 33)
		return -1;
	memcpy(key, out, 32);
	return 0;
}

bool auth_ed25519_verify(const uint8_t key[32], const uint8_t *nonce, size_t nonce_len, const uint8_t *sig,
			 size_t sig_len)
{
	if (sig_len != 64)
		return false;
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32);
	EVP_MD_CTX *ctx = pk ? EVP_MD_CTX_new() : NULL;
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, nonce, nonce_len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

/* caching_sha2_password's fast path needs SHA256(SHA256(password)): known from a plain password
 * in [users], or learnt at a full authentication (checked against the native hash) and kept
 * per process, for as long as the user's native hash is what it was. */
#define SHA2_CACHE 256
static struct sha2_entry {
	char user[81];
	uint8_t native[20];
	uint8_t sha2[32];
} sha2_cache[SHA2_CACHE];
static unsigned sha2_next;
static pthread_mutex_t sha2_lock = PTHREAD_MUTEX_INITIALIZER;

bool auth_sha2_known(const char *user, const uint8_t native[20], const uint8_t *given, uint8_t out[32])
{
	if (given) {
		memcpy(out, given, 32);
		return true;
	}
	bool found = false;
	pthread_mutex_lock(&sha2_lock);
	for (unsigned i = 0; i < SHA2_CACHE && !found; i++) {
		if (strcmp(sha2_cache[i].user, user) == 0 && memcmp(sha2_cache[i].native, native, 20) == 0) {
			memcpy(out, sha2_cache[i].sha2, 32);
			found = true;
		}
	}
	pthread_mutex_unlock(&sha2_lock);
	return found;
}

void auth_sha2_learn(const char *user, const uint8_t native[20], const uint8_t *pw, size_t n)
{
	if (strlen(user) >= sizeof(sha2_cache[0].user))
		return;
	pthread_mutex_lock(&sha2_lock);
	struct sha2_entry *e = &sha2_cache[sha2_next++ % SHA2_CACHE];
	snprintf(e->user, sizeof(e->user), "%s", user);
	memcpy(e->native, native, 20);
	auth_sha2_stage2((const char *)pw, n, e->sha2);
	pthread_mutex_unlock(&sha2_lock);
}
