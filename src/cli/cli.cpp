#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/patterns_command.hpp"
#include "cli/scan_command.hpp"

namespace wachtpost {

namespace {

void add_pattern_flags(CLI::App& command, PatternSetLocation& location) {
  command.add_option("--patterns", location.patterns_dir,
                     "Folder of rule files (*.yaml); default: the set embedded in this binary")
      ->check(CLI::ExistingDirectory);
  command.add_option("--protected", location.protected_file, "Protected-person registry (YAML)")
      ->check(CLI::ExistingFile);
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"wachtpost: finds threats against protected persons in public posts"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "wachtpost 0.1.0");

  ScanOptions scan;
  auto* scan_command = app.add_subcommand("scan", "Scan newline-delimited JSON posts, print alerts as JSON lines");
  add_pattern_flags(*scan_command, scan.patterns);
  scan_command->add_option("input", scan.input, "Posts file (NDJSON), or - for standard input")
      ->capture_default_str();
  scan_command->add_option("--max-post-bytes", scan.max_post_bytes, "Longest accepted post line, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{64}, std::size_t{64} << 20));
  scan_command->add_option("--pseudonym-key-file", scan.pseudonym_key_file,
                           "Secret key for author pseudonyms (else $WACHTPOST_PSEUDONYM_KEY; none: no author_ref)")
      ->check(CLI::ExistingFile);
  scan_command->add_option("--pseudonym-rotation-hours", scan.pseudonym_rotation_hours,
                           "How long one author pseudonym stays the same")
      ->capture_default_str()
      ->check(CLI::Range(1U, 24U * 366U));

  PatternSetLocation patterns_location;
  auto* patterns_command = app.add_subcommand("patterns", "Check and test pattern sets");
  patterns_command->require_subcommand(1);
  auto* lint = patterns_command->add_subcommand("lint", "Check rule files: ids, fields, expressions, examples");
  auto* test = patterns_command->add_subcommand("test", "Run every rule's embedded examples");
  for (auto* command : {lint, test}) {
    command->add_option("dir", patterns_location.patterns_dir, "Folder of rule files; default: the embedded set")
        ->check(CLI::ExistingDirectory);
    command->add_option("--protected", patterns_location.protected_file, "Protected-person registry (YAML)")
        ->check(CLI::ExistingFile);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitConfigError;
  }

  if (scan_command->parsed()) return run_scan(scan, std::cout, std::cerr);
  if (lint->parsed()) return run_patterns_lint(patterns_location, std::cout, std::cerr);
  if (test->parsed()) return run_patterns_test(patterns_location, std::cout, std::cerr);
  return kExitConfigError;
}

}  // namespace wachtpost
