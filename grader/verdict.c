/* SPDX-License-Identifier: MIT */
/* Verdict names and the mapping from sandbox statuses. */
#include "verdict.h"

#include <string.h>

static const char *const names[_VERDICT_MAX] = {
	[VERDICT_AC] = "AC",   [VERDICT_WA] = "WA",   [VERDICT_CE] = "CE", [VERDICT_TLE] = "TLE",
	[VERDICT_MLE] = "MLE", [VERDICT_OLE] = "OLE", [VERDICT_RE] = "RE", [VERDICT_SG] = "SG",
	[VERDICT_SV] = "SV",   [VERDICT_RJ] = "RJ",   [VERDICT_IE] = "IE",
};

const char *
verdict_to_string(enum verdict v)
{
	if (v < 0 || v >= _VERDICT_MAX)
		return NULL;
	return names[v];
}

enum verdict
verdict_from_string(const char *s)
{
	for (int i = 0; s && i < _VERDICT_MAX; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum verdict)i;
	return _VERDICT_INVALID;
}

enum verdict
verdict_from_run(enum run_status s, bool output_ok)
{
	switch (s) {
	case RUN_OK:
		return output_ok ? VERDICT_AC : VERDICT_WA;
	case RUN_RE:
		return VERDICT_RE;
	case RUN_SG:
		return VERDICT_SG;
	case RUN_TO:
	case RUN_WT:
		return VERDICT_TLE;
	case RUN_ML:
		return VERDICT_MLE;
	case RUN_OL:
		return VERDICT_OLE;
	case RUN_SV:
		return VERDICT_SV;
	case RUN_XX:
	case _RUN_STATUS_MAX:
	case _RUN_STATUS_INVALID:
		break;
	}
	return VERDICT_IE;
}

enum verdict
verdict_from_build(enum run_status s)
{
	switch (s) {
	case RUN_OK:
		return VERDICT_AC;
	case RUN_SV:
		return VERDICT_SV;
	case RUN_RE:
	case RUN_SG:
	case RUN_TO:
	case RUN_WT:
	case RUN_ML:
	case RUN_OL:
		return VERDICT_CE;
	case RUN_XX:
	case _RUN_STATUS_MAX:
	case _RUN_STATUS_INVALID:
		break;
	}
	return VERDICT_IE;
}

int
verdict_severity(enum verdict v)
{
	static const int sev[_VERDICT_MAX] = {
		[VERDICT_AC] = 0,  [VERDICT_WA] = 1,  [VERDICT_RE] = 2,	 [VERDICT_SG] = 3,
		[VERDICT_OLE] = 4, [VERDICT_TLE] = 5, [VERDICT_MLE] = 6, [VERDICT_CE] = 7,
		[VERDICT_RJ] = 8,  [VERDICT_SV] = 9,  [VERDICT_IE] = 10,
	};
	if (v < 0 || v >= _VERDICT_MAX)
		return 10;
	return sev[v];
}
