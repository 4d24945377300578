// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events watch PLAN: run a plan, then stream the records of every vEVENTQ
 * and fault queue it created, one JSON line per record, decoded (SMMUv3
 * event records, selftest virtual IDs, page faults), with sequence gaps
 * ("gap") and overflow markers ("lost-events") as the library reports
 * them.  With "audit" (and then the PLAN is optional) also the stale uses
 * that nestiommu.ko's invalidation audit finds ("kind": "stale-use").
 * Ends after "count N" records, "timeout MS", or SIGINT/SIGTERM.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nestiommu/nestiommu.h>

#include "nestctl.h"
#include "codec.h"
#include "plan.h"

static volatile sig_atomic_t stop_watch;

static void on_signal(int sig)
{
	(void)sig;
	stop_watch = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int do_events_watch(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd[65];
	struct pobj *q[65];
	struct nio_smmu *asmmu = NULL;
	bool audit = false;
	uint64_t count = 0, timeout = 0, seen = 0;
	const char *src = NULL;
	struct session s;
	int64_t end;
	int ret, nq = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "count") && i + 1 < argc) {
			if (parse_u64(argv[++i], UINT32_MAX, &count))
				return err_usage("events watch: bad count \"%s\"", argv[i]);
		} else if (!strcmp(argv[i], "timeout") && i + 1 < argc) {
			if (parse_u64(argv[++i], INT32_MAX, &timeout))
				return err_usage("events watch: bad timeout \"%s\"", argv[i]);
		} else if (!strcmp(argv[i], "audit")) {
			audit = true;
		} else if (!src) {
			src = argv[i];
		} else {
			return err_usage("events watch: unexpected argument \"%s\"",
					 argv[i]);
		}
	}
	if (!src && !audit)
		return err_usage("events watch: missing PLAN (it must create a "
				 "vEVENTQ or a fault queue) or \"audit\"");
	memset(&s, 0, sizeof(s));
	if (!src)
		goto watch;
	ret = session_start(&s, "events watch", src);
	if (ret)
		return ret;
	for (size_t i = 0; i < s.nobjs && nq < 64; i++) {
		struct pobj *o = &s.objs[i];

		if (o->dead || !(o->kind & (K_VEVENTQ | K_FAULT)))
			continue;
		q[nq] = o;
		pfd[nq].fd = o->kind == K_FAULT ? o->fd : nio_veventq_fd(s.ctx, o->id);
		pfd[nq].events = POLLIN;
		nq++;
	}
	if (!nq && !audit) {
		session_close(&s);
		return err_usage("events watch: the plan created no vEVENTQ or "
				 "fault queue");
	}
watch:
	if (audit) {
		int fd = audit_watch_open(&asmmu);

		if (fd < 0) {
			if (src)
				session_close(&s);
			return -fd;
		}
		q[nq] = NULL;
		pfd[nq].fd = fd;
		pfd[nq].events = POLLIN;
		nq++;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setlinebuf(stdout);
	end = timeout ? mono_ms() + (int64_t)timeout : 0;
	ret = EXIT_OK;
	while (!stop_watch && (!count || seen < count)) {
		int wait = -1, n;

		if (end) {
			int64_t left = end - mono_ms();

			if (left <= 0)
				break;
			wait = (int)left;
		}
		n = poll(pfd, (nfds_t)nq, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = err_lib(errno, "events watch: poll");
			break;
		}
		for (int i = 0; i < nq && (!count || seen < count); i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (!q[i]) {
				int r = audit_watch_emit(asmmu, count ?
							 count - seen : UINT64_MAX);

				if (r < 0) {
					ret = err_lib(r, "events watch: audit");
					stop_watch = 1;
				} else {
					seen += (uint64_t)r;
				}
			} else if (q[i]->kind == K_VEVENTQ) {
				struct nio_vevent e[16];
				int r = nio_veventq_read(s.ctx, q[i]->id, e, 16);

				for (int k = 0; k < r && (!count || seen < count); k++) {
					struct json_object *o = vevent_json(q[i]->type, &e[k]);

					j_str(o, "queue", q[i]->name);
					j_str(o, "kind", "vevent");
					out_emit(o);
					seen++;
				}
				if (r < 0 && r != -EAGAIN) {
					ret = err_lib(r, "events watch: read %s", q[i]->name);
					stop_watch = 1;
				}
			} else {
				struct nio_fault f[16];
				int r = nio_fault_read(s.ctx, q[i]->id, f, 16);

				for (int k = 0; k < r && (!count || seen < count); k++) {
					struct json_object *o = fault_json(&f[k]);

					j_str(o, "queue", q[i]->name);
					j_str(o, "kind", "fault");
					out_emit(o);
					seen++;
				}
				if (r < 0 && r != -EAGAIN) {
					ret = err_lib(r, "events watch: read %s", q[i]->name);
					stop_watch = 1;
				}
			}
		}
	}
	if (src)
		session_close(&s);
	if (asmmu)
		audit_watch_close(asmmu);
	return ret;
}

const struct cmd events_cmds[] = {
	{ "watch", do_events_watch,
	  "[ PLAN | - ] [ audit ] [ count N ] [ timeout MS ]",
	  "run PLAN and stream its vEVENTQ and fault records, and with "
	  "\"audit\" nestiommu.ko's stale TLB/CD uses" },
	{ 0 },
};
