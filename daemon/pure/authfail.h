/* authfail: failed logins remembered per user and per client address, to slow down guessing.
 *
 * After `threshold` failures in a row for a user (or from a TCP address), every further login
 * attempt for it waits before its password is checked: `delay`, doubling with each further
 * failure, at most `max`. A successful login clears its user's and address's count; a count
 * idle for AUTHFAIL_FORGET_MS is forgotten. The waiting is done by the session's own coroutine,
 * so other clients are not slowed down. A fixed-size table shared by the worker's threads under
 * a small lock (never held across I/O); when it is full the entry idle the longest makes room.
 * Pure apart from the lock: times are passed in. */
#ifndef MYPOOL_AUTHFAIL_H
#define MYPOOL_AUTHFAIL_H

#include <stdint.h>

#define AUTHFAIL_SLOTS 1024
#define AUTHFAIL_FORGET_MS (15u * 60 * 1000)

struct authfail_limits {
	unsigned threshold; /* failures before attempts wait; 0 = never */
	unsigned delay_ms;  /* the first wait */
	unsigned max_ms;    /* the longest */
};

/* How long an attempt for `user` from `addr` (NULL: the Unix socket, which all local clients
 * share, so only the user counts) must wait now (0 = not at all). */
unsigned authfail_delay(const struct authfail_limits *l, const char *user, const char *addr, uint64_t now_ms);
/* A failed attempt (counted for both), and a successful one (both counts cleared). */
void authfail_failed(const char *user, const char *addr, uint64_t now_ms);
void authfail_succeeded(const char *user, const char *addr);
/* Forget everything (tests). */
void authfail_reset(void);

#endif
