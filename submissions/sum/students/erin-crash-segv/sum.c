/* Stores the numbers in a linked list and reads the first value through the head without
 * checking for an empty list: N = 0 dereferences NULL (SIGSEGV). Every other test passes. */
#include <stdio.h>
#include <stdlib.h>

struct node {
	long long value;
	struct node *next;
};

/* Out of line and not inlined, so the compiler cannot see head == NULL and replace the load
 * with a trap instruction (SIGILL) on the N = 0 path: the crash stays a real SIGSEGV. */
__attribute__((noinline)) static long long sum_list(const struct node *head)
{
	long long s = head->value;
	for (const struct node *p = head->next; p; p = p->next)
		s += p->value;
	return s;
}

int main(void)
{
	struct node *head = NULL, **tail = &head;
	long long n;

	if (scanf("%lld", &n) != 1)
		return 1;
	for (long long i = 0; i < n; i++) {
		struct node *nd = calloc(1, sizeof(*nd));
		if (!nd || scanf("%lld", &nd->value) != 1)
			return 1;
		*tail = nd;
		tail = &nd->next;
	}
	printf("%lld\n", sum_list(head));
	return 0;
}
