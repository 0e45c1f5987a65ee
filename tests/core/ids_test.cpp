// Timestamps and ids the gateway writes into answers. rfc3339 is formatted by hand on the hot
// path (no strftime): these compare it with the C library's formatting across the calendar.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include <interlingua/core/ids.hpp>

namespace interlingua::core {
namespace {

std::string by_strftime(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

TEST(Rfc3339, KnownInstants) {
  using std::chrono::system_clock;
  EXPECT_EQ(rfc3339(system_clock::from_time_t(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(system_clock::from_time_t(951782400)), "2000-02-29T00:00:00Z");  // leap day
  EXPECT_EQ(rfc3339(system_clock::from_time_t(1796577575)), "2026-12-06T17:19:35Z");
  // Sub-second parts are cut, not rounded: "created" never lies in the future.
  EXPECT_EQ(rfc3339(system_clock::from_time_t(59) + std::chrono::milliseconds(999)),
            "1970-01-01T00:00:59Z");
}

TEST(Rfc3339, MatchesStrftimeAcrossTheCalendar) {
  // Every ~13.7 hours for 130 years (leap years, centuries, month ends, every hour and minute
  // digit), and the instants before 1970.
  for (std::time_t t = -2'000'000'000; t < 4'102'444'800; t += 49'391) {
    ASSERT_EQ(rfc3339(std::chrono::system_clock::from_time_t(t)), by_strftime(t)) << t;
  }
}

// Julep's timestamps carry microseconds: the same calendar, and a six-digit fraction that stays
// in [0, 999999] before 1970, as the snprintf formatting they replaced wrote it.
TEST(Rfc3339, MicrosecondsMatchTheCLibraryAcrossTheCalendar) {
  for (std::int64_t us = -2'000'000'000'000'000; us < 4'102'444'800'000'000; us += 49'391'123'457) {
    std::int64_t secs = us / 1'000'000;
    std::int64_t micros = us % 1'000'000;
    if (micros < 0) {
      micros += 1'000'000;
      secs -= 1;
    }
    std::string expected = by_strftime(static_cast<std::time_t>(secs));
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
    expected.replace(expected.size() - 1, 1, fraction);
    ASSERT_EQ(rfc3339_micros(us), expected) << us;
  }
  EXPECT_EQ(rfc3339_micros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(rfc3339_micros(1748853005000007), "2025-06-02T08:30:05.000007Z");
}

}  // namespace
}  // namespace interlingua::core
