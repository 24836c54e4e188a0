/* matmul: reads two matrices from stdin and prints their product, or "incompatible". */
#include "matrix.h"

int main(void)
{
	struct matrix a = {0}, b = {0}, c = {0};
	int rc = 0;

	if (matrix_read(stdin, &a) < 0 || matrix_read(stdin, &b) < 0) {
		fprintf(stderr, "matmul: bad input\n");
		rc = 1;
	} else if (a.cols != b.rows) {
		printf("incompatible\n");
	} else if (matrix_multiply(&a, &b, &c) < 0) {
		fprintf(stderr, "matmul: out of memory\n");
		rc = 1;
	} else {
		matrix_print(stdout, &c);
	}
	matrix_free(&a);
	matrix_free(&b);
	matrix_free(&c);
	return rc;
}
