/* buf: growable byte buffer and bounds-checked reader (see buf.h). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void buf_init(struct buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->off = b->len = 0;
	b->failed = false;
}

void buf_compact(struct buf *b)
{
	if (b->off == 0)
		return;
	if (b->off < b->len)
		memmove(b->data, b->data + b->off, b->len - b->off);
	b->len -= b->off;
	b->off = 0;
}

uint8_t *buf_reserve(struct buf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->cap - b->len >= n)
		return b->data + b->len;
	if (b->off > 0 && b->cap - (b->len - b->off) >= n) {
		buf_compact(b);
		return b->data + b->len;
	}
	size_t need = b->len - b->off + n;
	if (need < n || (b->limit && need > b->limit)) {
		b->failed = true;
		return NULL;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap * 2 > cap ? cap * 2 : need;
	if (b->limit && cap > b->limit)
		cap = b->limit;
	buf_compact(b);
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return NULL;
	}
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n > b->len - b->off)
		n = b->len - b->off;
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *d = buf_reserve(b, n);
	if (!d)
		return;
	if (n)
		memcpy(d, p, n);
	b->len += n;
}

void buf_put_zeros(struct buf *b, size_t n)
{
	uint8_t *d = buf_reserve(b, n);
	if (!d)
		return;
	memset(d, 0, n);
	b->len += n;
}

void buf_put_u8(struct buf *b, uint8_t v) { buf_put(b, &v, 1); }

void buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	buf_put(b, x, 2);
}

void buf_put_u24(struct buf *b, uint32_t v)
{
	uint8_t x[3] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16) };
	buf_put(b, x, 3);
}

void buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	buf_put(b, x, 4);
}

void buf_put_u64(struct buf *b, uint64_t v)
{
	buf_put_u32(b, (uint32_t)v);
	buf_put_u32(b, (uint32_t)(v >> 32));
}

void buf_put_lenenc(struct buf *b, uint64_t v)
{
	if (v < 251) {
		buf_put_u8(b, (uint8_t)v);
	} else if (v < (1u << 16)) {
		buf_put_u8(b, 0xfc);
		buf_put_u16(b, (uint16_t)v);
	} else if (v < (1u << 24)) {
		buf_put_u8(b, 0xfd);
		buf_put_u24(b, (uint32_t)v);
	} else {
		buf_put_u8(b, 0xfe);
		buf_put_u64(b, v);
	}
}

void buf_put_lenenc_str(struct buf *b, const void *p, size_t n)
{
	buf_put_lenenc(b, n);
	buf_put(b, p, n);
}

void buf_put_cstr(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s) + 1);
}

const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	if (r->failed || (size_t)(r->end - r->p) < n) {
		r->failed = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	return p;
}

void rd_skip(struct rd *r, size_t n) { (void)rd_bytes(r, n); }

uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 1);
	return p ? p[0] : 0;
}

uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);
	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t rd_u24(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 3);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 : 0;
}

uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

uint64_t rd_u64(struct rd *r)
{
	uint64_t lo = rd_u32(r);
	uint64_t hi = rd_u32(r);
	return lo | hi << 32;
}

uint64_t rd_lenenc(struct rd *r, bool *is_null)
{
	if (is_null)
		*is_null = false;
	uint8_t c = rd_u8(r);
	switch (c) {
	case 0xfb:
		if (is_null)
			*is_null = true;
		return 0;
	case 0xfc:
		return rd_u16(r);
	case 0xfd:
		return rd_u24(r);
	case 0xfe:
		return rd_u64(r);
	case 0xff:
		r->failed = true;
		return 0;
	default:
		return c;
	}
}

const uint8_t *rd_lenenc_str(struct rd *r, size_t *n)
{
	bool is_null;
	uint64_t len = rd_lenenc(r, &is_null);
	if (r->failed || is_null || len > (uint64_t)(r->end - r->p)) {
		r->failed = true;
		*n = 0;
		return NULL;
	}
	*n = (size_t)len;
	return rd_bytes(r, (size_t)len);
}

const uint8_t *rd_cstr(struct rd *r, size_t *n)
{
	*n = 0;
	if (r->failed)
		return NULL;
	/* memchr() must not see the NULL pointer of an empty rd_make(NULL, 0). */
	const uint8_t *nul = r->p < r->end ? memchr(r->p, 0, (size_t)(r->end - r->p)) : NULL;
	if (!nul) {
		r->failed = true;
		return NULL;
	}
	const uint8_t *s = r->p;
	*n = (size_t)(nul - s);
	r->p = nul + 1;
	return s;
}

const uint8_t *rd_rest(struct rd *r, size_t *n)
{
	if (r->failed) {
		*n = 0;
		return NULL;
	}
	const uint8_t *s = r->p;
	*n = (size_t)(r->end - r->p);
	r->p = r->end;
	return s;
}
