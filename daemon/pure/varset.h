/* varset: a set of session system variables (name -> value, as the server's session tracker
 * reports them), and the SET statement that turns one set into another.
 *
 * A client's varset is what it has changed since login (its wish); a backend's varset is what
 * has been changed on it since its connect or last reset (its state). Moving a backend from
 * `have` to `want` sets every variable of `want` that differs and puts every other variable of
 * `have` back to DEFAULT (the global value, which is what a fresh connection starts with).
 * Pure: no I/O. */
#ifndef MYPOOL_VARSET_H
#define MYPOOL_VARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct var {
	char *name;  /* lower case */
	char *value;
};

struct varset {
	struct var *v;
	size_t n, cap;
};

void varset_init(struct varset *vs);
void varset_free(struct varset *vs);
void varset_clear(struct varset *vs);
/* Set (or replace) name = value; the name is stored in lower case. 0, or -1 out of memory. */
int varset_set(struct varset *vs, const char *name, size_t name_len, const char *value, size_t value_len);
const char *varset_get(const struct varset *vs, const char *name);
int varset_copy(struct varset *dst, const struct varset *src);
bool varset_equal(const struct varset *a, const struct varset *b);

/* Append to `sql` the comma-separated assignments ("a=DEFAULT", "b='x'", "c=5") that take a
 * connection whose changed variables are `have` to `want`. Returns how many were appended. */
size_t varset_diff_sql(const struct varset *have, const struct varset *want, struct buf *sql);
/* The same for user variables, whose values are SQL literals already (session.c writes them):
 * "@name=literal" for each one of want that have lacks or has otherwise. (One that have has and
 * want lacks cannot be unset: session.c resets such a connection first.) */
size_t varset_diff_user_sql(const struct varset *have, const struct varset *want, struct buf *sql);
/* Append one value as an SQL literal: numbers bare, everything else as a hex literal
 * (`_binary X'..'`), which no character set can misread. */
void varset_put_literal(struct buf *sql, const char *value);
/* Whether a variable (or character set, collation) name may be written into SQL as it is:
 * 1..VARSET_NAME_MAX letters, digits and '_'. Names come from the server's trackers; anything
 * else is never written into a statement. */
#define VARSET_NAME_MAX 64
bool varset_name_ok(const char *s, size_t n);

/* What a value read back from the server is (backend_select_row). */
enum value_kind { VK_NULL, VK_INT, VK_UINT, VK_DECIMAL, VK_DOUBLE, VK_STRING };
/* Append the SQL literal that gives a user variable this value back, its type and character
 * set included: an integer or decimal as it is, a double with "e0", a string as
 * `_cs X'hex' COLLATE coll` (`_binary X'hex'`), or NULL. hex, cs and coll: HEX(@v), CHARSET(@v)
 * and COLLATION(@v), for strings. false if the value is not what its kind says. */
bool varset_user_literal(struct buf *out, enum value_kind kind, const char *v, const char *hex, const char *cs,
			 const char *coll);

#endif
