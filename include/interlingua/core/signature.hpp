#pragma once

// Thought signatures (and redacted thinking) are opaque tokens that only the API that issued them
// accepts back: Anthropic refuses a Gemini signature with a 400, and Gemini an Anthropic one. A
// conversation may change provider between turns (a route's fallback, another model), so the
// gateway hands each signature to its callers tagged with its issuer — "anthropic:<raw>",
// "gemini:<raw>" (':' is in neither base64 alphabet) — and an encoder sends back only its own.
// The tag is invisible to callers: to them a signature is an opaque string to return as it came.

#include <string>
#include <string_view>

namespace interlingua::core {

// "issuer:raw".
std::string tag_signature(std::string_view issuer, std::string_view raw);

// What to send to `issuer`: the raw signature when it issued it; the value unchanged when it
// carries no tag (a signature a caller got elsewhere, given the benefit of the doubt); empty when
// another issuer's (the thought goes back unsigned, which each encoder handles).
std::string_view signature_for(std::string_view issuer, std::string_view signature);

}  // namespace interlingua::core
