/* Shared pieces of the file readers; see reader.h. */
#include "reader.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

int reader_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err != NULL && errlen > 0) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

FILE *reader_open(const char *path, size_t *size_out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        reader_fail(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        reader_fail(err, errlen, "not a regular file");
        return NULL;
    }
    *size_out = (size_t)st.st_size;
    return f;
}
