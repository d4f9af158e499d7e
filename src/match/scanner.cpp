#include "match/scanner.hpp"

#include <stdexcept>
#include <string>

namespace wachtpost {

namespace {

struct ScanContext {
  std::vector<Hit>* hits;
  bool cut_short;
};

int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/,
             void* context) {
  auto* ctx = static_cast<ScanContext*>(context);
  if (ctx->hits->size() >= Scanner::kMaxHits) {
    ctx->cut_short = true;
    return 1;  // stop scanning
  }
  ctx->hits->push_back({id, static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to)});
  return 0;
}

}  // namespace

void Scanner::prepare(const std::shared_ptr<const PatternSet>& set) {
  hs_scratch_t* raw = scratch_.release();
  if (hs_alloc_scratch(set->database(), &raw) != HS_SUCCESS) {
    scratch_.reset(raw);
    throw std::runtime_error("cannot allocate Hyperscan scratch space");
  }
  scratch_.reset(raw);
  prepared_for_ = set;
}

bool Scanner::scan(const std::shared_ptr<const PatternSet>& set, std::string_view text, std::vector<Hit>& hits) {
  hits.clear();
  if (prepared_for_ != set) prepare(set);
  ScanContext ctx{&hits, false};
  const hs_error_t rc = hs_scan(set->database(), text.data(), static_cast<unsigned int>(text.size()), 0,
                                scratch_.get(), on_match, &ctx);
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    throw std::runtime_error("Hyperscan scan failed with code " + std::to_string(rc));
  }
  return !ctx.cut_short;
}

}  // namespace wachtpost
