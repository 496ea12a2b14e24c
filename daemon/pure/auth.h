/* auth: password hashing and verification for the client side of mypool (pure, no I/O).
 *
 * mysql_native_password: the server keeps stage2 = SHA1(SHA1(pw)) (the "*HEX" of mysql.user); the
 * client sends token = SHA1(pw) XOR SHA1(scramble || stage2); the server recovers
 * stage1 = token XOR SHA1(scramble || stage2) and accepts when SHA1(stage1) == stage2.
 * caching_sha2_password: the client sends SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || scramble);
 * with sha2_stage2 = SHA256(SHA256(pw)) known the server checks it the same way (fast path).
 * ed25519 (MariaDB's): the server keeps a public key A; the client derives the key pair from
 * SHA512(pw) and signs a 32-byte nonce; the signature is a standard Ed25519 one, so OpenSSL
 * checks it against A. (Not A from a password: MariaDB derives the key from the password
 * itself, not from a 32-byte seed, which OpenSSL cannot do.) */
#ifndef MYPOOL_AUTH_H
#define MYPOOL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_SCRAMBLE_LEN 20

/* Fill a 20-byte scramble from the kernel's random source; bytes are printable ASCII 33..126
 * (never NUL, as clients expect). Returns 0, or -1 if no randomness is available. */
int auth_scramble(uint8_t out[AUTH_SCRAMBLE_LEN]);

/* Config value -> stage2. "*" followed by 40 hex digits (either case) is a stored hash; anything
 * else is a plain password. An empty string means "no password" (*has_password = false). Returns
 * 0, or -1 for a malformed hash ("*" with other than 40 hex digits). Consequence: a plain password
 * that starts with '*' cannot be configured as such; configure its "*HEX" hash instead
 * (SELECT PASSWORD('..')). On -1, stage2 is zeroed and *has_password is false. */
int auth_parse_password(const char *value, uint8_t stage2[20], bool *has_password);
void auth_native_stage2(const char *pw, size_t n, uint8_t stage2[20]);
/* The client's side: the 20-byte token for pw and scramble (for tests and the client library). */
void auth_native_token(const char *pw, size_t n, const uint8_t scramble[20], uint8_t token[20]);
/* Verify a client's token. With no password, only an empty token is accepted; with one, the token
 * must be exactly 20 bytes. (An empty password is sent as an empty token, not as a token of "".) */
bool auth_native_verify(const uint8_t scramble[20], const uint8_t *token, size_t token_len,
			const uint8_t stage2[20], bool has_password);

/* caching_sha2_password. */
void auth_sha2_stage2(const char *pw, size_t n, uint8_t out[32]);
void auth_sha2_token(const char *pw, size_t n, const uint8_t *nonce, size_t nonce_len, uint8_t token[32]);
/* token_len must be 32 and nonce_len 20 or 21 (PyMySQL 1.0.2 hashes the NUL after the switch
 * data): pass the nonce exactly as tried; a caller that accepts both lengths calls this twice. */
bool auth_sha2_verify(const uint8_t *nonce, size_t nonce_len, const uint8_t *token, size_t token_len,
		      const uint8_t sha2_stage2[32]);
/* ed25519. The public key as MariaDB stores it (mysql.global_priv, SHOW CREATE USER): 43
 * characters of base64 without padding. Returns 0, or -1 if s is not that. */
#define AUTH_ED25519_NONCE_LEN 32
int auth_ed25519_parse_key(const char *s, uint8_t key[32]);
/* n random bytes from the kernel (a nonce). Returns 0, or -1. */
int auth_random(uint8_t *out, size_t n);
/* The 64-byte signature of the nonce, checked against the public key. */
bool auth_ed25519_verify(const uint8_t key[32], const uint8_t *nonce, size_t nonce_len, const uint8_t *sig,
			 size_t sig_len);

/* Full authentication: the cleartext password sent by the client, checked against stage2. One
 * trailing NUL (as sent by caching_sha2 full auth and mysql_clear_password) is ignored. */
bool auth_cleartext_verify(const uint8_t *pw, size_t n, const uint8_t stage2[20], bool has_password);

/* caching_sha2_password's fast path needs SHA256(SHA256(password)) of a user: `given` when
 * [users] has it (a plain password there; NULL if not), or learnt by auth_sha2_learn at a full
 * authentication (the password checked against the native hash `native`) and kept per process
 * while the user's native hash is unchanged. */
bool auth_sha2_known(const char *user, const uint8_t native[20], const uint8_t *given, uint8_t out[32]);
void auth_sha2_learn(const char *user, const uint8_t native[20], const uint8_t *password, size_t len);

#endif
