/* Minimal streaming JSON writer; see json_out.h. */
#include "json_out.h"

#include <inttypes.h>
#include <math.h>

void json_init(json_out *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->after_key = 0;
    j->count[0] = 0;
}

/* Separator before a value or key at the current depth. */
static void sep(json_out *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->count[j->depth]++ > 0) fputs(", ", j->f);
}

static void write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void json_key(json_out *j, const char *key)
{
    sep(j);
    write_escaped(j->f, key);
    fputs(": ", j->f);
    j->after_key = 1;
}

static void open_(json_out *j, char c)
{
    sep(j);
    fputc(c, j->f);
    if (j->depth + 1 < JSON_MAX_DEPTH) j->depth++;
    j->count[j->depth] = 0;
}

static void close_(json_out *j, char c)
{
    if (j->depth > 0) j->depth--;
    fputc(c, j->f);
}

void json_object_begin(json_out *j)
{
    open_(j, '{');
}
void json_object_end(json_out *j)
{
    close_(j, '}');
}
void json_array_begin(json_out *j)
{
    open_(j, '[');
}
void json_array_end(json_out *j)
{
    close_(j, ']');
}

void json_number(json_out *j, double v)
{
    if (isnan(v)) {
        json_string(j, "nan");
        return;
    }
    if (isinf(v)) {
        json_string(j, v > 0 ? "inf" : "-inf");
        return;
    }
    sep(j);
    /* 17 significant digits round-trip every double. */
    fprintf(j->f, "%.17g", v);
}

void json_int(json_out *j, int64_t v)
{
    sep(j);
    fprintf(j->f, "%" PRId64, v);
}

void json_string(json_out *j, const char *s)
{
    sep(j);
    write_escaped(j->f, s);
}

void json_bool(json_out *j, int v)
{
    sep(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json_out *j)
{
    sep(j);
    fputs("null", j->f);
}

void json_matrix(json_out *j, const double *m, int64_t k)
{
    json_array_begin(j);
    for (int64_t r = 0; r < k; r++) {
        json_array_begin(j);
        for (int64_t c = 0; c < k; c++)
            json_number(j, m[r * k + c]);
        json_array_end(j);
    }
    json_array_end(j);
}
