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
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nestctl.h"
#include "jv.h"
#include "plan.h"

#define MAX_REQUEST NESTCTL_MAX_INPUT
#define IO_TIMEOUT_MS 10000

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

/* Handle one request; returns true when the server should stop. */
static bool serve_one(struct session *s, int fd)
{
	struct json_object *reply = NULL;
	struct jv *req, *opv, one;
	char msg[512];
	bool stop = false;
	size_t len = 0;
	int err, ret;
	char *text = read_all_fd(fd, &len, &err);
	const char *out;

	if (!text) {
		reply = error_reply(err, EXIT_USAGE, "cannot read the request");
		goto send;
	}
	req = jv_parse(text, len, msg, sizeof(msg));
	free(text);
	if (!req) {
		reply = error_reply(EINVAL, EXIT_USAGE, msg);
		goto send;
	}
	opv = jv_get(req, "op");
	if (jv_str(opv) && !strcmp(jv_str(opv), "show")) {
		reply = session_graph(s);
	} else if (jv_str(opv) && !strcmp(jv_str(opv), "stop")) {
		reply = json_object_new_object();
		j_bool(reply, "stopped", true);
		stop = true;
	} else {
		/* a single step is a plan of one */
		one = (struct jv){ .type = JV_ARRAY, .n = 1, .items = req };
		ret = session_run(s, opv ? &one : req, &reply);
		if (ret)
			j_int(reply, "exit", ret);
	}
	jv_free(req);
send:
	out = out_json_string(reply);
	write_all(fd, out, strlen(out));
	write_all(fd, "\n", 1);
	json_object_put(reply);
	return stop;
}

int keep_serve(struct session *s, const char *path)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sockaddr_un addr;
	struct json_object *ready;
	struct stat st;
	int lfd, ret;

	ret = sock_addr(path, &addr);
	if (ret)
		return err_usage("keep: socket path \"%s\" is too long", path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return err_usage("keep: \"%s\" exists and is not a socket",
					 path);
		unlink(path);
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

	/* Tell the caller we are ready (one line, then the graph). */
	ready = session_graph(s);
	j_str(ready, "listening", path);
	out_emit(ready);

	while (!stop_requested) {
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			ret = errno;
			close(lfd);
			unlink(path);
			return err_lib(ret, "keep: accept");
		}
		if (serve_one(s, cfd))
			stop_requested = 1;
		close(cfd);
	}
	close(lfd);
	unlink(path);
	return EXIT_OK;
}

int keep_send(const char *path, const char *text, size_t len)
{
	struct json_object *reply, *e;
	struct sockaddr_un addr;
	char *buf;
	size_t rlen;
	int fd, err, code = EXIT_OK;

	if (sock_addr(path, &addr))
		return err_usage("to: socket path \"%s\" is too long", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_lib(errno, "to: socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = errno;
		close(fd);
		return err_lib(err, "to: cannot connect to \"%s\" (is \"nestctl "
			       "apply ... keep %s\" running?)", path, path);
	}
	signal(SIGPIPE, SIG_IGN);
	write_all(fd, text, len);
	shutdown(fd, SHUT_WR);
	buf = read_all_fd(fd, &rlen, &err);
	close(fd);
	if (!buf)
		return err_lib(err, "to: no reply from \"%s\"", path);
	reply = json_tokener_parse(buf);
	free(buf);
	if (!reply)
		return err_lib(EPROTO, "to: bad reply from \"%s\"", path);
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
	out_emit(reply);
	return code;
}
