/* authfail: failed logins per user and address (see authfail.h). */
#include "autoconfig.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "authfail.h"

struct slot {
	char key[96];      /* "u:NAME" or "a:ADDRESS"; "" = free */
	unsigned fails;    /* in a row */
	uint64_t last_ms;  /* of the last failure */
};

static struct slot slots[AUTHFAIL_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void key_of(char *out, size_t n, char kind, const char *name)
{
	snprintf(out, n, "%c:%s", kind, name);
}

/* Locked: the slot of key, or NULL. */
static struct slot *find(const char *key, uint64_t now_ms)
{
	for (size_t i = 0; i < AUTHFAIL_SLOTS; i++) {
		struct slot *s = &slots[i];
		if (s->key[0] && strcmp(s->key, key) == 0) {
			if (now_ms && now_ms - s->last_ms > AUTHFAIL_FORGET_MS) {
				s->key[0] = 0; /* idle long enough: forgotten */
				return NULL;
			}
			return s;
		}
	}
	return NULL;
}

/* Locked: a slot for key, taking the free one or the one idle the longest. */
static struct slot *take(const char *key)
{
	struct slot *victim = &slots[0];
	for (size_t i = 0; i < AUTHFAIL_SLOTS; i++) {
		if (!slots[i].key[0]) {
			victim = &slots[i];
			break;
		}
		if (slots[i].last_ms < victim->last_ms)
			victim = &slots[i];
	}
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->fails = 0;
	return victim;
}

static unsigned wait_for(const struct authfail_limits *l, unsigned fails)
{
	if (!l->threshold || fails < l->threshold)
		return 0;
	uint64_t d = l->delay_ms;
	for (unsigned i = l->threshold; i < fails && d < l->max_ms; i++)
		d *= 2;
	return d > l->max_ms ? l->max_ms : (unsigned)d;
}

unsigned authfail_delay(const struct authfail_limits *l, const char *user, const char *addr, uint64_t now_ms)
{
	if (!l->threshold)
		return 0;
	char key[96];
	unsigned fails = 0;
	pthread_mutex_lock(&lock);
	key_of(key, sizeof(key), 'u', user);
	struct slot *s = find(key, now_ms);
	if (s)
		fails = s->fails;
	if (addr) {
		key_of(key, sizeof(key), 'a', addr);
		s = find(key, now_ms);
		if (s && s->fails > fails)
			fails = s->fails;
	}
	pthread_mutex_unlock(&lock);
	return wait_for(l, fails);
}

static void count(char kind, const char *name, uint64_t now_ms)
{
	char key[96];
	key_of(key, sizeof(key), kind, name);
	struct slot *s = find(key, now_ms);
	if (!s)
		s = take(key);
	s->fails++;
	s->last_ms = now_ms;
}

void authfail_failed(const char *user, const char *addr, uint64_t now_ms)
{
	pthread_mutex_lock(&lock);
	count('u', user, now_ms);
	if (addr)
		count('a', addr, now_ms);
	pthread_mutex_unlock(&lock);
}

static void clear(char kind, const char *name)
{
	char key[96];
	key_of(key, sizeof(key), kind, name);
	struct slot *s = find(key, 0);
	if (s)
		s->key[0] = 0;
}

void authfail_succeeded(const char *user, const char *addr)
{
	pthread_mutex_lock(&lock);
	clear('u', user);
	if (addr)
		clear('a', addr);
	pthread_mutex_unlock(&lock);
}

void authfail_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(slots, 0, sizeof(slots));
	pthread_mutex_unlock(&lock);
}
