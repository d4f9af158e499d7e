#pragma once
// Runs every rule's embedded examples through the whole post path: a
// positive example must make its rule fire, a negative one must not. Used by
// `wachtpost patterns test` and by the reload gate.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "match/pattern_set.hpp"

namespace wachtpost {

struct ExampleCheck {
  std::size_t passed = 0;
  std::vector<std::string> failures;  // "file:line: rule 'id': ..."
};

ExampleCheck check_examples(const std::shared_ptr<const PatternSet>& set);

}  // namespace wachtpost
