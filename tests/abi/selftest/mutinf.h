/* Self-test input of tests/abi/selftest.cmake: an umbrella missing a header. */
#ifndef MUTINF_MUTINF_H
#define MUTINF_MUTINF_H
#include "common.h"
#endif
