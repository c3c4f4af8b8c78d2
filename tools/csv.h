/* Reading numeric CSV files into a 2-D float64 array (rows x columns).
 *
 * Fields are separated by commas; spaces and tabs around a field are
 * ignored; lines end in "\n" or "\r\n"; blank lines are skipped.  The first
 * non-blank line is a header, and skipped, when none of its fields is a
 * number.  Every other line must have as many fields as the first data line
 * and every field must be a number (as strtod reads it, in full); otherwise
 * the file is rejected with the line and column of the first problem. */
#ifndef MUTINF_TOOLS_CSV_H
#define MUTINF_TOOLS_CSV_H

#include <stddef.h>

#include "npy.h"

/* Reads `path` into *out (NPY_F8, C order, 2-D).  Returns 0, or -1 with a
 * one-line reason (without the file name) in err. */
int csv_read(const char *path, npy_array *out, char *err, size_t errlen);

/* The same for text held in memory (len bytes, need not end in NUL). */
int csv_parse(const char *text, size_t len, npy_array *out, char *err, size_t errlen);

#endif
