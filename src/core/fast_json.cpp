#include <interlingua/core/fast_json.hpp>

#include <string>
#include <vector>

#include "json_lex.hpp"

namespace interlingua::core::fast_json {

namespace {

using json = nlohmann::json;

// Iterative, with an explicit stack of open containers, so hostile nesting cannot overflow the
// machine stack. The tree is built in place: each open container is a pointer into its parent,
// which stays valid because nothing is added to the parent until the child closes.
class parser {
 public:
  explicit parser(std::string_view text) : lex_(text) {
    stack_.reserve(16);  // one allocation for the usual nesting, not one per doubling
  }

  bool document(json& root) {
    lex_.skip_byte_order_mark();
    lex_.skip_whitespace();
    if (!value(root)) {
      return false;
    }
    while (!stack_.empty()) {
      if (!step()) {
        return false;
      }
    }
    lex_.skip_whitespace();
    return lex_.at_document_end();
  }

 private:
  struct frame {
    json::array_t* array;    // set for an open array
    json::object_t* object;  // set for an open object
    bool first;              // nothing read since the opening bracket
  };

  // Parses one value into `slot`; a container is only opened (pushed), its members come from
  // step().
  bool value(json& slot) {
    if (lex_.at_end()) {
      return false;
    }
    switch (lex_.peek()) {
      case '{':
        lex_.advance();
        slot = json::value_t::object;
        stack_.push_back({nullptr, slot.get_ptr<json::object_t*>(), true});
        return true;
      case '[':
        lex_.advance();
        slot = json::value_t::array;
        stack_.push_back({slot.get_ptr<json::array_t*>(), nullptr, true});
        return true;
      case '"':
        lex_.advance();
        return string(slot);
      case 't':
        return literal("true", true, slot);
      case 'f':
        return literal("false", false, slot);
      case 'n':
        return literal("null", nullptr, slot);
      default:
        return number(slot);
    }
  }

  // Reads what follows in the innermost open container: its end, or its next member.
  bool step() {
    frame& top = stack_.back();
    lex_.skip_whitespace();
    if (lex_.at(top.array ? ']' : '}')) {
      lex_.advance();
      stack_.pop_back();
      return true;
    }
    if (!top.first && !lex_.separator(',')) {
      return false;
    }
    top.first = false;
    if (top.array) {
      top.array->emplace_back();
      return value(top.array->back());
    }
    return member(*top.object);
  }

  // A duplicate key reuses its slot, so the last value wins as with nlohmann's operator[].
  bool member(json::object_t& object) {
    if (!lex_.at('"')) {
      return false;
    }
    lex_.advance();
    std::string key;
    return read_string(key) && lex_.separator(':') && value(object[std::move(key)]);
  }

  bool literal(std::string_view word, json v, json& slot) {
    if (!lex_.literal(word)) {
      return false;
    }
    slot = std::move(v);
    return true;
  }

  bool read_string(std::string& out) {
    std::string_view plain;
    bool decoded = false;
    if (!lex_.string(plain, out, decoded)) {
      return false;
    }
    if (!decoded) {
      out.assign(plain);
    }
    return true;
  }

  bool string(json& slot) {
    std::string s;
    if (!read_string(s)) {
      return false;
    }
    slot = std::move(s);
    return true;
  }

  bool number(json& slot) {
    json_lex::number n;
    if (!lex_.read_number(n)) {
      return false;
    }
    switch (n.k) {
      case json_lex::number::kind::unsigned_integer:
        slot = json::number_unsigned_t{n.u};
        break;
      case json_lex::number::kind::integer:
        slot = json::number_integer_t{n.i};
        break;
      case json_lex::number::kind::floating:
        slot = json::number_float_t{n.d};
        break;
    }
    return true;
  }

  json_lex::lexer lex_;
  std::vector<frame> stack_;
};

}  // namespace

std::optional<nlohmann::json> parse(std::string_view text) {
  std::optional<nlohmann::json> out(std::in_place);
  if (!parser(text).document(*out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace interlingua::core::fast_json
