/* listen: the listening sockets (Unix socket file, optional TCP), opened by the supervisor, or
 * inherited from systemd (socket activation). */
#ifndef MYPOOL_LISTEN_H
#define MYPOOL_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Create, bind and listen on a Unix socket at path with the given mode, owned by uid:gid
 * ((uid_t)-1 / (gid_t)-1: unchanged); mode and owner are set before listen(), so no client
 * connects while they are not. A stale socket file (nobody accepting) is replaced, a live one
 * is an error. Returns the fd or -1 (err filled). */
int listen_unix(const char *path, unsigned mode, uid_t uid, gid_t gid, char *err, size_t errlen);
/* "host:port" or "[v6]:port" -> listening TCP socket, or -1 (err filled). */
int listen_tcp(const char *hostport, char *err, size_t errlen);

/* The IP address (as text) and port of an IPv4 or IPv6 socket address; false for other
 * families (a Unix socket). */
bool listen_ip_port(const struct sockaddr_storage *ss, char *host, size_t hostlen, unsigned *port);

/* Socket activation: the first inherited fd (sd_listen_fds(3)). */
#define LISTEN_FDS_START 3

/* If LISTEN_PID is this process, the LISTEN_FDS sockets from fd 3 on were passed by systemd:
 * they are made close-on-exec and non-blocking, and their number is returned (0: not socket
 * activated). LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the environment in
 * any case. -1 (err filled) if the variables are malformed or an fd is not a socket. */
int listen_inherited(char *err, size_t errlen);

enum listen_match {
	LISTEN_MATCH_NONE,
	LISTEN_MATCH_UNIX, /* bound to `path` */
	LISTEN_MATCH_TCP,  /* bound to (one of) the addresses of `hostport` */
	LISTEN_MATCH_OTHER /* the second Unix path or host:port given (e.g. metrics_listen) */
};

/* Which of the configured addresses the inherited listening stream socket fd is bound to:
 * `path` (Unix), `hostport` (TCP, may be NULL), or `other` (a Unix path or host:port, may be
 * NULL). `desc` gets what it is bound to, e.g. "unix:/run/mypool/mypool.sock" or
 * "tcp:127.0.0.1:6033", or why it is not usable ("not a listening stream socket"). */
enum listen_match listen_match(int fd, const char *path, const char *hostport, const char *other, char *desc,
			       size_t desclen);

#endif
