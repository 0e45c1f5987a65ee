#include <interlingua/core/json_write.hpp>

#include <charconv>

namespace interlingua::core::json_write {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

void escape_ascii(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  static constexpr char hex[] = "0123456789abcdef";
  auto b = static_cast<unsigned char>(c);
  out += "\\u00";
  out += hex[b >> 4];
  out += hex[b & 0xF];
}

bool needs_escape(unsigned char b) {
  return b < 0x20 || b == '"' || b == '\\';
}

// A well-formed UTF-8 sequence starting with `lead` (Unicode Table 3-7): its length and the
// range of its second byte; length 0 for a byte that starts none.
struct lead_info {
  int length;
  unsigned char lo;
  unsigned char hi;
};

lead_info lead_of(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) {
    return {2, 0x80, 0xBF};
  }
  if (b == 0xE0) {
    return {3, 0xA0, 0xBF};
  }
  if (b == 0xED) {
    return {3, 0x80, 0x9F};  // no surrogates
  }
  if (b >= 0xE1 && b <= 0xEF) {
    return {3, 0x80, 0xBF};
  }
  if (b == 0xF0) {
    return {4, 0x90, 0xBF};
  }
  if (b >= 0xF1 && b <= 0xF3) {
    return {4, 0x80, 0xBF};
  }
  if (b == 0xF4) {
    return {4, 0x80, 0x8F};  // nothing above U+10FFFF
  }
  return {0, 0, 0};  // continuation byte, C0, C1, F5..FF
}

void append_sequence(std::string& out, std::string_view seq, escape how) {
  if (how == escape::wire) {
    if (seq == "\xE2\x80\xA8") {
      out += "\\u2028";
      return;
    }
    if (seq == "\xE2\x80\xA9") {
      out += "\\u2029";
      return;
    }
    if (seq == "\xC2\x85") {
      out += "\\u0085";
      return;
    }
  }
  out += seq;
}

}  // namespace

void string(std::string& out, std::string_view s, escape how) {
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Runs of plain ASCII are copied at once.
    std::size_t run = i;
    while (run < n && static_cast<unsigned char>(s[run]) < 0x80 &&
           !needs_escape(static_cast<unsigned char>(s[run]))) {
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i == n) {
      break;
    }
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      escape_ascii(out, s[i]);
      ++i;
      continue;
    }
    lead_info lead = lead_of(b);
    if (lead.length == 0) {
      out += replacement;  // a byte no sequence starts with: replaced, skipped
      ++i;
      continue;
    }
    int k = 1;
    for (; k < lead.length && i + k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      unsigned char lo = k == 1 ? lead.lo : 0x80;
      unsigned char hi = k == 1 ? lead.hi : 0xBF;
      if (c < lo || c > hi) {
        break;
      }
    }
    if (k == lead.length) {
      append_sequence(out, s.substr(i, k), how);
      i += k;
      continue;
    }
    // An ill-formed sequence: one U+FFFD for the bytes read so far. The byte that broke it is
    // read again as the start of what follows (nlohmann does the same); a string that ends
    // inside a sequence ends with the U+FFFD.
    out += replacement;
    i += k;
  }
  out += '"';
}

void integer(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace interlingua::core::json_write
