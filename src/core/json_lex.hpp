#pragma once

// The lexical half of the gateway's two JSON readers, fast_json (builds nlohmann trees) and
// json_view (a flat tape): which bytes make a string, an escape, a number and which number kind
// nlohmann would choose. One copy, so the two readers accept exactly the same documents.
// Internal to src/core.

#include <array>
#include <bit>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace interlingua::core::json_lex {

inline unsigned char byte(char c) {
  return static_cast<unsigned char>(c);
}

inline bool in(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The bytes a string holds as they are: printable ASCII but the quote and the backslash.
inline constexpr std::array<bool, 256> plain_byte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) {
    t[c] = true;
  }
  t['"'] = false;
  t['\\'] = false;
  return t;
}();

inline constexpr std::uint64_t ones = 0x0101010101010101ULL;
inline constexpr std::uint64_t highs = 0x8080808080808080ULL;

// Non-zero iff a byte of `v` is zero (exact as a truth value).
constexpr std::uint64_t zero_byte(std::uint64_t v) {
  return (v - ones) & ~v & highs;
}

// A mark in the top bit of each of 8 string bytes that is not plain, so ASCII text is skipped a
// word at a time. The subtractions' borrows can only mark bytes above a truly special one, so the
// lowest mark is exact.
inline std::uint64_t special_bytes(std::uint64_t w) {
  std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  std::uint64_t quote = zero_byte(w ^ (ones * '"'));
  std::uint64_t backslash = zero_byte(w ^ (ones * '\\'));
  return below_space | quote | backslash | (w & highs);
}

// The length of the UTF-8 sequence at `p` (a lead byte >= 0x80) if nlohmann's scan_string accepts
// it, else 0. Its ranges reject overlong forms, encoded surrogates (ED A0..BF), code points past
// U+10FFFF, stray continuation bytes and truncated sequences.
inline std::size_t utf8_length(const char* p, const char* end) {
  unsigned char lead = byte(p[0]);
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  std::size_t n = 0;
  if (in(lead, 0xC2, 0xDF)) {
    n = 2;
  } else if (in(lead, 0xE0, 0xEF)) {
    n = 3;
    lo = lead == 0xE0 ? 0xA0 : lo;
    hi = lead == 0xED ? 0x9F : hi;
  } else if (in(lead, 0xF0, 0xF4)) {
    n = 4;
    lo = lead == 0xF0 ? 0x90 : lo;
    hi = lead == 0xF4 ? 0x8F : hi;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) < n || !in(byte(p[1]), lo, hi)) {
    return 0;
  }
  for (std::size_t i = 2; i < n; ++i) {
    if (!in(byte(p[i]), 0x80, 0xBF)) {
      return 0;
    }
  }
  return n;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    char b[] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    char b[] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    char b[] = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

// A number as nlohmann keeps it.
struct number {
  enum class kind : std::uint8_t { unsigned_integer, integer, floating };
  kind k = kind::unsigned_integer;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  double d = 0;
};

// What nlohmann's strtod gives, for the underflow and overflow cases from_chars leaves unset.
// nlohmann writes the locale's decimal point into the text it hands strtod, so this does too.
inline double strtod_as_nlohmann(const char* first, const char* last) {
  std::string text(first, last);
  char point = *std::localeconv()->decimal_point;
  for (char& c : text) {
    c = c == '.' ? point : c;
  }
  return std::strtod(text.c_str(), nullptr);
}

// nlohmann keeps a number without fraction or exponent as an integer when strtoull (no sign) or
// strtoll (a '-') can hold it; false sends it on to the float path, as nlohmann's errno check does.
inline bool to_integer(const char* first, const char* last, bool negative, number& out) {
  std::uint64_t v = 0;
  for (const char* p = first; p != last; ++p) {
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, byte(*p) - '0', &v)) {
      return false;
    }
  }
  if (!negative) {
    out.k = number::kind::unsigned_integer;
    out.u = v;
    return true;
  }
  if (v > (std::uint64_t{1} << 63)) {
    return false;
  }
  out.k = number::kind::integer;
  out.i = static_cast<std::int64_t>(~v + 1);  // two's complement, -2^63 included
  return true;
}

// from_chars rounds correctly as glibc's strtod does, without the copy or the locale. False when
// the value is not finite: nlohmann's parser rejects it ("number overflow parsing").
inline bool to_float(const char* first, const char* last, number& out) {
  double d = 0;
  auto [end, ec] = std::from_chars(first, last, d);
  if (ec == std::errc::result_out_of_range) {
    d = strtod_as_nlohmann(first, last);
  } else if (ec != std::errc{} || end != last) {
    return false;  // unreachable: the grammar was checked before
  }
  if (!std::isfinite(d)) {
    return false;
  }
  out.k = number::kind::floating;
  out.d = d;
  return true;
}

// A cursor over the text with the token readers both parsers share. Each reader advances past
// what it read and returns false on malformed input (where the cursor then is does not matter).
class lexer {
 public:
  explicit lexer(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool at(char c) const { return p_ != end_ && *p_ == c; }
  bool at_end() const { return p_ == end_; }
  char peek() const { return *p_; }  // callers checked !at_end()
  void advance() { ++p_; }
  const char* position() const { return p_; }

  void skip_byte_order_mark() {
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) {
      p_ += 3;
    }
  }

  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  // Whitespace, `c` (a ':' or a ','), whitespace: false when `c` is not there.
  bool separator(char c) {
    skip_whitespace();
    if (!at(c)) {
      return false;
    }
    ++p_;
    skip_whitespace();
    return true;
  }

  // After the document and its trailing whitespace. nlohmann's lexer takes a NUL byte for the end
  // of input (it also reads C strings), so whatever follows one after the document is ignored, as
  // there.
  bool at_document_end() const { return p_ == end_ || *p_ == '\0'; }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // Reads a string body after its opening quote, and the closing quote. A string without escapes
  // is left where it is: `plain` is its bytes in the text and `decoded` false. Otherwise its
  // decoded text is appended to `out` and `decoded` is true. Runs of plain bytes are copied whole;
  // only escapes are decoded one at a time.
  bool string(std::string_view& plain, std::string& out, bool& decoded) {
    const char* start = p_;
    if (!plain_run()) {
      return false;
    }
    if (at('"')) {
      plain = std::string_view(start, static_cast<std::size_t>(p_ - start));
      decoded = false;
      ++p_;
      return true;
    }
    decoded = true;
    out.append(start, p_);
    while (at('\\')) {
      ++p_;
      if (!escape(out)) {
        return false;
      }
      start = p_;
      if (!plain_run()) {
        return false;
      }
      out.append(start, p_);
    }
    if (!at('"')) {
      return false;  // the end of input or a raw control character
    }
    ++p_;
    return true;
  }

  // RFC 8259's grammar, then nlohmann's choice of number kind. Whatever follows the number is the
  // caller's to judge, as a second token is in nlohmann ("01" is 0 followed by a stray 1).
  bool read_number(number& out) {
    const char* start = p_;
    bool negative = at('-');
    p_ += negative ? 1 : 0;
    const char* integer_start = p_;
    if (at('0')) {
      ++p_;
    } else if (p_ != end_ && *p_ >= '1' && *p_ <= '9') {
      digits();
    } else {
      return false;
    }
    const char* integer_end = p_;
    bool is_float = false;
    if (at('.')) {
      ++p_;
      if (!digits()) {
        return false;
      }
      is_float = true;
    }
    if (at('e') || at('E')) {
      ++p_;
      p_ += (at('+') || at('-')) ? 1 : 0;
      if (!digits()) {
        return false;
      }
      is_float = true;
    }
    if (!is_float && to_integer(integer_start, integer_end, negative, out)) {
      return true;
    }
    return to_float(start, p_, out);
  }

 private:
  // Advances over printable ASCII and well-formed UTF-8; stops at a quote, a backslash, a control
  // byte or the end. False on ill-formed UTF-8.
  bool plain_run() {
    while (true) {
      while (end_ - p_ >= 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, p_, 8);
        std::uint64_t marks = special_bytes(w);
        if (marks != 0) {
          // The first byte in memory is the lowest one on little-endian machines.
          p_ += std::endian::native == std::endian::little ? std::countr_zero(marks) / 8 : 0;
          break;
        }
        p_ += 8;
      }
      while (p_ != end_ && plain_byte[byte(*p_)]) {
        ++p_;
      }
      if (p_ == end_ || byte(*p_) < 0x80) {
        return true;
      }
      std::size_t n = utf8_length(p_, end_);
      if (n == 0) {
        return false;
      }
      p_ += n;
    }
  }

  // Decodes the escape after a backslash.
  bool escape(std::string& out) {
    if (p_ == end_) {
      return false;
    }
    switch (*p_++) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        return unicode_escape(out);
      default:
        return false;
    }
  }

  // \uXXXX after the 'u'. A high surrogate must be followed by a \u low surrogate and the pair
  // becomes one code point; a lone surrogate is malformed, as in nlohmann.
  bool unicode_escape(std::string& out) {
    std::uint32_t cp = 0;
    if (!hex4(cp) || in_range(cp, 0xDC00, 0xDFFF)) {
      return false;
    }
    if (in_range(cp, 0xD800, 0xDBFF)) {
      std::uint32_t low = 0;
      if (!at('\\') || end_ - p_ < 2 || p_[1] != 'u') {
        return false;
      }
      p_ += 2;
      if (!hex4(low) || !in_range(low, 0xDC00, 0xDFFF)) {
        return false;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  static bool in_range(std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
    return v >= lo && v <= hi;
  }

  bool hex4(std::uint32_t& cp) {
    if (end_ - p_ < 4) {
      return false;
    }
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      std::uint32_t d = 0;
      if (is_digit(c)) {
        d = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      cp = cp << 4 | d;
    }
    return true;
  }

  // At least one digit.
  bool digits() {
    const char* start = p_;
    while (p_ != end_ && is_digit(*p_)) {
      ++p_;
    }
    return p_ != start;
  }

  const char* p_;
  const char* end_;
};

}  // namespace interlingua::core::json_lex
