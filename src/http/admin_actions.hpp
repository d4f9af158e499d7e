#pragma once
// What the desk server's admin routes ask of whoever governs the pattern set
// (runtime/pattern_reloader). The server only checks the caller's token and
// role; the decisions (policy, four eyes, the gate) are made behind this.

#include <string>
#include <string_view>

namespace wachtpost {

struct AdminReply {
  unsigned status = 200;  // HTTP status
  std::string json;       // one JSON object
};

class AdminActions {
 public:
  virtual ~AdminActions() = default;
  // Build the set from its files and put it through the gate, on a thread of
  // the callee's own (a build takes seconds; the server must not wait).
  // `activate`: go live at once where the policy allows; otherwise (and
  // always under four eyes) the set becomes the pending proposal.
  virtual AdminReply request_build(const std::string& by, bool activate) = 0;
  // Approve the pending proposal, which must have exactly `hash`.
  virtual AdminReply approve(const std::string& by, std::string_view hash) = 0;
  // Drop the pending proposal (and its shadow run).
  virtual AdminReply withdraw(const std::string& by) = 0;
  // Policy, live set, last reload, pending proposal with its shadow counts.
  [[nodiscard]] virtual std::string status_json() const = 0;
};

}  // namespace wachtpost
