#pragma once

// The Anthropic Messages provider (POST {base}/messages, anthropic-version 2023-06-01): a pure
// codec between core and Anthropic's wire format. Mapping decisions, in one place:
//
//  * Turns: strict user/assistant alternation (adjacent turns of one role merge, tool turns are
//    user turns with tool_result blocks first); signed and redacted thoughts go back as thinking
//    blocks, unsigned ones are dropped; images (JPEG/PNG/GIF/WebP) and PDFs inline or by http(s)
//    URL, any other media is refused naming `input`.
//  * max_tokens is required by Anthropic: params.max_output_tokens, else default_max_tokens.
//  * reasoning minimal/low/medium/high -> thinking {type: enabled, budget_tokens} from
//    thinking_budget(); none/unset -> no thinking field. Anthropic counts thinking inside
//    max_tokens and wants 1024 <= budget < max_tokens: with the default max_tokens the budget is
//    added on top (the answer keeps default_max_tokens); an explicit max_output_tokens is the cap
//    for both, so the budget shrinks to fit under it, and only a cap of 1024 or less is raised to
//    min_thinking_budget + 1 (below that Anthropic cannot think at all).
//  * A forced tool call (tool_choice any/tool) together with thinking is refused: Anthropic
//    rejects that combination for every model. Its limits on temperature/top_p while thinking
//    differ per model and are left to Anthropic, whose 400 reaches the client with its message.
//  * JSON output with a schema -> output_config.format {type: json_schema, schema}. Without a
//    schema Anthropic has no "any JSON" mode (its json_schema format needs a concrete, closed
//    schema), so an instruction is appended to the system prompt: best effort, not enforced.
//  * seed, frequency/presence penalty, logit_bias and reasoning_summaries have no Anthropic
//    counterpart and are dropped silently (the dialect decides whether thoughts are shown).
//  * Usage: Anthropic's input_tokens exclude cache reads and writes, core's input includes them;
//    output_tokens include thinking and Anthropic reports thinking apart only sometimes
//    (usage.output_tokens_details.thinking_tokens): when it does, those move to reasoning,
//    otherwise everything stays in output and reasoning is 0.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <interlingua/core/json_view.hpp>
#include <interlingua/core/provider.hpp>

namespace interlingua::providers::anthropic {

inline constexpr std::int64_t default_max_tokens = 4096;
inline constexpr std::int64_t min_thinking_budget = 1024;

// budget_tokens per reasoning level; 0 = no thinking:
//   minimal 1024 (Anthropic's floor), low 2048, medium 8192, high 24576.
// medium and high are the budgets Google's OpenAI-compatible endpoint gives Gemini for the same
// efforts, so one request thinks alike on either upstream; low sits between minimal and medium.
std::int64_t thinking_budget(core::reasoning_level level);

// Messages API body for `request` (pure; exposed for tests).
core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target);
void decode_reply(std::string_view body, core::event_list& out);
std::unique_ptr<core::stream_decoder> make_stream_decoder();
core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s);

// Shared by the unary and the stream decoder. `u` is an Anthropic usage object.
core::usage read_usage(core::json_view::value u);
// Anthropic's counts as core's; `thinking` is output_tokens_details.thinking_tokens (0 when not
// reported). The stream decoder keeps the counts between events and reads them through this.
core::usage usage_from_counts(std::int64_t input, std::int64_t cache_read, std::int64_t cache_write,
                              std::int64_t output, std::int64_t thinking);
core::finish_reason read_stop_reason(std::string_view stop_reason);
// An error that arrives after HTTP 200 ({"type":"error","error":{type,message}}), as an in-band
// failure: overloaded_error and api_error are retryable unavailability, as their statuses are.
core::error read_error_event(core::json_view::value event);

// The codec the service uses for providers of kind `anthropic`.
std::unique_ptr<core::provider_codec> make_codec();

}  // namespace interlingua::providers::anthropic
