/* HOSTILE (processes): a fork bomb. Every process forks forever and never prints anything.
 * The pids limit (32) makes fork fail with EAGAIN, and the processes keep spinning on the
 * failing fork until the CPU limit stops the whole sandbox. Never run this on the host. */
#include <unistd.h>

int main(void)
{
	for (;;)
		(void)fork();
}
