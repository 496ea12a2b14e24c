/* sqlscan: lexical checks for untracked session state (see sqlscan.h). */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sqlscan.h"

static bool ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static bool word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Skip a quoted string or identifier starting at s[i] (the quote); returns the index after it. */
static size_t skip_quoted(const char *s, size_t len, size_t i)
{
	char q = s[i++];
	while (i < len) {
		if (s[i] == '\\' && q != '`') {
			i += 2;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) { /* doubled quote */
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	return len;
}

/* Per-statement state (reset at each ';'). */
struct stmt {
	int nwords;        /* keywords seen so far in this statement */
	bool first_set;    /* the statement starts with SET */
	bool first_create, first_drop, first_flush, first_lock, first_handler, first_backup, first_load;
	bool first_show, first_get, first_call, first_begin;
	bool seen_into;
	bool seen_set;     /* a SET so far (also inside BEGIN NOT ATOMIC ... or after UPDATE: a
	                      false @@name = ... is only one value read back for nothing) */
};

/* Where sqlscan_untracked_vars collects names (NULL: only the flags are wanted). */
struct names {
	char (*v)[SQLSCAN_NAME_MAX + 1];
	int n, max;
	bool overflow;
};

static void add_name(struct names *nm, const char *name, size_t n)
{
	bool plain = n > 0 && n <= SQLSCAN_NAME_MAX;
	for (size_t i = 0; plain && i < n; i++)
		plain = isalnum((unsigned char)name[i]) || name[i] == '_';
	if (!plain || nm->n == nm->max) {
		nm->overflow = true;
		return;
	}
	memcpy(nm->v[nm->n], name, n);
	nm->v[nm->n++][n] = 0;
}

/* Whether s[i..] is, after blanks, an assignment, `=` or `:=`: the index after it, else 0. */
static size_t assigns(const char *s, size_t len, size_t i)
{
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (i < len && s[i] == '=')
		return i + 1;
	return i + 1 < len && s[i] == ':' && s[i + 1] == '=' ? i + 2 : 0;
}

static unsigned scan(const char *s, size_t len, struct names *nm, struct names *users)
{
	unsigned flags = 0;
	struct stmt st;
	memset(&st, 0, sizeof(st));
	size_t i = 0;
	bool after_semicolon = false;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (after_semicolon && !(flags & SQL_MULTI) && !isspace(c) && c != ';' && c != '#' &&
		    !(c == '-' && i + 1 < len && s[i + 1] == '-') &&
		    !(c == '/' && i + 2 < len && s[i + 1] == '*' && s[i + 2] != '!'))
			flags |= SQL_MULTI; /* something after a ';' other than blanks and comments */
		if (c == '\'' || c == '"' || c == '`') {
			i = skip_quoted(s, len, i);
			continue;
		}
		if (c == '#' || (c == '-' && i + 2 < len && s[i + 1] == '-' && isspace((unsigned char)s[i + 2]))) {
			while (i < len && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			if (i + 2 < len && s[i + 2] == '!') {
				/* Executable comment: its content is code. Skip the version digits. */
				i += 3;
				while (i < len && isdigit((unsigned char)s[i]))
					i++;
				continue;
			}
			const char *end = NULL;
			for (size_t j = i + 2; j + 1 < len; j++) {
				if (s[j] == '*' && s[j + 1] == '/') {
					end = s + j;
					break;
				}
			}
			i = end ? (size_t)(end - s) + 2 : len;
			continue;
		}
		if (c == '*' && i + 1 < len && s[i + 1] == '/') { /* end of an executable comment */
			i += 2;
			continue;
		}
		if (c == ';') {
			memset(&st, 0, sizeof(st));
			after_semicolon = true;
			i++;
			continue;
		}
		if (c == ':' && i + 1 < len && s[i + 1] == '=') {
			/* `x := ...` assigns; only user variables can be assigned this way outside
			 * stored programs (`@v :=` is read with its name, below). */
			flags |= SQL_USER_VAR;
			if (users)
				users->overflow = true;
			i += 2;
			continue;
		}
		if (c == '@') {
			if (i + 1 < len && s[i + 1] == '@') { /* @@system_variable */
				i += 2;
				size_t start = i;
				while (i < len && (ident_char((unsigned char)s[i]) || s[i] == '.'))
					i++;
				/* @@last_insert_id and @@identity are LAST_INSERT_ID() by other names. */
				const char *name = s + start;
				size_t n = i - start;
				const char *dot = memchr(name, '.', n);
				if (dot) {
					if (st.seen_set && word_is(name, (size_t)(dot - name), "global") && assigns(s, len, i))
						flags |= SQL_SET_GLOBAL;
					n -= (size_t)(dot + 1 - name);
					name = dot + 1;
				} else if (st.seen_set && assigns(s, len, i)) {
					flags |= SQL_SYSVAR_UNTRACKED;
					if (nm)
						add_name(nm, name, n);
					i = assigns(s, len, i); /* a `:=` here sets no user variable */
				}
				if (word_is(name, n, "last_insert_id") || word_is(name, n, "identity"))
					flags |= SQL_LAST_INSERT_ID;
				if (word_is(name, n, "warning_count") || word_is(name, n, "error_count"))
					flags |= SQL_DIAGNOSTICS;
				continue;
			}
			/* A user variable: an assignment when the statement is SET or GET DIAGNOSTICS,
			 * after INTO, or before `:=`. */
			i++;
			size_t start = i;
			bool quoted = i < len && (s[i] == '\'' || s[i] == '"' || s[i] == '`');
			if (quoted)
				i = skip_quoted(s, len, i);
			while (i < len && ident_char((unsigned char)s[i]))
				i++;
			size_t after = assigns(s, len, i);
			bool walrus = after >= 2 && s[after - 1] == '=' && s[after - 2] == ':';
			if (st.first_set || st.first_get || st.first_call || st.seen_into || walrus) {
				flags |= SQL_USER_VAR;
				if (users && (quoted || (i < len && s[i] == '.')))
					users->overflow = true; /* @`x`, @'x', @a.b: not a plain name */
				else if (users)
					add_name(users, s + start, i - start);
			}
			if (walrus)
				i = after;
			continue;
		}
		if (ident_char(c) && !isdigit(c)) {
			size_t start = i;
			while (i < len && ident_char((unsigned char)s[i]))
				i++;
			const char *w = s + start;
			size_t n = i - start;
			if (st.nwords == 0) {
				st.first_set = word_is(w, n, "SET");
				st.first_create = word_is(w, n, "CREATE");
				st.first_drop = word_is(w, n, "DROP");
				st.first_flush = word_is(w, n, "FLUSH");
				st.first_lock = word_is(w, n, "LOCK");
				st.first_handler = word_is(w, n, "HANDLER");
				st.first_backup = word_is(w, n, "BACKUP");
				st.first_load = word_is(w, n, "LOAD");
				st.first_show = word_is(w, n, "SHOW");
				st.first_get = word_is(w, n, "GET");
				st.first_call = word_is(w, n, "CALL"); /* CALL p(@out): OUT and INOUT */
				st.first_begin = word_is(w, n, "BEGIN");
				if (st.first_call || word_is(w, n, "IF") || word_is(w, n, "CASE") || word_is(w, n, "LOOP") ||
				    word_is(w, n, "WHILE") || word_is(w, n, "REPEAT") || word_is(w, n, "FOR"))
					flags |= SQL_PROGRAM;
				if (st.first_load || word_is(w, n, "INSERT") || word_is(w, n, "REPLACE"))
					flags |= SQL_INSERT;
				if (word_is(w, n, "PREPARE") || word_is(w, n, "EXECUTE") || word_is(w, n, "DEALLOCATE"))
					flags |= SQL_PREPARE;
			} else if (st.nwords == 1 && st.first_begin && word_is(w, n, "NOT")) {
				flags |= SQL_PROGRAM; /* BEGIN NOT ATOMIC; BEGIN alone starts a transaction */
			}
			st.nwords++;
			size_t next = i;
			while (next < len && isspace((unsigned char)s[next]))
				next++;
			if ((next < len && s[next] == '(') || word_is(w, n, "CALL"))
				flags |= SQL_CALLS;
			if (word_is(w, n, "SET"))
				st.seen_set = true;
			else if (st.seen_set && word_is(w, n, "GLOBAL"))
				flags |= SQL_SET_GLOBAL;
			if (word_is(w, n, "INTO"))
				st.seen_into = true;
			else if (word_is(w, n, "TEMPORARY") && (st.first_create || st.first_drop))
				flags |= SQL_TEMP_TABLE;
			else if (word_is(w, n, "GET_LOCK") || word_is(w, n, "RELEASE_LOCK") ||
				 word_is(w, n, "RELEASE_ALL_LOCKS"))
				flags |= SQL_GET_LOCK;
			else if (word_is(w, n, "CONNECTION_ID"))
				flags |= SQL_CONNECTION_ID;
			else if (word_is(w, n, "LAST_INSERT_ID")) {
				flags |= SQL_LAST_INSERT_ID;
				size_t j = i;
				while (j < len && isspace((unsigned char)s[j]))
					j++;
				if (j < len && s[j] == '(') {
					j++;
					while (j < len && isspace((unsigned char)s[j]))
						j++;
					if (j < len && s[j] != ')')
						flags |= SQL_SET_LAST_INSERT_ID;
				}
			}
			else if (word_is(w, n, "SQL_CALC_FOUND_ROWS"))
				flags |= SQL_CALC_FOUND_ROWS;
			if ((st.first_show && st.nwords <= 4 && (word_is(w, n, "WARNINGS") || word_is(w, n, "ERRORS"))) ||
			    (st.first_get && st.nwords <= 3 && word_is(w, n, "DIAGNOSTICS")))
				flags |= SQL_DIAGNOSTICS;
			if (st.first_load && st.nwords <= 4 && word_is(w, n, "LOCAL")) /* LOAD DATA [LOW_PRIORITY] LOCAL */
				flags |= SQL_LOAD_LOCAL;
			if ((st.first_lock && st.nwords == 2 && (word_is(w, n, "TABLES") || word_is(w, n, "TABLE"))) ||
			    (st.first_flush && word_is(w, n, "LOCK")) || (st.first_handler && st.nwords == 1) ||
			    (st.first_backup && word_is(w, n, "LOCK")))
				flags |= SQL_LOCKING;
			continue;
		}
		i++;
	}
	return flags;
}

unsigned sqlscan(const char *sql, size_t len) { return scan(sql, len, NULL, NULL); }

int sqlscan_untracked_vars(const char *sql, size_t len, char names[][SQLSCAN_NAME_MAX + 1], int max)
{
	struct names nm = { .v = names, .max = max };
	scan(sql, len, &nm, NULL);
	return nm.overflow ? -1 : nm.n;
}

int sqlscan_user_vars(const char *sql, size_t len, char names[][SQLSCAN_NAME_MAX + 1], int max)
{
	struct names nm = { .v = names, .max = max };
	scan(sql, len, NULL, &nm);
	return nm.overflow ? -1 : nm.n;
}

int sqlscan_words(const char *sql, size_t len, char words[][32], int max)
{
	int n = 0;
	size_t i = 0;
	for (;;) {
		while (i < len && (isspace((unsigned char)sql[i]) || sql[i] == ';'))
			i++;
		if (i == len)
			return n;
		if (n == max)
			return -1;
		size_t k = 0;
		while (i < len && !isspace((unsigned char)sql[i]) && sql[i] != ';') {
			if (k + 1 < 32)
				words[n][k++] = sql[i];
			i++;
		}
		words[n++][k] = 0;
	}
}

size_t sqlscan_mask_literals(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	if (outlen == 0)
		return 0;
	while (i < len && o + 1 < outlen) {
		char c = s[i];
		if (c == '\'' || c == '"') {
			if (o + 4 > outlen)
				break;
			out[o++] = c;
			out[o++] = '?';
			out[o++] = c;
			i = skip_quoted(s, len, i);
			continue;
		}
		if (c == '`') {
			/* A quoted identifier is kept as it is (a quote in it opens no literal). */
			size_t end = skip_quoted(s, len, i);
			while (i < end && o + 1 < outlen)
				out[o++] = s[i++];
			continue;
		}
		out[o++] = c;
		i++;
	}
	out[o] = 0;
	return i;
}

char *sqlscan_read_back_sql(const char *sql, size_t len, bool user)
{
	char names[SQLSCAN_READ_BACK_MAX][SQLSCAN_NAME_MAX + 1];
	int n = user ? sqlscan_user_vars(sql, len, names, SQLSCAN_READ_BACK_MAX)
		     : sqlscan_untracked_vars(sql, len, names, SQLSCAN_READ_BACK_MAX);
	char *q = n > 0 ? malloc(8 + (size_t)n * (4 * SQLSCAN_NAME_MAX + 40)) : NULL;
	if (!q)
		return NULL;
	char *e = stpcpy(q, "SELECT ");
	for (int i = 0; i < n; i++) {
		const char *v = names[i], *sep = i ? "," : "";
		e += user ? sprintf(e, "%s@%s,HEX(@%s),CHARSET(@%s),COLLATION(@%s)", sep, v, v, v, v)
			  : sprintf(e, "%s@@session.%s", sep, v);
	}
	return q;
}
