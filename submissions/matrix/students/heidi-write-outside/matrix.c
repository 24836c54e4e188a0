#include "matrix.h"

#include <stdlib.h>

#define MAX_DIM 1000

static double *at(const struct matrix *m, size_t r, size_t c)
{
	return &m->data[r * m->cols + c];
}

int matrix_read(FILE *f, struct matrix *m)
{
	if (fscanf(f, "%zu %zu", &m->rows, &m->cols) != 2 || m->rows == 0 || m->cols == 0 ||
	    m->rows > MAX_DIM || m->cols > MAX_DIM)
		return -1;
	m->data = malloc(m->rows * m->cols * sizeof(*m->data));
	if (!m->data)
		return -1;
	for (size_t i = 0; i < m->rows * m->cols; i++)
		if (fscanf(f, "%lf", &m->data[i]) != 1)
			return -1;
	return 0;
}

int matrix_multiply(const struct matrix *a, const struct matrix *b, struct matrix *out)
{
	if (a->cols != b->rows)
		return -1;
	out->rows = a->rows;
	out->cols = b->cols;
	out->data = calloc(out->rows * out->cols, sizeof(*out->data));
	if (!out->data)
		return -1;
	for (size_t i = 0; i < a->rows; i++)
		for (size_t k = 0; k < a->cols; k++)
			for (size_t j = 0; j < b->cols; j++)
				*at(out, i, j) += *at(a, i, k) * *at(b, k, j);
	return 0;
}

void matrix_print(FILE *f, const struct matrix *m)
{
	fprintf(f, "%zu %zu\n", m->rows, m->cols);
	for (size_t i = 0; i < m->rows; i++)
		for (size_t j = 0; j < m->cols; j++)
			fprintf(f, "%.12g%c", *at(m, i, j), j + 1 < m->cols ? ' ' : '\n');
}

void matrix_free(struct matrix *m)
{
	free(m->data);
	m->data = NULL;
}
