/* Internal: the activations handle, read directly by the estimators. */
#ifndef MUTINF_SRC_ACTIVATIONS_H
#define MUTINF_SRC_ACTIVATIONS_H

#include "mutinf/activations.h"
#include "view.h"

struct mutinf_activations {
    mutinf__view view; /* rank 2: dim[0] samples, dim[1] units; finite */
};

#endif
