#pragma once
// The demo's bundled inputs, compiled into the binary (cmake/EmbedDemo.cmake):
// patterns/examples/posts.ndjson and patterns/protected.example.yaml, both
// fictional.

#include <string_view>

namespace wachtpost {

std::string_view demo_posts();
std::string_view demo_registry();

}  // namespace wachtpost
