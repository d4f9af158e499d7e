// Runs a fuzz target's LLVMFuzzerTestOneInput over every file of the
// directories (or files) given, without libFuzzer: the ordinary build (gcc,
// no sanitizers) replays the seed corpus and every past crash this way, so a
// crash once found stays a regression test in the normal suite.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional in a fuzz target; weak so that targets without it still link.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// Dot files (.gitkeep) keep empty folders in git; they are no inputs.
bool is_input(const fs::directory_entry& entry) {
  return entry.is_regular_file() && !entry.path().filename().string().starts_with(".");
}

bool collect(const fs::path& path, std::vector<fs::path>& inputs) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    inputs.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "replay: %s: no such file or directory\n", path.c_str());
    return false;
  }
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (is_input(entry)) inputs.push_back(entry.path());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  bool ok = true;
  for (int i = 1; i < argc; ++i) ok = collect(argv[i], inputs) && ok;
  if (!ok) return 2;
  // Stable order, so a failure reproduces the same way on every machine.
  std::sort(inputs.begin(), inputs.end());
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: %s: cannot be read\n", path.c_str());
      return 2;
    }
    // Exactly the file's bytes in a buffer of their own, so a sanitizer build
    // catches a read past the end as libFuzzer would.
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), data.size());
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, no failure\n", inputs.size());
  return 0;
}
