// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: nestctl's plan parser and the plan itself on the fake
 * kernel.  The input is the JSON text of a plan: jv_parse(), plan_check()
 * (shape, known ops and keys, expect-errno) and then session_run(), whose
 * ops parse each step's fields, resolve names and call the library, which
 * talks to the fake kernel; the result is serialized as nestctl prints it.
 * Inputs that are only slow or huge (waits, large mappings) are skipped.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>

#include "nestctl.h"
#include "plan.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *out = NULL;
	struct session s;
	struct jv *plan;
	char msg[512];

	fuzz_init();
	if (size > 65536)
		return -1;
	plan = jv_parse((const char *)data, size, msg, sizeof(msg));
	if (!plan)
		return 0;
	if (fuzz_plan_too_costly(plan)) {
		jv_free(plan);
		return -1;
	}
	fuzz_begin();
	if (!plan_check(plan, &out)) {
		out_json_string(out);
		json_object_put(out);
	} else if (!session_open(&s)) {
		session_run(&s, plan, &out);
		out_json_string(out);
		json_object_put(out);
		/* what keep's {"op": "show"} prints after the plan */
		out = session_graph(&s);
		out_json_string(out);
		json_object_put(out);
		session_close(&s);
	}
	fuzz_end();
	jv_free(plan);
	return 0;
}
