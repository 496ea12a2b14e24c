/* admin: the admin console, a virtual database on the client socket (see admin.c). */
#ifndef MYPOOL_ADMIN_H
#define MYPOOL_ADMIN_H

#include <stdbool.h>

#define ADMIN_DATABASE "mypool"

struct config;
struct pkt;
struct session;

/* The database name that selects the console. */
bool admin_is_console(const char *db);
/* Whether user is listed in admin_users. */
bool admin_allowed(const struct config *cfg, const char *user);
/* Run one console command (the packet at the head of the client input): 0, or -1 if the
 * session must end. */
int admin_command(struct session *s, struct pkt *p);

#endif
