/* hold: the transaction-pooling rule in one place. After each command, does the client still
 * need its server connection (keep, and why), or may the connection go back to the pool, and
 * must it then be reset before anyone else gets it? The answer comes from what the responses
 * said (status flags, the session trackers, warnings) and what the scanner found in the
 * statements, all kept in a struct hold that the session owns; whoever decides where a client's
 * next statement runs asks hold_why(). The reasons are the rows of the "kept while" and
 * "pinned" tables of docs/architecture.md. Pure: no I/O. */
#ifndef MYPOOL_HOLD_H
#define MYPOOL_HOLD_H

#include <stdbool.h>
#include <stdint.h>

/* Session state that cannot be moved to another connection: the client keeps its connection
 * until COM_RESET_CONNECTION, COM_CHANGE_USER or disconnect (transaction pooling). */
enum pin_reason {
	PIN_USER_VAR,      /* user variables that cannot be carried */
	PIN_TEMP_TABLE,    /* temporary tables */
	PIN_LOCK,          /* GET_LOCK() named locks */
	PIN_CONNECTION_ID, /* CONNECTION_ID() was read where the account may not set it */
	PIN_PREPARE,       /* SQL PREPARE */
	PIN_TABLE_LOCK,    /* LOCK TABLES, FLUSH TABLES WITH READ LOCK, HANDLER, BACKUP LOCK */
	PIN_STATE,         /* a state change the trackers report but cannot describe */
	PIN_COUNT
};
const char *pin_reason_name(enum pin_reason r);

/* Why a client keeps its server connection now, first match in this order. */
enum hold_reason {
	HOLD_NONE,                /* it may go back to the pool */
	HOLD_SESSION_POOLING,     /* pool_mode = session: for the whole session */
	HOLD_PINNED,              /* a pin (enum pin_reason) */
	HOLD_TRANSACTION,         /* a transaction is open: SERVER_STATUS_IN_TRANS (also XA) */
	HOLD_TABLE_LOCKS,         /* LOCK TABLES: the transaction state tracker's 'L' */
	HOLD_TRX_CHARACTERISTICS, /* SET TRANSACTION waits for the next transaction */
	HOLD_CURSOR,              /* an open binary-protocol cursor, or long data sent */
	/* For one more command only: */
	HOLD_DIAGNOSTICS,         /* warnings or an error, for SHOW WARNINGS and the like */
	HOLD_FOUND_ROWS,          /* SQL_CALC_FOUND_ROWS, for FOUND_ROWS() */
	HOLD_STATE_DETAILS,       /* an EOF flagged a state change whose details come with the next OK */
	HOLD_REASONS
};
const char *hold_reason_name(enum hold_reason r);

struct hold {
	bool per_session;   /* session pooling */
	unsigned pins;      /* 1 << enum pin_reason */
	unsigned next;      /* 1 << enum hold_reason: reasons for the next command only */
	uint16_t status;    /* server status of the last response */
	bool locked;        /* LOCK TABLES in effect */
	bool trx_chars;     /* SET TRANSACTION characteristics wait for the next transaction */
	bool cursors;       /* binary-protocol cursors or long data on the server */
};

void hold_init(struct hold *h, bool per_session);
/* The client's session starts over (COM_RESET_CONNECTION, COM_CHANGE_USER): nothing holds. */
void hold_forget(struct hold *h);
/* A command begins: the reasons that were for it end. */
void hold_command(struct hold *h);
/* Pin for r; true if it is a new pin (to be counted and logged). Never in session pooling. */
bool hold_pin(struct hold *h, enum pin_reason r);
/* For the next command too (HOLD_DIAGNOSTICS, HOLD_FOUND_ROWS, HOLD_STATE_DETAILS). */
void hold_next(struct hold *h, enum hold_reason r);

/* What a response said: its status flags (an OK's or an EOF's; from an EOF, `eof` true: a state
 * change it flags is described only by the next OK). */
void hold_status(struct hold *h, uint16_t status, bool eof);
/* The response was an ERR, which carries no status: with autocommit off the failed statement
 * may have begun a transaction (InnoDB does when it opens a table, and its metadata locks last
 * until the transaction ends), so one is taken to be open until a response says. */
void hold_error(struct hold *h);
/* The transaction state tracker's value (its 8th character is 'L' under LOCK TABLES) and the
 * transaction characteristics tracker's (non-empty: SET TRANSACTION waits). */
void hold_trx_state(struct hold *h, const char *state, unsigned len);
void hold_trx_characteristics(struct hold *h, unsigned len);

/* Why the client keeps its connection now (HOLD_NONE: release it). */
enum hold_reason hold_why(const struct hold *h);
/* Whether the connection carries state of the client that mypool does not move to another one
 * (session pooling, pins, a transaction, LOCK TABLES, SET TRANSACTION, cursors): if it is lost,
 * the client's session is lost with it; if the client gives it up, it is reset first. */
bool hold_state_on_connection(const struct hold *h);

#endif
