#pragma once

// What the interaction-store tests share: a SQLite store opened on a test's file, and whether
// a record of owner "o" is there.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <interlingua/store/interactions.hpp>

namespace interlingua::testing {

inline std::shared_ptr<store::interaction_store> open(const std::string& path) {
  std::string error;
  auto s = store::open_sqlite(path, error);
  EXPECT_TRUE(s) << error;
  return s;
}

inline bool exists(store::interaction_store& s, const std::string& id) {
  auto got = s.get(id, "o");
  return got && got->has_value();
}

}  // namespace interlingua::testing
