#pragma once

// A JSON parser that builds the very nlohmann::json tree nlohmann::json::parse(text, nullptr,
// false) builds, faster: ~2.4x on a 350-byte reply (tree allocation dominates there), ~5x on
// string-heavy documents (tmp benchmark, -O2, tree destruction included). nlohmann's lexer copies
// every input byte one push_back at a time (~110 instructions a byte), and the gateway parses every
// client request, upstream reply and stream event, which made that lexer its largest user-space
// cost.
//
// "The very tree" includes the number kinds (unsigned, integer, float chosen as nlohmann chooses
// them), the float bit patterns, which bytes count as malformed (strict RFC 8259, nlohmann's exact
// UTF-8 ranges, a leading UTF-8 BOM skipped, a NUL byte after the document ending the input) and
// duplicate keys (the last one wins). The tests compare the two parsers on hand-written, captured
// and random documents.
//
// The parser is iterative, so like nlohmann it accepts any nesting depth without growing the
// machine stack.

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace interlingua::core::fast_json {

// The document `text`, or nullopt exactly when nlohmann would return a discarded value.
std::optional<nlohmann::json> parse(std::string_view text);

}  // namespace interlingua::core::fast_json
