/* fuzz_handshake: what a client sends before it is authenticated.
 *
 * Input: one byte of capability bits for COM_CHANGE_USER (the client's effective caps, which the
 * change-user packet itself does not carry), then the packet. The rest is parsed both as a
 * HandshakeResponse41 (its caps are in the packet) and as a COM_CHANGE_USER payload. Every
 * pointer a successful parse returns must lie inside the input and is read in full. */
#include "autoconfig.h"

#include "fuzz.h"
#include "proto.h"

/* Bit i of the first input byte turns on change_user_caps[i]. */
static const uint64_t change_user_caps[8] = {
	CAP_SECURE_CONNECTION, CAP_PLUGIN_AUTH, CAP_CONNECT_ATTRS, CAP_PLUGIN_AUTH_LENENC_DATA,
	CAP_CONNECT_WITH_DB, CAP_LONG_PASSWORD, CAP_SESSION_TRACK, MARIADB_CAP_EXTENDED_METADATA,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint64_t caps = CAP_PROTOCOL_41;
	for (int i = 0; i < 8; i++)
		if (data[0] & 1u << i)
			caps |= change_user_caps[i];
	const uint8_t *p = data + 1;
	size_t n = size - 1;

	struct proto_handshake_response r;
	int rc = proto_parse_handshake_response(p, n, &r);
	if (rc == 0) {
		if (!(r.caps & CAP_PROTOCOL_41))
			abort();
		fuzz_inside(p, n, r.user, r.user_len);
		fuzz_inside(p, n, r.auth, r.auth_len);
		fuzz_inside(p, n, r.db, r.db_len);
		fuzz_inside(p, n, r.plugin, r.plugin_len);
		fuzz_inside(p, n, r.attrs, r.attrs_len);
		if (!r.user || !r.auth)
			abort(); /* user and auth are never optional */
	} else if (rc == -2) {
		if (n != 32)
			abort(); /* an SSLRequest is exactly the fixed part */
	} else if (rc != -1 || r.user || r.caps) {
		abort(); /* failure zeroes the result */
	}

	struct proto_change_user cu;
	rc = proto_parse_change_user(p, n, caps, &cu);
	if (rc == 0) {
		fuzz_inside(p, n, cu.user, cu.user_len);
		fuzz_inside(p, n, cu.auth, cu.auth_len);
		fuzz_inside(p, n, cu.db, cu.db_len);
		fuzz_inside(p, n, cu.plugin, cu.plugin_len);
		fuzz_inside(p, n, cu.attrs, cu.attrs_len);
		if (!cu.user || !cu.auth || !cu.db)
			abort();
	} else if (rc != -1 || cu.user || cu.has_charset) {
		abort();
	}
	return 0;
}
