#include "match/pattern_set.hpp"

namespace wachtpost {

PatternSet::PatternSet(std::vector<ThreatRule> rules, std::vector<ProtectedTarget> targets,
                       std::vector<ExclusionContext> exclusions, std::vector<PatternEntry> patterns,
                       std::vector<LearnedCues> learned, HsDatabase database, HsDatabase start_database,
                       std::string hash, std::vector<std::string> notices)
    : rules_(std::move(rules)),
      targets_(std::move(targets)),
      exclusions_(std::move(exclusions)),
      patterns_(std::move(patterns)),
      learned_(std::move(learned)),
      database_(std::move(database)),
      start_database_(std::move(start_database)),
      hash_(std::move(hash)),
      notices_(std::move(notices)) {}

std::size_t PatternSet::database_bytes() const {
  std::size_t total = 0;
  for (const hs_database_t* db : {database_.get(), start_database_.get()}) {
    std::size_t size = 0;
    if (db != nullptr && hs_database_size(db, &size) == HS_SUCCESS) total += size;
  }
  return total;
}

}  // namespace wachtpost
