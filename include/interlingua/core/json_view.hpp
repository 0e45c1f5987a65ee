#pragma once

// A read-only JSON document as a flat tape: one parse, no tree. For the hot decoders (an upstream
// reply, each stream event) that read a handful of members and throw the rest away: building an
// nlohmann tree for them cost more than everything else they do (a std::map node and a string per
// member, then as many frees). A document keeps its tape and string buffer between parses, so a
// decoder that reuses one allocates nothing once warm.
//
// It accepts exactly what fast_json (and so nlohmann::json::parse(text, nullptr, false)) accepts,
// sharing its lexer, and its values are the same: the same number kinds, a duplicate key's last
// value, decoded strings. The tests convert every document to an nlohmann tree and compare.
//
// Lifetime: values are views into the document, and strings without escapes into the parsed
// text; both must outlive them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace interlingua::core::json_view {

class document;

enum class kind : std::uint8_t {
  null,
  boolean,
  unsigned_integer,
  integer,
  floating,
  string,
  array,
  object
};

// One value of a document, or none (a missing member, an index out of range): every accessor is
// safe on none and on the wrong kind, answering "not there".
class value {
 public:
  value() = default;

  explicit operator bool() const { return doc_ != nullptr; }
  kind type() const;
  bool is(kind k) const { return doc_ != nullptr && type() == k; }
  bool is_null() const { return is(kind::null); }
  bool is_boolean() const { return is(kind::boolean); }
  bool is_string() const { return is(kind::string); }
  bool is_array() const { return is(kind::array); }
  bool is_object() const { return is(kind::object); }
  bool is_number() const;
  bool is_number_integer() const { return is(kind::integer) || is(kind::unsigned_integer); }

  // A string's text ("" for anything else).
  std::string_view str() const;
  bool boolean() const;  // false for anything but true
  // An integer as nlohmann's get<std::int64_t>() would read it, an unsigned past INT64_MAX
  // clamped; nullopt for anything but an integer (a float included, as json_util::integer).
  std::optional<std::int64_t> integer() const;
  // Any number as a double; nullopt for anything else.
  std::optional<double> number() const;

  // Elements of an array, members of an object; 0 for anything else.
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // The member `key` of an object (the last one when the key repeats); none otherwise.
  value member(std::string_view key) const;
  // Element `i` of an array (a walk: use iteration for more than the first few); none otherwise.
  value at(std::size_t i) const;

  // Iteration over an array's elements or an object's members (in document order, repeats
  // included), nothing for anything else: check is_array() where an object would be wrong.
  class iterator {
   public:
    iterator(const document* doc, std::uint32_t at, bool object)
        : doc_(doc), at_(at), object_(object) {}
    // An element, or a member's value.
    value operator*() const;
    // A member's key ("" for an element).
    std::string_view key() const;
    iterator& operator++();
    bool operator!=(const iterator& other) const { return at_ != other.at_; }

   private:
    const document* doc_;
    std::uint32_t at_;  // an element's node, or a member's key node
    bool object_;
  };
  iterator begin() const;
  iterator end() const;

 private:
  friend class document;
  friend class iterator;
  friend nlohmann::json to_json(value v);
  value(const document* doc, std::uint32_t at) : doc_(doc), at_(at) {}

  const document* doc_ = nullptr;
  std::uint32_t at_ = 0;
};

class document {
 public:
  // Parses `text`, replacing what the document held. False (and no root) when `text` is not one
  // JSON document, exactly when fast_json::parse returns nullopt; texts of 4 GiB or more are
  // refused.
  bool parse(std::string_view text);
  // The top-level value; none before a successful parse.
  value root() const { return tape_.empty() ? value() : value(this, 0); }
  // The bytes its buffers hold allocated. Past kept_bytes, the next parse gives them back first.
  std::size_t held_bytes() const;
  static constexpr std::size_t kept_bytes = 64 * 1024;
  // Gives the buffers' memory back; no root until the next parse.
  void release();

 private:
  friend class value;
  friend class parser;
  friend nlohmann::json to_json(value v);

  struct node {
    kind k = kind::null;
    bool in_text = false;     // a string's bytes are the text's (no escapes), else the buffer's
    std::uint32_t next = 0;   // the node after this value and everything in it
    std::uint32_t count = 0;  // a container's elements or members; a string's length
    union {
      std::uint64_t u = 0;
      std::int64_t i;
      double d;
      bool b;
      std::uint32_t offset;  // a string's first byte
    };
  };

  const char* string_data(const node& n) const {
    return (n.in_text ? text_.data() : strings_.data()) + n.offset;
  }
  std::string_view string_at(const node& n) const { return {string_data(n), n.count}; }

  std::string_view text_;
  std::vector<node> tape_;
  std::string strings_;  // decoded strings, one after another
  std::vector<std::uint32_t> open_;
};

// A document per thread and use, reused across parses: one per use that may be live while
// another parses (a provider reply decoded while a request body is read). No value of one
// outlives the call that parsed it.
enum class scratch : std::uint8_t { request, provider };
document& thread_scratch(scratch use);

// Gives back the calling thread's scratch buffers. After a burst their last growth sits among the
// burst's allocations, and a block kept there holds its whole slab resident (a quiet-time trim
// calls this: bench/RESULTS.md). Also the first touch of the thread's scratch documents, for a
// thread to call when it starts: the record of their destructors then lands in start-up memory.
void release_thread_scratch();

// The same value as an nlohmann tree (for code that needs one, e.g. to re-serialize a member).
nlohmann::json to_json(value v);

// json_util's accessors, for views.
inline value member_string(value v, std::string_view key) {
  value m = v.member(key);
  return m.is_string() ? m : value();
}

inline std::string string_or(value v, std::string_view key, std::string fallback = {}) {
  value m = v.member(key);
  return m.is_string() ? std::string(m.str()) : std::move(fallback);
}

inline std::int64_t integer_or(value v, std::string_view key, std::int64_t fallback = 0) {
  return v.member(key).integer().value_or(fallback);
}

}  // namespace interlingua::core::json_view
