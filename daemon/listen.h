/* listen: the listening sockets (Unix socket file, optional TCP), opened by the supervisor. */
#ifndef MYPOOL_LISTEN_H
#define MYPOOL_LISTEN_H

#include <stddef.h>

/* Create, bind and listen on a Unix socket at path with the given mode; a stale socket file
 * (nobody accepting) is replaced, a live one is an error. Returns the fd or -1 (err filled). */
int listen_unix(const char *path, unsigned mode, char *err, size_t errlen);
/* "host:port" -> listening TCP socket, or -1 (err filled). */
int listen_tcp(const char *hostport, char *err, size_t errlen);

#endif
