#include <interlingua/dialects/sessions.hpp>

#include <array>
#include <chrono>
#include <random>

#include <interlingua/core/ids.hpp>

namespace interlingua::dialects::sessions {

std::string timestamp(std::int64_t unix_us) {
  return core::rfc3339_micros(unix_us);
}

// RFC 9562 UUID version 7: 48 bits of unix milliseconds, so ids sort by creation time (Julep
// makes its ids with uuid7 too), then version, variant and 74 random bits.
std::string new_uuid() {
  // Per thread: workers never contend; seeded from the OS so ids do not repeat across restarts.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 6; ++i) {
    b[static_cast<std::size_t>(i)] =
        static_cast<unsigned char>((static_cast<std::uint64_t>(ms) >> (40 - 8 * i)) & 0xFF);
  }
  std::uint64_t r1 = gen();
  std::uint64_t r2 = gen();
  for (std::size_t i = 6; i < 16; ++i) {
    std::uint64_t& r = i < 14 ? r1 : r2;
    b[i] = static_cast<unsigned char>(r & 0xFF);
    r >>= 8;
  }
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));  // variant 10xx
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 0x0F]);
  }
  return out;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace interlingua::dialects::sessions
