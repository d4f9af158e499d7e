# Included by the top CMakeLists.txt before any target exists: with
# WACHTPOST_FUZZ=ON every object of the build, the library included, carries
# libFuzzer's coverage and ASan/UBSan, so the fuzzers see into the code they
# drive and any memory error or undefined behaviour stops them.
if(NOT WACHTPOST_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "WACHTPOST_FUZZ=ON needs clang++ (libFuzzer ships with clang), not "
                      "${CMAKE_CXX_COMPILER_ID}: configure a fresh build directory with CC=clang CXX=clang++")
endif()
if(NOT WACHTPOST_BUILD_TESTS)
  message(FATAL_ERROR "WACHTPOST_FUZZ=ON needs WACHTPOST_BUILD_TESTS=ON (the fuzzers live in tests/fuzz)")
endif()
if(WACHTPOST_SANITIZE)
  message(FATAL_ERROR "WACHTPOST_FUZZ=ON brings its own sanitizers (address,undefined); leave WACHTPOST_SANITIZE empty")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
add_link_options(-fsanitize=address,undefined)
