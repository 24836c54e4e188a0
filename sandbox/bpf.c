/* SPDX-License-Identifier: MIT */
#include "bpf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
policy_bpf_from_bytes(const void *data, size_t len, struct policy_bpf *ret)
{
	if (len == 0 || len % POLICY_BPF_INSN_SIZE != 0 ||
	    len / POLICY_BPF_INSN_SIZE > POLICY_BPF_MAX_INSNS)
		return -EINVAL;
	void *insns = malloc(len);
	if (!insns)
		return -ENOMEM;
	memcpy(insns, data, len);
	*ret = (struct policy_bpf){.insns = insns, .len = len / POLICY_BPF_INSN_SIZE};
	return 0;
}

void
policy_bpf_clear(struct policy_bpf *b)
{
	free(b->insns);
	*b = (struct policy_bpf){0};
}
