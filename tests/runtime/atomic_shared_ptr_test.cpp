#include "runtime/atomic_shared_ptr.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace wachtpost;

// The live pattern set is swapped by the reload thread while workers read it;
// under ThreadSanitizer (the tsan preset runs this suite) a race here fails.
TEST(AtomicSharedPtr, ReadersSeeWholeValuesWhileOneThreadReplacesThem) {
  struct Version {
    int number;
    int check;  // always -number: a torn or freed value would break it
  };
  AtomicSharedPtr<const Version> live(std::make_shared<const Version>(Version{0, 0}));
  constexpr int kVersions = 2000;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> bad{0};
  std::atomic<int> backwards{0};
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      int last = 0;
      while (!done.load()) {
        const auto seen = live.load();
        if (seen->check != -seen->number) ++bad;
        if (seen->number < last) ++backwards;
        last = seen->number;
      }
    });
  }
  for (int v = 1; v <= kVersions; ++v) live.store(std::make_shared<const Version>(Version{v, -v}));
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_EQ(live.load()->number, kVersions);
}

TEST(AtomicSharedPtr, AReplacedValueLivesAsLongAsAReaderHoldsIt) {
  AtomicSharedPtr<int> live(std::make_shared<int>(1));
  const std::shared_ptr<int> held = live.load();
  const std::weak_ptr<int> first = held;
  live.store(std::make_shared<int>(2));
  EXPECT_EQ(*held, 1);
  EXPECT_FALSE(first.expired());
  live.store(std::make_shared<int>(3));
  EXPECT_EQ(*live.load(), 3);
  const std::weak_ptr<int> second = live.load();
  live.store(nullptr);
  EXPECT_TRUE(second.expired()) << "the store released the value it replaced";
  EXPECT_EQ(live.load(), nullptr);
}
