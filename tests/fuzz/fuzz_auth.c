/* fuzz_auth: the password checks, on what a client sends as its auth response.
 *
 * Input: flags (bit 0: the account has a password), then three length-prefixed byte strings (a
 * u8 length, then that many bytes; the last ones may be cut short): the token or signature, the
 * nonce, the password text; then the fixed-size secrets (scramble, stage2, sha2 stage2, ed25519
 * key), zero where the input ends. Each variable string is copied to a heap block of its exact
 * size so a verifier that reads past a given length is an ASan report. The password text also
 * goes through the config-side parsers (auth_parse_password, auth_ed25519_parse_key); a plain
 * password then must be accepted by each verifier with the token the client side computes. */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"

struct in { const uint8_t *p; size_t n; };

static uint8_t take_u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* A heap copy of the next (up to) want bytes with one NUL after them; *len = bytes taken. */
static uint8_t *take_dup(struct in *in, size_t want, size_t *len)
{
	size_t k = want < in->n ? want : in->n;
	uint8_t *d = malloc(k + 1);

	if (!d)
		abort();
	if (k)
		memcpy(d, in->p, k);
	d[k] = 0;
	in->p += k;
	in->n -= k;
	*len = k;
	return d;
}

/* The next n bytes into a fixed array, zero-padded. */
static void take_fixed(struct in *in, uint8_t *out, size_t n)
{
	size_t k = n < in->n ? n : in->n;

	memset(out, 0, n);
	if (k)
		memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

/* An exact-size copy (no NUL after it): for the verifiers, which get a pointer and a length. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (!d)
		abort();
	if (n)
		memcpy(d, p, n);
	return d;
}

/* A plain password from the config must pass every check a real client would make with it. */
static void check_roundtrip(const char *pw, const uint8_t scramble[20], const uint8_t *nonce,
			    size_t nonce_len)
{
	uint8_t stage2[20], sha2[32], token[20], token2[32];
	bool has;
	size_t n = strlen(pw);

	if (auth_parse_password(pw, stage2, &has) != 0)
		abort(); /* a plain password never fails */
	if (has != (n > 0))
		abort();
	if (!has) {
		if (!auth_native_verify(scramble, NULL, 0, stage2, false))
			abort();
		return;
	}
	auth_native_token(pw, n, scramble, token);
	if (!auth_native_verify(scramble, token, sizeof(token), stage2, true))
		abort();
	if (!auth_cleartext_verify((const uint8_t *)pw, n, stage2, true))
		abort();
	if (nonce_len == AUTH_SCRAMBLE_LEN || nonce_len == AUTH_SCRAMBLE_LEN + 1) {
		auth_sha2_stage2(pw, n, sha2);
		auth_sha2_token(pw, n, nonce, nonce_len, token2);
		if (!auth_sha2_verify(nonce, nonce_len, token2, sizeof(token2), sha2))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint8_t scramble[AUTH_SCRAMBLE_LEN], stage2[20], sha2[32], key[32], parsed[32];
	size_t token_len, nonce_len, pw_len;
	bool has_password = take_u8(&in) & 1;
	uint8_t *t = take_dup(&in, take_u8(&in), &token_len);
	uint8_t *no = take_dup(&in, take_u8(&in), &nonce_len);
	uint8_t *pwz = take_dup(&in, take_u8(&in), &pw_len);

	take_fixed(&in, scramble, sizeof(scramble));
	take_fixed(&in, stage2, sizeof(stage2));
	take_fixed(&in, sha2, sizeof(sha2));
	take_fixed(&in, key, sizeof(key));

	uint8_t *token = exact(t, token_len), *nonce = exact(no, nonce_len), *pw = exact(pwz, pw_len);
	bool ok;

	ok = auth_native_verify(scramble, token, token_len, stage2, has_password);
	if (ok && (has_password ? token_len != 20 : token_len != 0))
		abort();
	ok = auth_sha2_verify(nonce, nonce_len, token, token_len, sha2);
	if (ok && token_len != 32)
		abort();
	ok = auth_cleartext_verify(pw, pw_len, stage2, has_password);
	if (ok && !has_password && pw_len > 1)
		abort();
	ok = auth_ed25519_verify(key, nonce, nonce_len, token, token_len);
	if (ok && token_len != 64)
		abort();

	/* The password text as the config gives it: a NUL-terminated string. */
	bool has;
	if (auth_parse_password((const char *)pwz, stage2, &has) == 0 && has)
		(void)auth_native_verify(scramble, token, token_len, stage2, has);
	if (auth_ed25519_parse_key((const char *)pwz, parsed) == 0)
		(void)auth_ed25519_verify(parsed, nonce, nonce_len, token, token_len);
	if (pwz[0] != '*')
		check_roundtrip((const char *)pwz, scramble, nonce, nonce_len);

	free(token);
	free(nonce);
	free(pw);
	free(t);
	free(no);
	free(pwz);
	return 0;
}
