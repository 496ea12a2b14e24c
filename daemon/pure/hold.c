/* hold: the transaction-pooling rule (see hold.h). */
#include "autoconfig.h"

#include <string.h>

#include "hold.h"
#include "proto.h"

static const char *const pin_names[PIN_COUNT] = {
	[PIN_USER_VAR] = "user variable",
	[PIN_TEMP_TABLE] = "temporary table",
	[PIN_LOCK] = "named lock",
	[PIN_CONNECTION_ID] = "connection id",
	[PIN_PREPARE] = "SQL prepared statement",
	[PIN_TABLE_LOCK] = "table lock",
	[PIN_STATE] = "untracked session state",
};

static const char *const hold_names[HOLD_REASONS] = {
	[HOLD_NONE] = "",
	[HOLD_SESSION_POOLING] = "session pooling",
	[HOLD_PINNED] = "pinned",
	[HOLD_TRANSACTION] = "transaction",
	[HOLD_TABLE_LOCKS] = "LOCK TABLES",
	[HOLD_TRX_CHARACTERISTICS] = "SET TRANSACTION",
	[HOLD_CURSOR] = "cursor",
	[HOLD_DIAGNOSTICS] = "warnings",
	[HOLD_FOUND_ROWS] = "FOUND_ROWS",
	[HOLD_STATE_DETAILS] = "state change",
};

_Static_assert(PIN_COUNT <= 32 && HOLD_REASONS <= 32, "reasons are bits of an unsigned");

const char *pin_reason_name(enum pin_reason r) { return r < PIN_COUNT && pin_names[r] ? pin_names[r] : "?"; }

const char *hold_reason_name(enum hold_reason r)
{
	return r < HOLD_REASONS && hold_names[r] ? hold_names[r] : "?";
}

void hold_init(struct hold *h, bool per_session)
{
	memset(h, 0, sizeof(*h));
	h->per_session = per_session;
	h->status = STATUS_AUTOCOMMIT;
}

void hold_forget(struct hold *h) { hold_init(h, h->per_session); }

void hold_command(struct hold *h) { h->next = 0; }

bool hold_pin(struct hold *h, enum pin_reason r)
{
	if (h->per_session || (h->pins & (1u << r)))
		return false;
	h->pins |= 1u << r;
	return true;
}

void hold_next(struct hold *h, enum hold_reason r) { h->next |= 1u << r; }

void hold_status(struct hold *h, uint16_t status, bool eof)
{
	h->status = status;
	if (eof && (status & STATUS_SESSION_STATE_CHANGED))
		hold_next(h, HOLD_STATE_DETAILS);
}

void hold_error(struct hold *h)
{
	if (!(h->status & STATUS_AUTOCOMMIT))
		h->status |= STATUS_IN_TRANS;
}

void hold_trx_state(struct hold *h, const char *state, unsigned len) { h->locked = len >= 8 && state[7] == 'L'; }

void hold_trx_characteristics(struct hold *h, unsigned len) { h->trx_chars = len > 0; }

enum hold_reason hold_why(const struct hold *h)
{
	if (h->per_session)
		return HOLD_SESSION_POOLING;
	if (h->pins)
		return HOLD_PINNED;
	if (h->status & STATUS_IN_TRANS)
		return HOLD_TRANSACTION;
	if (h->locked)
		return HOLD_TABLE_LOCKS;
	if (h->trx_chars)
		return HOLD_TRX_CHARACTERISTICS;
	if (h->cursors)
		return HOLD_CURSOR;
	for (int r = HOLD_DIAGNOSTICS; r < HOLD_REASONS; r++)
		if (h->next & (1u << r))
			return (enum hold_reason)r;
	return HOLD_NONE;
}

bool hold_state_on_connection(const struct hold *h)
{
	enum hold_reason r = hold_why(h);
	return r != HOLD_NONE && r < HOLD_DIAGNOSTICS;
}
