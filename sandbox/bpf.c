/* SPDX-License-Identifier: MIT */
#include "bpf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
policy_bpf_adopt(void *data, size_t len, struct policy_bpf *ret)
{
	if (len == 0 || len % POLICY_BPF_INSN_SIZE != 0 ||
	    len / POLICY_BPF_INSN_SIZE > POLICY_BPF_MAX_INSNS)
		return -EINVAL;
	*ret = (struct policy_bpf){.insns = data, .len = len / POLICY_BPF_INSN_SIZE};
	return 0;
}

int
policy_bpf_from_bytes(const void *data, size_t len, struct policy_bpf *ret)
{
	if (len == 0)
		return -EINVAL;
	void *insns = malloc(len);
	if (!insns)
		return -ENOMEM;
	memcpy(insns, data, len);
	int r = policy_bpf_adopt(insns, len, ret);
	if (r < 0)
		free(insns);
	return r;
}

void
policy_bpf_clear(struct policy_bpf *b)
{
	free(b->insns);
	*b = (struct policy_bpf){0};
}
