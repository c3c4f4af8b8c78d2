/* A small libmutinf consumer: the total correlation of a linear-Gaussian
 * model with two units whose outputs have correlation rho.
 *
 * With W = [[1, 0], [rho, sqrt(1 - rho^2)]] the output covariance is
 * C = W W^T = [[1, rho], [rho, 1]], so for the partition {y1}, {y2}
 *
 *     TC = 1/2 (log C11 + log C22 - log det C) = -1/2 ln(1 - rho^2).
 *
 * Usage: consumer [rho]   (default 0.6, |rho| < 1).  Prints the TC and exits
 * with 0 when the library agrees with the closed form, 1 otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <mutinf/mutinf.h>

static int fail(const char *what, mutinf_status status)
{
    fprintf(stderr, "%s: %s: %s\n", what, mutinf_status_string(status),
            mutinf_last_error_message());
    return 1;
}

int main(int argc, char **argv)
{
    double rho = argc > 1 ? strtod(argv[1], NULL) : 0.6;
    if (!(fabs(rho) < 1.0)) {
        fprintf(stderr, "rho must be in (-1, 1)\n");
        return 2;
    }
    if (mutinf_version_number() != MUTINF_VERSION_NUMBER) {
        fprintf(stderr, "header version %s but library version %s\n", MUTINF_VERSION_STRING,
                mutinf_version());
        return 1;
    }

    const double weights[4] = {1.0, 0.0, rho, sqrt(1.0 - rho * rho)};
    mutinf_lingauss *model = NULL;
    mutinf_status status = mutinf_lingauss_create(weights, 2, 2, 2, 1, NULL, 0, 0.0, &model);
    if (status != MUTINF_OK) return fail("mutinf_lingauss_create", status);

    mutinf_partition *partition = NULL;
    status = mutinf_partition_create_contiguous(2, 2, &partition);
    if (status != MUTINF_OK) {
        mutinf_lingauss_destroy(model);
        return fail("mutinf_partition_create_contiguous", status);
    }

    double tc = 0.0;
    status = mutinf_lingauss_total_correlation(model, partition, NULL, &tc);
    mutinf_partition_destroy(partition);
    mutinf_lingauss_destroy(model);
    if (status != MUTINF_OK) return fail("mutinf_lingauss_total_correlation", status);

    double expected = -0.5 * log1p(-rho * rho);
    int ok = fabs(tc - expected) <= 1e-12 * fabs(expected) + 1e-15;
    printf("libmutinf %s: rho = %.6f, TC = %.12f nats, -0.5 ln(1 - rho^2) = %.12f: %s\n",
           mutinf_version(), rho, tc, expected, ok ? "ok" : "MISMATCH");
    return ok ? 0 : 1;
}
