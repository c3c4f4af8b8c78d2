/**
 * @file mutinf/mutinf.h
 * @brief libmutinf: mutual information between modules of units.
 *
 * The umbrella header; include it, or only the area headers you use.
 */
#ifndef MUTINF_MUTINF_H
#define MUTINF_MUTINF_H

#include "common.h"
#include "partition.h"
#include "model.h"
#include "jacobian.h"
#include "kmeans.h"
#include "activations.h"

#endif /* MUTINF_MUTINF_H */
