#pragma once

// A fresh directory per test for a real database file, removed afterwards.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace interlingua::testing {

struct temp_db {
  temp_db() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = std::filesystem::temp_directory_path() / ("il-store-" + std::to_string(::getpid()) + "-" +
                                                    info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~temp_db() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "interlingua.db").string(); }
  std::filesystem::path dir;
};

}  // namespace interlingua::testing
