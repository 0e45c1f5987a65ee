// When the gateway gives freed memory back to the system. Without it, RSS stayed at its peak
// after a burst of streams (bench/RESULTS.md); with it at every tick, a busy gateway would walk
// its arenas for nothing. The policy is a pure function of (open, accepted) samples.

#include <string>

#include <gtest/gtest.h>

#include <interlingua/server/memory.hpp>

namespace interlingua::server {
namespace {

TEST(TrimPolicy, NothingBeforeAnyTraffic) {
  trim_policy p;
  for (int tick = 0; tick < 5; ++tick) {
    EXPECT_FALSE(p.observe(0, 0));
  }
}

TEST(TrimPolicy, TrimsOnceWhenTheServerGoesIdleAfterTraffic) {
  trim_policy p;
  EXPECT_FALSE(p.observe(3, 10));  // busy
  EXPECT_FALSE(p.observe(0, 12));  // nothing open, but connections came this tick
  EXPECT_TRUE(p.observe(0, 12));   // quiet: trim
  EXPECT_FALSE(p.observe(0, 12));  // and only once
  EXPECT_FALSE(p.observe(0, 12));
}

TEST(TrimPolicy, ShortConnectionsUnderSteadyLoadDoNotTrimEveryTick) {
  // A client without keep-alive: often nothing is open at the sample, but new connections keep
  // coming. The heap is in use; trimming would only cost.
  trim_policy p;
  std::uint64_t accepted = 0;
  for (int tick = 0; tick < 20; ++tick) {
    accepted += 100;
    EXPECT_FALSE(p.observe(0, accepted)) << tick;
  }
}

TEST(TrimPolicy, TrimsWhenABigPeakHalves) {
  trim_policy p;
  EXPECT_FALSE(p.observe(8000, 8000));
  EXPECT_FALSE(p.observe(6000, 8000));  // down a quarter: not yet
  EXPECT_TRUE(p.observe(3900, 8000));   // at most half the peak
  EXPECT_FALSE(p.observe(3000, 8000));  // the new reference is 3,900
  EXPECT_TRUE(p.observe(1900, 8000));
  EXPECT_TRUE(p.observe(0, 8000));  // and once more when idle
  EXPECT_FALSE(p.observe(0, 8000));
}

TEST(TrimPolicy, SmallPeaksWaitForIdle) {
  trim_policy p;
  EXPECT_FALSE(p.observe(100, 100));
  EXPECT_FALSE(p.observe(10, 100));  // a tenth of a small peak: not worth a walk of the heap
  EXPECT_TRUE(p.observe(0, 100));
}

TEST(TrimPolicy, NewTrafficAfterATrimArmsItAgain) {
  trim_policy p;
  EXPECT_FALSE(p.observe(5, 5));
  EXPECT_TRUE(p.observe(0, 5));
  EXPECT_FALSE(p.observe(0, 5));
  EXPECT_FALSE(p.observe(2, 7));
  EXPECT_TRUE(p.observe(0, 7));
}

TEST(TrimPolicy, ReturningFreeMemoryIsSafeToCallAnyTime) {
  // Whatever it returns, the heap stays usable.
  return_free_memory();
  std::string s(1 << 20, 'x');
  EXPECT_EQ(s.size(), 1u << 20);
}

// Idle upstream connections are closed 60 s after the last request, when the server has long
// been quiet and trimmed: what they held must be returned too, or a quiet gateway keeps it.
TEST(TrimPolicy, MemoryFreedWhileQuietArmsItAgain) {
  trim_policy p;
  EXPECT_FALSE(p.observe(2, 50));
  EXPECT_TRUE(p.observe(0, 50));
  EXPECT_FALSE(p.observe(0, 50));
  EXPECT_TRUE(p.observe(0, 50, true));  // the pool let connections go: trim again
  EXPECT_FALSE(p.observe(0, 50));
  EXPECT_FALSE(p.observe(4, 51, true));  // freed while busy: waits for the server to be idle
  EXPECT_TRUE(p.observe(0, 51));
}

}  // namespace
}  // namespace interlingua::server
