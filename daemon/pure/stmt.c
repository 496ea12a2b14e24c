/* stmt: prepared statements across pooled backends (see stmt.h). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "stmt.h"

void stmt_table_init(struct stmt_table *t)
{
	memset(t, 0, sizeof(*t));
	t->next_id = 1;
}

static void stmt_free(struct stmt *s)
{
	free(s->schema);
	free(s->sql);
	free(s->types);
	free(s);
}

void stmt_table_clear(struct stmt_table *t)
{
	struct stmt *s = t->head;
	while (s) {
		struct stmt *next = s->next;
		stmt_free(s);
		s = next;
	}
	t->head = NULL;
	t->n = 0;
}

struct stmt *stmt_add(struct stmt_table *t, const char *sql, size_t sql_len, uint16_t nparams, uint16_t ncols)
{
	struct stmt *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sql = malloc(sql_len + 1);
	if (!s->sql) {
		free(s);
		return NULL;
	}
	memcpy(s->sql, sql, sql_len);
	s->sql[sql_len] = 0;
	s->sql_len = sql_len;
	s->nparams = nparams;
	s->ncols = ncols;
	s->id = t->next_id++;
	if (t->next_id == 0)
		t->next_id = 1;
	s->next = t->head;
	t->head = s;
	t->n++;
	return s;
}

struct stmt *stmt_find(const struct stmt_table *t, uint32_t id)
{
	for (struct stmt *s = t->head; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

void stmt_remove(struct stmt_table *t, uint32_t id)
{
	for (struct stmt **pp = &t->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct stmt *s = *pp;
			*pp = s->next;
			stmt_free(s);
			t->n--;
			return;
		}
	}
}

int stmt_set_types(struct stmt *s, const uint8_t *types)
{
	if (!s->nparams)
		return 0;
	if (!s->types) {
		s->types = malloc(2u * s->nparams);
		if (!s->types)
			return -1;
	}
	memcpy(s->types, types, 2u * s->nparams);
	return 0;
}

size_t stmt_table_bytes(const struct stmt_table *t)
{
	size_t n = 0;
	for (const struct stmt *s = t->head; s; s = s->next)
		n += s->sql_len + (s->types ? 2u * s->nparams : 0);
	return n;
}

void stmt_cache_init(struct stmt_cache *c, size_t max, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max = max ? max : 1;
	c->max_bytes = max_bytes;
}

static void entry_free(struct stmt_cache_entry *e)
{
	free(e->sql);
	buf_free(&e->cols);
}

void stmt_cache_clear(struct stmt_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_free(&c->v[i]);
	c->n = 0;
	c->bytes = 0;
}

static struct stmt_cache_entry *by_id(const struct stmt_cache *c, uint32_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

const struct buf *stmt_cache_cols(const struct stmt_cache *c, uint32_t id)
{
	const struct stmt_cache_entry *e = by_id(c, id);
	return e ? &e->cols : NULL;
}

void stmt_cache_set_cols(struct stmt_cache *c, uint32_t id, struct buf *cols)
{
	struct stmt_cache_entry *e = by_id(c, id);
	if (!e)
		return;
	c->bytes = c->bytes - e->cols.len + cols->len;
	buf_free(&e->cols);
	e->cols = *cols;
	buf_init(cols, 0);
}

/* The least recently used entry not held, dropped; its server id, or 0 if all are held. */
static uint32_t evict_lru(struct stmt_cache *c)
{
	size_t lru = c->n;
	for (size_t i = 0; i < c->n; i++)
		if (!c->v[i].holds && (lru == c->n || c->v[i].used < c->v[lru].used))
			lru = i;
	if (lru == c->n)
		return 0;
	uint32_t id = c->v[lru].id;
	c->bytes -= c->v[lru].sql_len + c->v[lru].cols.len;
	entry_free(&c->v[lru]);
	c->v[lru] = c->v[--c->n];
	return id;
}

uint32_t stmt_cache_trim(struct stmt_cache *c)
{
	return c->max_bytes && c->bytes > c->max_bytes ? evict_lru(c) : 0;
}

void stmt_cache_free(struct stmt_cache *c)
{
	stmt_cache_clear(c);
	free(c->v);
	c->v = NULL;
	c->cap = 0;
}

static struct stmt_cache_entry *find(struct stmt_cache *c, const char *sql, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].sql_len == len && memcmp(c->v[i].sql, sql, len) == 0)
			return &c->v[i];
	return NULL;
}

uint32_t stmt_cache_get(struct stmt_cache *c, const char *sql, size_t len)
{
	struct stmt_cache_entry *e = find(c, sql, len);
	if (!e)
		return 0;
	e->used = ++c->tick;
	return e->id;
}

int stmt_cache_put(struct stmt_cache *c, const char *sql, size_t len, uint32_t id, uint32_t *evicted)
{
	*evicted = 0;
	struct stmt_cache_entry *e = find(c, sql, len);
	if (e) {
		if (e->id != id) {
			*evicted = e->id;
			c->bytes -= e->cols.len; /* another server statement: nothing sent for it yet */
			buf_reset(&e->cols);
		}
		e->id = id;
		e->used = ++c->tick;
		return 0;
	}
	if (c->n >= c->max)
		*evicted = evict_lru(c); /* all held: grow past max until they are let go */
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct stmt_cache_entry *nv = realloc(c->v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		c->v = nv;
		c->cap = cap;
	}
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, sql, len);
	c->v[c->n] = (struct stmt_cache_entry){ .sql = copy, .sql_len = len, .id = id, .used = ++c->tick };
	buf_init(&c->v[c->n++].cols, 0);
	c->bytes += len;
	return 0;
}

void stmt_cache_hold(struct stmt_cache *c, uint32_t id, int delta)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].id == id) {
			if (delta > 0)
				c->v[i].holds++;
			else if (c->v[i].holds)
				c->v[i].holds--;
			return;
		}
	}
}
