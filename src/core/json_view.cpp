#include <interlingua/core/json_view.hpp>

#include <array>
#include <cstring>
#include <limits>

#include "json_lex.hpp"

namespace interlingua::core::json_view {

// Appends the document's nodes in document order: a container's node comes before its children
// and learns where they end (`next`) when it closes. Iterative, like fast_json: any depth.
class parser {
 public:
  parser(document& doc, std::string_view text) : doc_(doc), lex_(text) {}

  bool run() {
    lex_.skip_byte_order_mark();
    lex_.skip_whitespace();
    if (!value()) {
      return false;
    }
    while (!doc_.open_.empty()) {
      if (!step()) {
        return false;
      }
    }
    lex_.skip_whitespace();
    return lex_.at_document_end();
  }

 private:
  using node = document::node;

  std::uint32_t next_index() const { return static_cast<std::uint32_t>(doc_.tape_.size()); }

  node& add(kind k) {
    node& n = doc_.tape_.emplace_back();
    n.k = k;
    n.next = next_index();
    return n;
  }

  bool value() {
    if (lex_.at_end()) {
      return false;
    }
    switch (lex_.peek()) {
      case '{':
      case '[': {
        bool object = lex_.peek() == '{';
        lex_.advance();
        doc_.open_.push_back(next_index());
        add(object ? kind::object : kind::array);
        return true;
      }
      case '"':
        lex_.advance();
        return string();
      case 't':
        return literal("true", kind::boolean, true);
      case 'f':
        return literal("false", kind::boolean, false);
      case 'n':
        return literal("null", kind::null, false);
      default:
        return number();
    }
  }

  // Reads what follows in the innermost open container: its end, or its next member.
  bool step() {
    const std::uint32_t at = doc_.open_.back();
    const bool object = doc_.tape_[at].k == kind::object;
    lex_.skip_whitespace();
    if (lex_.at(object ? '}' : ']')) {
      lex_.advance();
      doc_.tape_[at].next = next_index();
      doc_.open_.pop_back();
      return true;
    }
    if (doc_.tape_[at].count != 0 && !lex_.separator(',')) {
      return false;
    }
    ++doc_.tape_[at].count;
    if (!object) {
      return value();
    }
    if (!lex_.at('"')) {
      return false;
    }
    lex_.advance();
    return string() && lex_.separator(':') && value();
  }

  bool literal(std::string_view word, kind k, bool b) {
    if (!lex_.literal(word)) {
      return false;
    }
    add(k).b = b;
    return true;
  }

  bool string() {
    std::string_view plain;
    bool decoded = false;
    const std::size_t before = doc_.strings_.size();
    if (!lex_.string(plain, doc_.strings_, decoded)) {
      return false;
    }
    node& n = add(kind::string);
    n.in_text = !decoded;
    if (decoded) {
      n.offset = static_cast<std::uint32_t>(before);
      n.count = static_cast<std::uint32_t>(doc_.strings_.size() - before);
    } else {
      n.offset = static_cast<std::uint32_t>(plain.data() - doc_.text_.data());
      n.count = static_cast<std::uint32_t>(plain.size());
    }
    return true;
  }

  bool number() {
    json_lex::number v;
    if (!lex_.read_number(v)) {
      return false;
    }
    switch (v.k) {
      case json_lex::number::kind::unsigned_integer:
        add(kind::unsigned_integer).u = v.u;
        break;
      case json_lex::number::kind::integer:
        add(kind::integer).i = v.i;
        break;
      case json_lex::number::kind::floating:
        add(kind::floating).d = v.d;
        break;
    }
    return true;
  }

  document& doc_;
  json_lex::lexer lex_;
};

bool document::parse(std::string_view text) {
  // A reused document keeps its buffers, but not the size one huge body made them (swapped with
  // empty ones: clear() and `= {}` keep the capacity).
  if (held_bytes() > kept_bytes) {
    release();
  }
  tape_.clear();
  strings_.clear();
  open_.clear();
  text_ = text;
  // Offsets are 32 bits; a decoded string is never longer than its text.
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return false;
  }
  if (!parser(*this, text).run()) {
    tape_.clear();
    return false;
  }
  return true;
}

void document::release() {
  text_ = {};
  std::vector<node>().swap(tape_);
  std::string().swap(strings_);
  std::vector<std::uint32_t>().swap(open_);
}

namespace {

std::array<document, 2>& thread_documents() {
  thread_local std::array<document, 2> docs;
  return docs;
}

}  // namespace

document& thread_scratch(scratch use) {
  return thread_documents()[static_cast<std::size_t>(use)];
}

void release_thread_scratch() {
  for (auto& doc : thread_documents()) {
    doc.release();
  }
}

std::size_t document::held_bytes() const {
  return tape_.capacity() * sizeof(node) + strings_.capacity() +
         open_.capacity() * sizeof(std::uint32_t);
}

kind value::type() const {
  return doc_->tape_[at_].k;
}

bool value::is_number() const {
  return is(kind::unsigned_integer) || is(kind::integer) || is(kind::floating);
}

std::string_view value::str() const {
  return is_string() ? doc_->string_at(doc_->tape_[at_]) : std::string_view();
}

bool value::boolean() const {
  return is_boolean() && doc_->tape_[at_].b;
}

std::optional<std::int64_t> value::integer() const {
  if (is(kind::integer)) {
    return doc_->tape_[at_].i;
  }
  if (is(kind::unsigned_integer)) {
    std::uint64_t v = doc_->tape_[at_].u;
    return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
  }
  return std::nullopt;
}

std::optional<double> value::number() const {
  if (!doc_) {
    return std::nullopt;
  }
  const auto& n = doc_->tape_[at_];
  switch (n.k) {
    case kind::unsigned_integer:
      return static_cast<double>(n.u);
    case kind::integer:
      return static_cast<double>(n.i);
    case kind::floating:
      return n.d;
    default:
      return std::nullopt;
  }
}

std::size_t value::size() const {
  return is_array() || is_object() ? doc_->tape_[at_].count : 0;
}

value value::member(std::string_view key) const {
  if (!is_object()) {
    return {};
  }
  const auto& tape = doc_->tape_;
  const std::uint32_t end = tape[at_].next;
  std::uint32_t found = 0;  // a member's value is never node 0 (the root)
  for (std::uint32_t k = at_ + 1; k < end; k = tape[k + 1].next) {
    const document::node& name = tape[k];
    if (name.count == key.size() &&
        std::memcmp(doc_->string_data(name), key.data(), key.size()) == 0) {
      found = k + 1;  // keep looking: the last repeat wins, as in nlohmann
    }
  }
  return found != 0 ? value(doc_, found) : value();
}

value value::at(std::size_t i) const {
  if (!is_array() || i >= size()) {
    return {};
  }
  std::uint32_t e = at_ + 1;
  for (; i > 0; --i) {
    e = doc_->tape_[e].next;
  }
  return value(doc_, e);
}

value::iterator value::begin() const {
  if (!is_array() && !is_object()) {
    return iterator(doc_, 0, false);
  }
  return iterator(doc_, at_ + 1, is_object());
}

value::iterator value::end() const {
  if (!is_array() && !is_object()) {
    return iterator(doc_, 0, false);
  }
  return iterator(doc_, doc_->tape_[at_].next, is_object());
}

value value::iterator::operator*() const {
  return value(doc_, object_ ? at_ + 1 : at_);
}

std::string_view value::iterator::key() const {
  return object_ ? doc_->string_at(doc_->tape_[at_]) : std::string_view();
}

value::iterator& value::iterator::operator++() {
  at_ = doc_->tape_[object_ ? at_ + 1 : at_].next;
  return *this;
}

nlohmann::json to_json(value v) {
  using json = nlohmann::json;
  if (!v) {
    return json();
  }
  const document& doc = *v.doc_;
  // A container's children go into its tree in place; iterative, so any depth converts.
  struct frame {
    json* into;
    std::uint32_t next;  // the next child's node (a member's key node in an object)
    std::uint32_t end;
  };
  std::vector<frame> open;
  json root;
  auto place = [&](json& slot, std::uint32_t at) {
    const document::node& n = doc.tape_[at];
    switch (n.k) {
      case kind::null:
        slot = nullptr;
        break;
      case kind::boolean:
        slot = n.b;
        break;
      case kind::unsigned_integer:
        slot = json::number_unsigned_t{n.u};
        break;
      case kind::integer:
        slot = json::number_integer_t{n.i};
        break;
      case kind::floating:
        slot = json::number_float_t{n.d};
        break;
      case kind::string:
        slot = std::string(doc.string_at(n));
        break;
      case kind::array:
      case kind::object:
        slot = n.k == kind::array ? json::value_t::array : json::value_t::object;
        open.push_back({&slot, at + 1, n.next});
        break;
    }
  };
  place(root, v.at_);
  while (!open.empty()) {
    frame& top = open.back();
    if (top.next == top.end) {
      open.pop_back();
      continue;
    }
    const std::uint32_t child = top.next;
    json* into = top.into;
    if (into->is_array()) {
      top.next = doc.tape_[child].next;
      into->push_back(json());
      place(into->back(), child);  // may push: `top` is not used after this
    } else {
      top.next = doc.tape_[child + 1].next;
      place((*into)[std::string(doc.string_at(doc.tape_[child]))], child + 1);
    }
  }
  return root;
}

}  // namespace interlingua::core::json_view
