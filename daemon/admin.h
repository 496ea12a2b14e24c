/* admin: the admin console, a virtual database on the client socket (see admin.c). */
#ifndef MYPOOL_ADMIN_H
#define MYPOOL_ADMIN_H

#include <stdbool.h>

#define ADMIN_DATABASE "mypool"

struct config;
struct session_console;

/* The database name that selects the console. */
bool admin_is_console(const char *db);
/* Whether user is listed in admin_users. */
bool admin_allowed(const struct config *cfg, const char *user);
/* The console as the session layer runs it (session_set_console; worker.c registers it). */
extern const struct session_console admin_console;

#endif
