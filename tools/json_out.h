/* A minimal streaming JSON writer for the tool's --json output.  Non-finite
 * numbers are written as the strings "inf", "-inf" and "nan" (JSON has no
 * literal for them). */
#ifndef MUTINF_TOOLS_JSON_OUT_H
#define MUTINF_TOOLS_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct json_out {
    FILE *f;
    int depth;
    int after_key;
    int count[JSON_MAX_DEPTH]; /* values written at each depth */
} json_out;

void json_init(json_out *j, FILE *f);
void json_key(json_out *j, const char *key);
void json_object_begin(json_out *j);
void json_object_end(json_out *j);
void json_array_begin(json_out *j);
void json_array_end(json_out *j);
void json_number(json_out *j, double v);
void json_int(json_out *j, int64_t v);
void json_string(json_out *j, const char *s);
void json_bool(json_out *j, int v);
void json_null(json_out *j);
/* A row-major K x K matrix as an array of K arrays. */
void json_matrix(json_out *j, const double *m, int64_t k);

#endif
