// wachtpost: the executable only wires the command line; the logic lives in
// the wachtpost_core library so tests and benchmarks use exactly the same code.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return wachtpost::run_cli(argc, argv); }
