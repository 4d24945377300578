// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apply ... keep SOCKET: hold the iommufd context open and serve further
 * plans on a Unix stream socket; apply ... to SOCKET: the client.
 *
 * Protocol: one request per connection.  The client writes one JSON value
 * and shuts down its write side; the server answers with one JSON line and
 * closes.  A request is a plan (array or {"steps": [...]}), a single step
 * ({"op": "ioas-alloc", ...}), {"op": "show"} (the object graph) or
 * {"op": "stop"}.  A bad request gets an error reply
 * ({"error", "errno", "exit", ...}, after the plan's own objects were
 * destroyed) and the server keeps serving.
 *
 * Clients are served concurrently (a poll() loop over non-blocking
 * sockets; requests run one at a time, as they share one context): a
 * client has IO_TIMEOUT_MS from connect to the end of its request and
 * again to take its reply, so a slow or stuck client only loses its own
 * connection.  A live socket of another server is never taken over.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nestctl.h"
#include "jv.h"
#include "plan.h"

#define MAX_REQUEST NESTCTL_MAX_INPUT
#define IO_TIMEOUT_MS 10000
#define MAX_CLIENTS 16

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Read until EOF (bounded in size and time); NUL-terminated. */
static char *read_all_fd(int fd, size_t *len, int *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	*err = 0;
	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0) {
			*err = ETIMEDOUT;
			break;
		}
		if (n + 1 >= cap) {
			char *nb;

			if (cap >= MAX_REQUEST) {
				*err = E2BIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				*err = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			break;
		}
		if (!r) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	if (!*err)
		*err = ENOMEM;
	free(buf);
	return NULL;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

static struct json_object *error_reply(int err, int exit_code, const char *msg)
{
	struct json_object *o = err_object(err, msg);

	j_int(o, "exit", exit_code);
	return o;
}

/* Run one request (text, len bytes); *stop when it asked to stop. */
static struct json_object *handle_request(struct session *s, const char *text,
					  size_t len, bool *stop)
{
	struct json_object *reply = NULL;
	struct jv *req, *opv, one;
	char msg[512];
	int ret;

	req = jv_parse(text, len, msg, sizeof(msg));
	if (!req)
		return error_reply(EINVAL, EXIT_USAGE, msg);
	opv = jv_get(req, "op");
	if (jv_str(opv) && !strcmp(jv_str(opv), "show")) {
		reply = session_graph(s);
	} else if (jv_str(opv) && !strcmp(jv_str(opv), "stop")) {
		reply = json_object_new_object();
		j_bool(reply, "stopped", true);
		*stop = true;
	} else {
		/* a single step is a plan of one */
		one = (struct jv){ .type = JV_ARRAY, .n = 1, .items = req };
		ret = session_run(s, opv ? &one : req, &reply);
		if (ret) {
			j_int(reply, "exit", ret);
		} else if (brief_output) {
			/* -b: the step results; {"op": "show"} has the graph */
			struct json_object *steps = NULL, *b = json_object_new_object();

			json_object_object_get_ex(reply, "steps", &steps);
			json_object_object_add(b, "steps", json_object_get(steps));
			json_object_put(reply);
			reply = b;
		}
	}
	jv_free(req);
	return reply;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct client {
	int fd;
	char *buf;         /* the request, then the reply */
	size_t len, cap;   /* bytes in buf, its size */
	size_t off;        /* reply bytes written */
	bool replying;
	bool stop_after;   /* the reply to "stop": end when it is out */
	int64_t deadline;
};

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void client_reply(struct client *c, struct json_object *reply)
{
	const char *out = out_json_string(reply);
	size_t n = strlen(out);
	char *buf = malloc(n + 1);

	json_object_put(reply);
	free(c->buf);
	c->buf = buf;
	c->len = buf ? n + 1 : 0;
	if (buf) {
		memcpy(buf, out, n);
		buf[n] = '\n';
	}
	c->off = 0;
	c->replying = true;
	c->deadline = now_ms() + IO_TIMEOUT_MS;
	shutdown(c->fd, SHUT_RD);
}

/* Read what is there; on EOF run the request. */
static void client_read(struct session *s, struct client *c)
{
	for (;;) {
		ssize_t r;

		if (c->len + 1 >= c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			char *nb;

			if (c->cap > MAX_REQUEST) {
				client_reply(c, error_reply(EFBIG, EXIT_USAGE,
					"the request is larger than the input "
					"limit of 16 MiB"));
				return;
			}
			nb = realloc(c->buf, cap);
			if (!nb) {
				client_reply(c, error_reply(ENOMEM, EXIT_USAGE,
					"cannot read the request"));
				return;
			}
			c->buf = nb;
			c->cap = cap;
		}
		r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r < 0) {
			client_close(c);
			return;
		}
		if (!r) {
			bool stop = false;
			struct json_object *reply;

			reply = handle_request(s, c->buf, c->len, &stop);
			client_reply(c, reply);
			c->stop_after = stop;
			return;
		}
		c->len += (size_t)r;
	}
}

/* Write what the socket takes; true when the reply is out (or lost). */
static bool client_write(struct client *c)
{
	while (c->off < c->len) {
		ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (w <= 0)
			return true;
		c->off += (size_t)w;
	}
	return true;
}

/*
 * Is a server answering on path?  Then it is not ours to unlink: its
 * process would run on, unreachable, with its context.
 */
static bool socket_is_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = !connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	return live;
}

int keep_serve(struct session *s, const char *path)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct client cl[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 1];
	struct sockaddr_un addr;
	struct json_object *ready;
	struct stat st;
	bool stopping = false;
	int lfd, ret;

	ret = sock_addr(path, &addr);
	if (ret)
		return err_usage("keep: socket path \"%s\" is too long", path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return err_usage("keep: \"%s\" exists and is not a socket",
					 path);
		if (socket_is_live(&addr))
			return err_report(EXIT_KERNEL, EADDRINUSE, NULL,
					  "keep: \"%s\" is the socket of a running "
					  "server; stop it first ({\"op\": "
					  "\"stop\"})", path);
		unlink(path); /* left over by a server that died */
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		return err_lib(errno, "keep: socket");
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 16)) {
		ret = errno;
		close(lfd);
		return err_lib(ret, "keep: cannot listen on \"%s\"", path);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_CLIENTS; i++)
		cl[i] = (struct client){ .fd = -1 };

	/* Tell the caller we are ready (one line, then the graph). */
	ready = session_graph(s);
	j_str(ready, "listening", path);
	out_emit(ready);

	ret = EXIT_OK;
	while (!stop_requested && !stopping) {
		int64_t now = now_ms(), next = -1;
		int n = 0, nfree = 0;

		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &cl[i];

			if (c->fd < 0) {
				nfree++;
				continue;
			}
			if (now >= c->deadline) {
				if (c->replying) {
					stopping |= c->stop_after;
					client_close(c);
					continue;
				}
				/* best effort: it may not even read */
				client_reply(c, error_reply(ETIMEDOUT, EXIT_USAGE,
					"the request was not complete within "
					"10 s"));
				if (client_write(c))
					client_close(c);
				continue;
			}
			if (next < 0 || c->deadline - now < next)
				next = c->deadline - now;
		}
		if (stopping)
			break;
		pfd[n++] = (struct pollfd){
			.fd = nfree ? lfd : -1, .events = POLLIN,
		};
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[n++] = (struct pollfd){
				.fd = cl[i].fd,
				.events = cl[i].replying ? POLLOUT : POLLIN,
			};
		if (poll(pfd, (nfds_t)n, next < 0 ? -1 : (int)next) < 0) {
			if (errno == EINTR)
				continue;
			ret = err_lib(errno, "keep: poll");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL,
					  SOCK_CLOEXEC | SOCK_NONBLOCK);

			for (int i = 0; cfd >= 0 && i < MAX_CLIENTS; i++) {
				if (cl[i].fd >= 0)
					continue;
				cl[i] = (struct client){
					.fd = cfd,
					.deadline = now_ms() + IO_TIMEOUT_MS,
				};
				cfd = -1;
			}
			if (cfd >= 0)
				close(cfd);
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &cl[i];

			if (c->fd < 0 || !pfd[i + 1].revents)
				continue;
			if (!c->replying)
				client_read(s, c);
			if (c->fd >= 0 && c->replying && client_write(c)) {
				stopping |= c->stop_after;
				client_close(c);
			}
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			client_close(&cl[i]);
	close(lfd);
	unlink(path);
	return ret;
}

/*
 * Send one request to a keep server and hand its reply to *reply; an
 * error reply (or no reply) is reported here and its exit code returned.
 */
int keep_request(const char *what, const char *path, const char *text,
		 size_t len, struct json_object **out)
{
	struct json_object *reply, *e;
	struct sockaddr_un addr;
	char *buf;
	size_t rlen;
	int fd, err, code = EXIT_OK;

	*out = NULL;
	if (sock_addr(path, &addr))
		return err_usage("%s: socket path \"%s\" is too long", what, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_lib(errno, "%s: socket", what);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = errno;
		close(fd);
		return err_lib(err, "%s: cannot connect to \"%s\" (is \"nestctl "
			       "apply ... keep %s\" running?)", what, path, path);
	}
	signal(SIGPIPE, SIG_IGN);
	write_all(fd, text, len);
	shutdown(fd, SHUT_WR);
	buf = read_all_fd(fd, &rlen, &err);
	close(fd);
	if (!buf)
		return err_lib(err, "%s: no reply from \"%s\"", what, path);
	reply = json_tokener_parse(buf);
	free(buf);
	if (!reply)
		return err_lib(EPROTO, "%s: bad reply from \"%s\"", what, path);
	e = json_object_is_type(reply, json_type_object) ?
	    json_object_object_get(reply, "error") : NULL;
	if (e) {
		struct json_object *extra = json_object_new_object();

		code = (int)json_object_get_int(json_object_object_get(reply, "exit"));
		if (code != EXIT_USAGE && code != EXIT_KERNEL)
			code = EXIT_KERNEL;
		json_object_object_foreach(reply, k, v)
			if (strcmp(k, "error") && strcmp(k, "errno"))
				json_object_object_add(extra, k, json_object_get(v));
		err_report(code, (int)json_object_get_int(
				   json_object_object_get(reply, "errno")),
			   extra, "%s", json_object_get_string(e));
		json_object_put(reply);
		return code;
	}
	*out = reply;
	return code;
}

int keep_send(const char *path, const char *text, size_t len)
{
	struct json_object *reply;
	int code = keep_request("to", path, text, len, &reply);

	if (reply)
		out_emit(reply);
	return code;
}
