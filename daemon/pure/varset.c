/* varset: session variables and the SET that restores them (see varset.h). */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "varset.h"

void varset_init(struct varset *vs) { memset(vs, 0, sizeof(*vs)); }

void varset_clear(struct varset *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	vs->n = 0;
}

void varset_free(struct varset *vs)
{
	varset_clear(vs);
	free(vs->v);
	varset_init(vs);
}

static struct var *find(const struct varset *vs, const char *name, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == len && strncasecmp(vs->v[i].name, name, len) == 0)
			return &vs->v[i];
	return NULL;
}

int varset_set(struct varset *vs, const char *name, size_t name_len, const char *value, size_t value_len)
{
	if (!varset_name_ok(name, name_len))
		return -1;
	char *val = strndup(value, value_len);
	if (!val)
		return -1;
	struct var *v = find(vs, name, name_len);
	if (v) {
		free(v->value);
		v->value = val;
		return 0;
	}
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 8;
		struct var *nv = realloc(vs->v, cap * sizeof(*nv));
		if (!nv) {
			free(val);
			return -1;
		}
		vs->v = nv;
		vs->cap = cap;
	}
	char *nm = strndup(name, name_len);
	if (!nm) {
		free(val);
		return -1;
	}
	for (char *p = nm; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	vs->v[vs->n].name = nm;
	vs->v[vs->n].value = val;
	vs->n++;
	return 0;
}

const char *varset_get(const struct varset *vs, const char *name)
{
	struct var *v = find(vs, name, strlen(name));
	return v ? v->value : NULL;
}

int varset_copy(struct varset *dst, const struct varset *src)
{
	varset_clear(dst);
	for (size_t i = 0; i < src->n; i++)
		if (varset_set(dst, src->v[i].name, strlen(src->v[i].name), src->v[i].value, strlen(src->v[i].value)) != 0)
			return -1;
	return 0;
}

bool varset_equal(const struct varset *a, const struct varset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *v = varset_get(b, a->v[i].name);
		if (!v || strcmp(v, a->v[i].value) != 0)
			return false;
	}
	return true;
}

static bool is_number(const char *s)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == 0;
}

bool varset_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > VARSET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

void varset_put_literal(struct buf *sql, const char *value)
{
	if (is_number(value)) {
		buf_put(sql, value, strlen(value));
		return;
	}
	/* A hex literal: the statement holds no byte of the value, so nothing in it can end the
	 * literal whatever character set the server reads the statement in (a quoted string with
	 * escapes can: in GBK, Big5, SJIS, CP932 or GB18030 a character's second byte may be the
	 * backslash). The _binary introducer gives the variable exactly the bytes the server's
	 * tracker reported. */
	static const char hex[] = "0123456789abcdef";
	buf_put(sql, "_binary X'", 10);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		buf_put_u8(sql, (uint8_t)hex[*p >> 4]);
		buf_put_u8(sql, (uint8_t)hex[*p & 15]);
	}
	buf_put_u8(sql, '\'');
}

static void put_assign(struct buf *sql, size_t *count, const char *name, const char *value)
{
	if (*count)
		buf_put(sql, ", ", 2);
	buf_put(sql, "@@session.", 10);
	buf_put(sql, name, strlen(name));
	buf_put_u8(sql, '=');
	if (value && !*value && strncmp(name, "character_set_", 14) == 0)
		buf_put(sql, "NULL", 4); /* the tracker reports NULL (character_set_results) as "" */
	else if (value)
		varset_put_literal(sql, value);
	else
		buf_put(sql, "DEFAULT", 7);
	(*count)++;
}

static void put_user(struct buf *sql, size_t *count, const char *name, const char *literal)
{
	if (*count)
		buf_put(sql, ", ", 2);
	buf_put_u8(sql, '@');
	buf_put(sql, name, strlen(name));
	buf_put_u8(sql, '=');
	buf_put(sql, literal, strlen(literal));
	(*count)++;
}

size_t varset_diff_user_sql(const struct varset *have, const struct varset *want, struct buf *sql)
{
	size_t count = 0;
	for (size_t i = 0; i < want->n; i++) {
		const char *cur = varset_get(have, want->v[i].name);
		if (!cur || strcmp(cur, want->v[i].value) != 0)
			put_user(sql, &count, want->v[i].name, want->v[i].value);
	}
	return count;
}

size_t varset_diff_sql(const struct varset *have, const struct varset *want, struct buf *sql)
{
	size_t count = 0;
	/* character_set_x first: setting one resets the matching collation_x to its default,
	 * so a collation set after it must come later in the statement. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < want->n; i++) {
			bool cs = strncmp(want->v[i].name, "character_set_", 14) == 0;
			if (cs != (pass == 0))
				continue;
			const char *cur = varset_get(have, want->v[i].name);
			if (!cur || strcmp(cur, want->v[i].value) != 0)
				put_assign(sql, &count, want->v[i].name, want->v[i].value);
		}
	}
	for (size_t i = 0; i < have->n; i++)
		if (!varset_get(want, have->v[i].name))
			put_assign(sql, &count, have->v[i].name, NULL);
	return count;
}

static bool only(const char *v, const char *chars)
{
	return *v && v[strspn(v, chars)] == 0;
}

/* The SQL literal that gives a user variable this value back, type and character set included;
 * false if the value is not what its kind says. */
bool varset_user_literal(struct buf *out, enum value_kind kind, const char *v, const char *hex, const char *cs,
			 const char *coll)
{
	switch (kind) {
	case VK_NULL:
		buf_put(out, "NULL", 4);
		return true;
	case VK_INT:
	case VK_UINT:
	case VK_DECIMAL:
		if (!only(v, "-0123456789."))
			return false;
		buf_put(out, v, strlen(v));
		return true;
	case VK_DOUBLE:
		if (!only(v, "-+0123456789.eE"))
			return false;
		buf_put(out, v, strlen(v));
		if (!strpbrk(v, "eE"))
			buf_put(out, "e0", 2); /* a double, not a decimal */
		return true;
	case VK_STRING:
		if (!hex || !cs || !coll || (*hex && !only(hex, "0123456789ABCDEF")) ||
		    !varset_name_ok(cs, strlen(cs)) || !varset_name_ok(coll, strlen(coll)))
			return false;
		buf_put_u8(out, '_');
		buf_put(out, cs, strlen(cs));
		buf_put(out, " X'", 3);
		buf_put(out, hex, strlen(hex));
		buf_put_u8(out, '\'');
		if (strcmp(cs, "binary") != 0) {
			buf_put(out, " COLLATE ", 9);
			buf_put(out, coll, strlen(coll));
		}
		return true;
	}
	return false;
}
