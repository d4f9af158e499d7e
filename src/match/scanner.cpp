#include "match/scanner.hpp"

#include <stdexcept>
#include <string>

namespace wachtpost {

namespace {

struct ScanContext {
  std::string_view text;
  std::vector<Hit>* hits;
  bool cut_short;
};

// True when [from, to) starts or ends in the middle of a word: "kill" in
// "skill" or "killer". Expressions are compiled without \b, so this check
// makes every match a whole-word match.
bool cuts_a_word(std::string_view text, std::size_t from, std::size_t to) {
  if (from > 0 && from < text.size() && is_word_byte(text[from - 1]) && is_word_byte(text[from])) return true;
  return to > 0 && to < text.size() && is_word_byte(text[to - 1]) && is_word_byte(text[to]);
}

int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/, void* context) {
  auto* ctx = static_cast<ScanContext*>(context);
  if (cuts_a_word(ctx->text, from, to)) return 0;
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
  ScanContext ctx{text, &hits, false};
  const hs_error_t rc =
      hs_scan(set->database(), text.data(), static_cast<unsigned int>(text.size()), 0, scratch_.get(), on_match, &ctx);
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    throw std::runtime_error("Hyperscan scan failed with code " + std::to_string(rc));
  }
  return !ctx.cut_short;
}

}  // namespace wachtpost
