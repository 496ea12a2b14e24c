/* stmt: prepared statements across pooled backends (binary protocol).
 *
 * A client's statements get mypool's own ids and keep what is needed to run them anywhere: the
 * SQL text, the database it was prepared in and the parameter types last bound. Each backend keeps a bounded cache of the statements prepared on it, keyed by
 * SQL text; a statement is prepared lazily on whichever backend runs it, and the least recently
 * used one is closed on the server when the cache is full. Pure data structures: no I/O. */
#ifndef MYPOOL_STMT_H
#define MYPOOL_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct stmt {
	struct stmt *next;
	uint32_t id;          /* the id the client knows */
	char *schema;         /* the client's database when it prepared it (NULL: none): the server
	                         binds unqualified names to it, so it is prepared there anywhere */
	char *sql;
	size_t sql_len;
	uint16_t nparams, ncols;
	uint8_t *types;       /* 2 * nparams bytes: the types last bound (NULL: none yet) */
	bool long_data;       /* COM_STMT_SEND_LONG_DATA sent since the last execute */
	bool cursor;          /* a cursor is open on the backend */
	bool kill;            /* a KILL statement: prepared by mypool, never on a server */
};

struct stmt_table {
	struct stmt *head;
	uint32_t next_id;
	size_t n;
};

void stmt_table_init(struct stmt_table *t);
void stmt_table_clear(struct stmt_table *t);
/* A new statement with the next id (NULL if out of memory); sql is copied. */
struct stmt *stmt_add(struct stmt_table *t, const char *sql, size_t sql_len, uint16_t nparams, uint16_t ncols);
struct stmt *stmt_find(const struct stmt_table *t, uint32_t id);
void stmt_remove(struct stmt_table *t, uint32_t id);
/* Remember the parameter types of an execute (2 * nparams bytes). 0, or -1 out of memory. */
int stmt_set_types(struct stmt *s, const uint8_t *types);
/* The memory the table's statements keep for the client (SQL text, types): what
 * max_prepared_statement_bytes bounds. */
size_t stmt_table_bytes(const struct stmt_table *t);

/* The statements prepared on one backend, by key: the SQL text and everything that changes what
 * the server made of it (see prepared.c: the database it was prepared in, sql_mode, the
 * character set), so clients share an entry only when the server would have prepared the same. */
struct stmt_cache_entry {
	char *sql;     /* the key */
	size_t sql_len;
	uint32_t id;    /* the server's statement id */
	uint64_t used;  /* LRU tick */
	unsigned holds; /* an open cursor or pending long data: never evicted */
	struct buf cols; /* the column definitions the server last sent for it (packets as it sent
	                    them): what it means when MariaDB's metadata cache skips them */
};

struct stmt_cache {
	struct stmt_cache_entry *v;
	size_t n, cap, max;
	size_t bytes, max_bytes; /* of the keys and column definitions; max_bytes 0 = no budget */
	uint64_t tick;
};

void stmt_cache_init(struct stmt_cache *c, size_t max, size_t max_bytes);
void stmt_cache_clear(struct stmt_cache *c); /* the server forgot them (reset) */
void stmt_cache_free(struct stmt_cache *c);
/* The server id of this SQL on the backend, or 0 (marks it used). */
uint32_t stmt_cache_get(struct stmt_cache *c, const char *sql, size_t len);
/* Add sql -> id. If the cache is full the least recently used entry not held is dropped and its server
 * id returned in *evicted (to be closed on the server); *evicted is 0 otherwise. If sql was
 * there already with another id, that id is returned in *evicted. 0, or -1 out of memory. */
int stmt_cache_put(struct stmt_cache *c, const char *sql, size_t len, uint32_t id, uint32_t *evicted);
/* Keep (delta +1) or let go (-1) of the entry with this server id. */
void stmt_cache_hold(struct stmt_cache *c, uint32_t id, int delta);
/* The column definitions the server last sent for statement id (NULL if there is no such
 * entry); stmt_cache_set_cols replaces them with cols (which it takes over, leaving it empty). */
const struct buf *stmt_cache_cols(const struct stmt_cache *c, uint32_t id);
void stmt_cache_set_cols(struct stmt_cache *c, uint32_t id, struct buf *cols);
/* While the keys take more than max_bytes: drop the least recently used entry not held and
 * return its server id (to be closed on the server); 0 when within budget (or all are held). */
uint32_t stmt_cache_trim(struct stmt_cache *c);

#endif
