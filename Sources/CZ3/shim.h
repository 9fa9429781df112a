#ifndef LEAKCHECK_CZ3_SHIM_H
#define LEAKCHECK_CZ3_SHIM_H
#include <z3.h>
#endif
