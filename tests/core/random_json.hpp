#pragma once

// Seeded random JSON documents and their malformed neighbours, for the differential tests of the
// gateway's JSON readers (fast_json_test.cpp).

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace interlingua::core::testing {

// Random documents with the spellings a hand-written corpus misses (exponent forms, mixed-case
// \u escapes, raw multi-byte text, odd whitespace), from a fixed seed so failures reproduce. The
// engine's raw output is used, not std:: distributions, whose results differ between libraries.
class generator {
 public:
  explicit generator(std::uint32_t seed) : rng_(seed) {}

  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }

  std::string document() {
    std::string out;
    value(out, 0);
    space(out);
    return out;
  }

 private:
  void space(std::string& out) {
    static constexpr char ws[] = {' ', '\t', '\n', '\r'};
    for (std::uint32_t n = below(4) == 0 ? below(3) : 0; n > 0; --n) {
      out += ws[below(4)];
    }
  }

  void value(std::string& out, int depth) {
    space(out);
    std::uint32_t kind = below(depth < 5 ? 8 : 5);
    if (kind == 0) {
      out += below(3) == 0 ? "null" : below(2) ? "true" : "false";
    } else if (kind <= 2) {
      number(out);
    } else if (kind <= 4) {
      string(out);
    } else {
      container(out, depth, kind == 5);
    }
  }

  void digits(std::string& out, std::uint32_t n) {
    for (; n > 0; --n) {
      out += static_cast<char>('0' + below(10));
    }
  }

  void number(std::string& out) {
    static const char* edges[] = {"9223372036854775807",
                                  "9223372036854775808",
                                  "18446744073709551615",
                                  "18446744073709551616",
                                  "0",
                                  "1e308"};
    out += below(3) == 0 ? "-" : "";
    if (below(8) == 0) {
      out += edges[below(6)];
      return;
    }
    std::uint32_t n = 1 + below(below(4) == 0 ? 25 : 6);
    out += n == 1 ? "" : std::string(1, static_cast<char>('1' + below(9)));
    digits(out, n == 1 ? 1 : n - 1);
    if (below(3) == 0) {
      out += '.';
      digits(out, 1 + below(20));
    }
    if (below(4) == 0) {
      out += below(2) ? 'e' : 'E';
      out += below(3) == 0 ? "+" : below(2) ? "-" : "";
      digits(out, 1 + below(2));  // up to e99: always finite, so always valid
    }
  }

  void code_point_escape(std::string& out, std::uint32_t cp) {
    char buf[8];
    std::snprintf(buf, sizeof buf, below(2) ? "\\u%04x" : "\\u%04X", cp);
    out += buf;
  }

  void string(std::string& out) {
    static const char* pieces[] = {"a",
                                   "hello world",
                                   "\\\"",
                                   "\\\\",
                                   "\\/",
                                   "\\b",
                                   "\\f",
                                   "\\n",
                                   "\\r",
                                   "\\t",
                                   "\xC3\xA9",
                                   "\xE2\x82\xAC",
                                   "\xF0\x9F\x98\x80",
                                   "\xF4\x8F\xBF\xBF",
                                   "\xED\x9F\xBF",
                                   " "};
    out += '"';
    for (std::uint32_t n = below(12); n > 0; --n) {
      std::uint32_t pick = below(20);
      if (pick < 16) {
        out += pieces[pick];
      } else if (pick < 18) {
        std::uint32_t cp = below(0xD800);
        code_point_escape(out, cp);
      } else {
        code_point_escape(out, 0xD800 + below(0x400));
        code_point_escape(out, 0xDC00 + below(0x400));
      }
    }
    out += '"';
  }

  void container(std::string& out, int depth, bool array) {
    out += array ? '[' : '{';
    for (std::uint32_t i = 0, n = below(6); i < n; ++i) {
      out += i ? "," : "";
      if (!array) {
        space(out);
        out += "\"k";
        out += static_cast<char>('a' + below(4));  // a small key set makes duplicates
        out += '"';
        space(out);
        out += ':';
      }
      value(out, depth + 1);
      space(out);
    }
    space(out);
    out += array ? ']' : '}';
  }

  std::mt19937 rng_;
};

// Replaces, inserts or deletes one byte, or truncates: the malformed neighbours of a document.
inline std::string mutate(std::string doc, generator& g) {
  static const unsigned char bytes[] = {'"',  '\\', '[',  ']',  '{',  '}',  ',',  ':',
                                        '0',  '1',  '-',  '+',  '.',  'e',  ' ',  '\n',
                                        'u',  't',  0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0,
                                        0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::size_t at = doc.empty() ? 0 : g.below(static_cast<std::uint32_t>(doc.size()));
  char b = static_cast<char>(bytes[g.below(sizeof bytes)]);
  switch (g.below(4)) {
    case 0:
      if (!doc.empty()) {
        doc[at] = b;
      }
      break;
    case 1:
      doc.insert(doc.begin() + static_cast<std::ptrdiff_t>(at), b);
      break;
    case 2:
      doc.erase(at, 1);
      break;
    default:
      doc.resize(at);
      break;
  }
  return doc;
}

}  // namespace interlingua::core::testing
