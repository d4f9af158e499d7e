#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wachtpost {

// Parses an RFC 3339 date-time ("2026-11-20T09:15:00Z", "...T09:15:00.123+01:00")
// into milliseconds since the Unix epoch, UTC. nullopt when not RFC 3339.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

// Formats milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_rfc3339_ms(std::int64_t epoch_ms);

}  // namespace wachtpost
