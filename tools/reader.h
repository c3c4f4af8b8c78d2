/* What the file readers (npy.c, csv.c) share: error reporting into the
 * caller's buffer and opening a regular file with its size. */
#ifndef MUTINF_TOOLS_READER_H
#define MUTINF_TOOLS_READER_H

#include <stddef.h>
#include <stdio.h>

/* Formats the message into err (when err is not NULL) and returns -1, the
 * readers' failure value. */
int reader_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Opens `path` for binary reading and stores its size; NULL with a message
 * ("cannot open: ...", "not a regular file") when it is not a readable
 * regular file. */
FILE *reader_open(const char *path, size_t *size_out, char *err, size_t errlen);

#endif
