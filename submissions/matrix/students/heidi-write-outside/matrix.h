/* A dense row-major matrix of doubles. */
#ifndef MATRIX_H
#define MATRIX_H

#include <stddef.h>
#include <stdio.h>

struct matrix {
	size_t rows, cols;
	double *data; /* rows * cols entries, row-major */
};

/* Reads "ROWS COLS" and then ROWS*COLS numbers. Returns 0, or -1 on bad input. */
int matrix_read(FILE *f, struct matrix *m);

/* *out = a * b. Returns 0, or -1 if the dimensions do not match (a.cols != b.rows). */
int matrix_multiply(const struct matrix *a, const struct matrix *b, struct matrix *out);

/* Prints "ROWS COLS" and then one line per row, entries with 12 significant digits. */
void matrix_print(FILE *f, const struct matrix *m);

void matrix_free(struct matrix *m);

#endif
