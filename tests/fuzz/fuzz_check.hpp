#pragma once
// Invariant checks for the fuzz targets. A violated promise must stop the
// run the way a crash does (libFuzzer saves the input), also in the replay
// build where assert() may be compiled out.

#include <cstdio>
#include <cstdlib>

#define WACHTPOST_FUZZ_CHECK(condition)                                                        \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)
