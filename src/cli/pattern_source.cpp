#include "cli/pattern_source.hpp"

#include <fstream>
#include <sstream>

namespace wachtpost {

std::shared_ptr<const PatternSet> load_pattern_set(const PatternSetLocation& location) {
  LoadedSources loaded;
  std::vector<RuleSource> sources;
  if (location.patterns_dir.empty()) {
    const auto embedded = embedded_pattern_sources();
    sources.assign(embedded.begin(), embedded.end());
  } else {
    loaded = read_rule_directory(location.patterns_dir);
    sources = loaded.views();
  }
  const DatabaseCache cache = DatabaseCache::from_environment();
  PatternSetInput input{sources, std::nullopt, utc_today(), &cache};
  std::string registry_content;
  if (!location.protected_file.empty()) {
    std::ifstream in(location.protected_file, std::ios::binary);
    if (!in) throw PatternSetError({location.protected_file + ": cannot be read"});
    std::ostringstream content;
    content << in.rdbuf();
    registry_content = content.str();
    input.registry = RuleSource{location.protected_file, registry_content};
  } else if (!location.default_registry.empty()) {
    input.registry = RuleSource{"protected.example.yaml", location.default_registry};
  }
  return build_pattern_set(input);
}

std::string describe(const PatternSet& set) {
  std::size_t persons = 0;
  for (const auto& target : set.targets()) persons += target.person_id.empty() ? 0 : 1;
  std::ostringstream out;
  out << "pattern set " << set.hash() << ": " << set.rules().size() << " rules, " << set.targets().size() - persons
      << " role targets, " << persons << " protected persons, " << set.exclusions().size() << " exclusions, "
      << set.patterns().size() << " expressions, " << set.database_bytes() << " bytes compiled";
  return out.str();
}

}  // namespace wachtpost
