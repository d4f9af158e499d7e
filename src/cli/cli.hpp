#pragma once

namespace wachtpost {

// Exit codes of every wachtpost command (documented in the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRejectedInput = 1;  // some input was refused; the rest was processed
inline constexpr int kExitConfigError = 2;       // bad flags, unreadable or invalid pattern set/config
inline constexpr int kExitIo = 3;             // the input could not be read to its end

// Parses the command line and runs the chosen subcommand.
int run_cli(int argc, char** argv);

}  // namespace wachtpost
