/* listen: listening sockets (see listen.h). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

int listen_unix(const char *path, unsigned mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EADDRINUSE)
			goto fail;
		/* Is somebody serving it? If the connect is refused, the file is stale. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(err, errlen, "%s is in use by another process", path);
			close(fd);
			return -1;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			goto fail;
	}
	/* chmod first: once the file belongs to another user, root needs CAP_FOWNER to chmod it. */
	if (chmod(path, mode) != 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
		snprintf(err, errlen, "chown %s to %ld:%ld: %s", path, uid == (uid_t)-1 ? -1L : (long)uid,
			 gid == (gid_t)-1 ? -1L : (long)gid, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
fail:
	snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
	close(fd);
	return -1;
}

/* "host:port" or "[v6]:port" -> addresses (freeaddrinfo), or NULL (err filled). */
static struct addrinfo *resolve(const char *hostport, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (!colon || hl >= sizeof(host)) {
		snprintf(err, errlen, "bad address '%s' (want host:port)", hostport);
		return NULL;
	}
	if (hl >= 2 && hostport[0] == '[' && hostport[hl - 1] == ']') {
		memcpy(host, hostport + 1, hl - 2); /* [::1]:6033 */
		host[hl - 2] = '\0';
	} else {
		memcpy(host, hostport, hl);
		host[hl] = '\0';
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
	int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", hostport, gai_strerror(rc));
		return NULL;
	}
	return ai;
}

int listen_tcp(const char *hostport, char *err, size_t errlen)
{
	struct addrinfo *ai = resolve(hostport, err, errlen);
	if (ai == NULL)
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int listen_inherited(char *err, size_t errlen)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	int n = 0;
	char *end;

	if (pid_s == NULL || fds_s == NULL)
		goto out;
	errno = 0;
	long pid = strtol(pid_s, &end, 10);
	if (errno != 0 || end == pid_s || *end != '\0' || pid <= 0) {
		snprintf(err, errlen, "socket activation: bad LISTEN_PID '%s'", pid_s);
		n = -1;
		goto out;
	}
	if (pid != (long)getpid())
		goto out; /* meant for another process (the variables leaked through a fork) */
	errno = 0;
	long count = strtol(fds_s, &end, 10);
	if (errno != 0 || end == fds_s || *end != '\0' || count < 0 || count > INT_MAX - LISTEN_FDS_START) {
		snprintf(err, errlen, "socket activation: bad LISTEN_FDS '%s'", fds_s);
		n = -1;
		goto out;
	}
	for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + (int)count; fd++) {
		struct stat st;
		int fl;
		if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "socket activation: fd %d (of LISTEN_FDS=%ld) is not a socket", fd, count);
			n = -1;
			goto out;
		}
		if ((fl = fcntl(fd, F_GETFD)) < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0 ||
		    (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
			snprintf(err, errlen, "socket activation: fd %d: %s", fd, strerror(errno));
			n = -1;
			goto out;
		}
	}
	n = (int)count;
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

static bool sockaddr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* Is the TCP address `sa` one of hostport's? */
static bool tcp_matches(const struct sockaddr *sa, const char *hostport)
{
	char err[256];
	struct addrinfo *ai = resolve(hostport, err, sizeof(err)), *p;
	bool found = false;
	for (p = ai; p != NULL && !found; p = p->ai_next)
		found = sockaddr_eq(sa, p->ai_addr);
	if (ai != NULL)
		freeaddrinfo(ai);
	return found;
}

bool listen_ip_port(const struct sockaddr_storage *ss, char *host, size_t hostlen, unsigned *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)hostlen);
		*port = ntohs(in->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)hostlen);
		*port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

enum listen_match listen_match(int fd, const char *path, const char *hostport, const char *other, char *desc,
			       size_t desclen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, acc = 0;
	socklen_t il = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il) != 0 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &il) != 0 || !acc) {
		snprintf(desc, desclen, "not a listening stream socket");
		return LISTEN_MATCH_NONE;
	}
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(desc, desclen, "getsockname: %s", strerror(errno));
		return LISTEN_MATCH_NONE;
	}
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)&ss;
		size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
		char p[sizeof(un->sun_path) + 1];
		if (n == 0 || un->sun_path[0] == '\0') {
			snprintf(desc, desclen, "unix:(unnamed or abstract)");
			return LISTEN_MATCH_NONE;
		}
		memcpy(p, un->sun_path, n);
		p[n] = '\0';
		snprintf(desc, desclen, "unix:%s", p);
		if (path != NULL && strcmp(p, path) == 0)
			return LISTEN_MATCH_UNIX;
		if (other != NULL && other[0] == '/' && strcmp(p, other) == 0)
			return LISTEN_MATCH_OTHER;
		return LISTEN_MATCH_NONE;
	}
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port;
	if (listen_ip_port(&ss, host, sizeof(host), &port)) {
		snprintf(desc, desclen, ss.ss_family == AF_INET ? "tcp:%s:%u" : "tcp:[%s]:%u", host, port);
		if (hostport != NULL && tcp_matches((const struct sockaddr *)&ss, hostport))
			return LISTEN_MATCH_TCP;
		if (other != NULL && other[0] != '/' && tcp_matches((const struct sockaddr *)&ss, other))
			return LISTEN_MATCH_OTHER;
		return LISTEN_MATCH_NONE;
	}
	snprintf(desc, desclen, "address family %d", ss.ss_family);
	return LISTEN_MATCH_NONE;
}
