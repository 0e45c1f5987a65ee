#include <interlingua/core/ids.hpp>

#include <array>
#include <ctime>
#include <random>

namespace interlingua::core {

std::string random_id(std::string_view prefix, std::size_t length) {
  static constexpr std::string_view alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  // Per thread: workers never contend; seeded from the OS so ids do not repeat across restarts.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::string id(prefix);
  id.reserve(prefix.size() + length);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (std::size_t i = 0; i < length; ++i) {
    id.push_back(alphabet[pick(gen)]);
  }
  return id;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf.data(), n);
}

}  // namespace interlingua::core
