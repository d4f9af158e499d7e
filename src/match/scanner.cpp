#include "match/scanner.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>

namespace wachtpost {

namespace {

// Expressions are compiled without \b, so these checks make every match a
// whole-word match: "kill" neither in "skill" nor in "killer".
bool starts_inside_a_word(std::string_view text, std::size_t from) {
  return from > 0 && from < text.size() && is_word_byte(text[from - 1]) && is_word_byte(text[from]);
}
bool ends_inside_a_word(std::string_view text, std::size_t to) {
  return to > 0 && to < text.size() && is_word_byte(text[to - 1]) && is_word_byte(text[to]);
}

bool is_utf8_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

struct EndScan {
  std::string_view text;
  std::span<const PatternEntry> patterns;
  std::vector<Hit>* hits;
  std::vector<Scanner::OpenEnd>* open_ends;
  bool cut_short;
  bool target;  // a target matched (or may have: one of varying width)
};

int on_end(unsigned int id, unsigned long long /*from*/, unsigned long long to, unsigned int /*flags*/, void* context) {
  auto* scan = static_cast<EndScan*>(context);
  if (ends_inside_a_word(scan->text, to)) return 0;
  if (scan->hits->size() + scan->open_ends->size() >= Scanner::kMaxHits) {
    scan->cut_short = true;
    return 1;  // stop scanning
  }
  const PatternEntry& pattern = scan->patterns[id];
  const auto end = static_cast<std::uint32_t>(to);
  if (!pattern.fixed_width()) {
    scan->open_ends->push_back({end, id});
    scan->target = scan->target || pattern.kind == PatternKind::kTarget;
    return 0;
  }
  const std::uint32_t from = end - pattern.min_width;
  if (starts_inside_a_word(scan->text, from)) return 0;
  scan->hits->push_back({id, from, end});
  scan->target = scan->target || pattern.kind == PatternKind::kTarget;
  return 0;
}

struct StartScan {
  std::string_view text;
  std::uint32_t window_begin;
  std::span<const Scanner::OpenEnd> open_ends;  // sorted
  std::span<std::uint8_t> found;                // beside open_ends: already resolved
  std::vector<Hit>* hits;
};

int on_start(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/, void* context) {
  auto* scan = static_cast<StartScan*>(context);
  const Scanner::OpenEnd wanted{static_cast<std::uint32_t>(to) + scan->window_begin, id};
  const auto it = std::lower_bound(scan->open_ends.begin(), scan->open_ends.end(), wanted);
  if (it == scan->open_ends.end() || it->to != wanted.to || it->pattern != id) return 0;
  std::uint8_t& found = scan->found[static_cast<std::size_t>(it - scan->open_ends.begin())];
  if (found != 0) return 0;
  found = 1;
  const std::uint32_t start = static_cast<std::uint32_t>(from) + scan->window_begin;
  if (!starts_inside_a_word(scan->text, start)) scan->hits->push_back({id, start, wanted.to});
  return 0;
}

}  // namespace

void Scanner::prepare(const std::shared_ptr<const PatternSet>& set) {
  // One scratch serves both databases: the second call grows it to fit.
  hs_scratch_t* raw = scratch_.release();
  for (const hs_database_t* db : {set->database(), set->start_database()}) {
    if (db != nullptr && hs_alloc_scratch(db, &raw) != HS_SUCCESS) {
      scratch_.reset(raw);
      throw std::runtime_error("cannot allocate Hyperscan scratch space");
    }
  }
  scratch_.reset(raw);
  prepared_for_ = set;
}

bool Scanner::scan(const std::shared_ptr<const PatternSet>& set, std::string_view text, std::vector<Hit>& hits,
                   Starts starts) {
  hits.clear();
  open_ends_.clear();
  if (prepared_for_ != set) prepare(set);
  EndScan ends{text, set->patterns(), &hits, &open_ends_, false, false};
  const hs_error_t rc =
      hs_scan(set->database(), text.data(), static_cast<unsigned int>(text.size()), 0, scratch_.get(), on_end, &ends);
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    throw std::runtime_error("Hyperscan scan failed with code " + std::to_string(rc));
  }
  if (!open_ends_.empty() && (starts == Starts::kAlways || ends.target)) find_starts(*set, text, hits);
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.to != b.to) return a.to < b.to;
    return a.from != b.from ? a.from < b.from : a.pattern < b.pattern;
  });
  return !ends.cut_short;
}

void Scanner::find_starts(const PatternSet& set, std::string_view text, std::vector<Hit>& hits) {
  std::sort(open_ends_.begin(), open_ends_.end());
  const auto size = static_cast<std::uint32_t>(text.size());
  const auto patterns = set.patterns();
  const auto window_begin = [&](const OpenEnd& end) {
    const std::uint32_t width = patterns[end.pattern].max_width;  // UINT32_MAX when unbounded
    std::uint32_t begin = width >= end.to ? 0 : end.to - width - 1;
    while (begin > 0 && is_utf8_continuation(text[begin])) --begin;
    return begin;
  };
  const auto window_end = [&](const OpenEnd& end) {
    std::uint32_t stop = std::min(size, end.to + 2);
    while (stop < size && is_utf8_continuation(text[stop])) ++stop;
    return stop;
  };
  found_.assign(open_ends_.size(), 0);
  std::uint32_t begin = size;
  for (const OpenEnd& end : open_ends_) begin = std::min(begin, window_begin(end));
  const std::uint32_t stop = window_end(open_ends_.back());  // sorted by end
  StartScan scan{text, begin, open_ends_, found_, &hits};
  const hs_error_t rc =
      hs_scan(set.start_database(), text.data() + begin, stop - begin, 0, scratch_.get(), on_start, &scan);
  if (rc != HS_SUCCESS) throw std::runtime_error("Hyperscan scan failed with code " + std::to_string(rc));
}

}  // namespace wachtpost
