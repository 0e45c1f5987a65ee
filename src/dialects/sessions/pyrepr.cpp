#include "pyrepr.hpp"

#include <cmath>
#include <cstdio>

#include <interlingua/core/json_util.hpp>

namespace interlingua::dialects::sessions {

namespace {

using namespace core::json_util;

constexpr std::size_t max_received = 500;

void py_quote(const std::string& s, std::string& out) {
  char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  out += q;
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == q) {
      out += '\\';
      out += ch;
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      out += ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += ch;
    }
  }
  out += q;
}

// Python's repr() of the value the JSON decodes to.
void py_repr(const json& j, std::string& out) {
  switch (j.type()) {
    case json::value_t::null:
      out += "None";
      return;
    case json::value_t::boolean:
      out += j.get<bool>() ? "True" : "False";
      return;
    case json::value_t::string:
      py_quote(text(j), out);
      return;
    case json::value_t::number_float: {
      double d = j.get<double>();
      out += std::isnan(d) ? "nan" : std::isinf(d) ? (d > 0 ? "inf" : "-inf") : j.dump();
      return;
    }
    case json::value_t::array:
    case json::value_t::object: {
      bool object = j.is_object();
      out += object ? '{' : '[';
      const char* sep = "";
      for (const auto& [key, value] : j.items()) {
        out += sep;
        sep = ", ";
        if (object) {
          py_quote(key, out);
          out += ": ";
        }
        py_repr(value, out);
      }
      out += object ? '}' : ']';
      return;
    }
    default:
      out += j.dump();
      return;
  }
}

}  // namespace

std::string py_str(const json& j) {
  std::string out;
  if (j.is_string()) {
    out = text(j);
  } else {
    py_repr(j, out);
  }
  if (out.size() > max_received) {
    std::size_t end = max_received;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) {
      --end;
    }
    out.resize(end);
    out += "...";
  }
  return out;
}

}  // namespace interlingua::dialects::sessions
