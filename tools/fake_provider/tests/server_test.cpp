// End to end over real sockets and verified TLS: what the gateway's tests will rely on.

#include "fake_provider.hpp"
#include "test_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <thread>

namespace interlingua::fake {
namespace {

using json = nlohmann::json;
using testing::client_options;
using testing::fetch;
using testing::reply;

class fake_server : public ::testing::Test {
 protected:
  server srv_{options{}};

  client_options client(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return client_options{
        .port = srv_.port(), .tls = true, .ca_pem = srv_.tls().ca_pem, .timeout = timeout};
  }

  reply post(const std::string& target, const json& body) const {
    return fetch(client(), "POST", target, body.dump(), {{"Content-Type", "application/json"}});
  }
};

json chat_body(bool stream, bool include_usage) {
  json body = {
      {"model", "gpt-test"},
      {"messages", json::array({{{"role", "system"}, {"content", "be terse"}},
                                {{"role", "user"}, {"content", "hello there, fake world"}}})}};
  if (stream) {
    body["stream"] = true;
  }
  if (include_usage) {
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

// JSON payloads of the `data:` lines of SSE chunks, [DONE] excluded.
std::vector<json> data_payloads(const std::vector<std::string>& chunks) {
  std::vector<json> out;
  for (const auto& chunk : chunks) {
    const auto pos = chunk.find("data: ");
    const auto end = chunk.find_first_of("\r\n", pos);
    const std::string data = chunk.substr(pos + 6, end - pos - 6);
    if (data != "[DONE]") {
      out.push_back(json::parse(data));
    }
  }
  return out;
}

// The default echo is what most gateway tests build on: text and usage must be exact.
TEST_F(fake_server, openai_unary_echo) {
  const reply r = post("/v1/chat/completions", chat_body(false, false));
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.status, 200);
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["model"], "gpt-test");
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "hello there, fake world");
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 6);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 4);
  EXPECT_EQ(answer["usage"]["total_tokens"], 10);
}

// Same contract for Anthropic's shape, including the system prompt in the input count.
TEST_F(fake_server, anthropic_unary_echo) {
  const json body = {{"model", "claude-test"},
                     {"system", "be terse"},
                     {"messages", json::array({{{"role", "user"}, {"content", "hi claude"}}})}};
  const reply r = post("/v1/messages", body);
  ASSERT_FALSE(r.error) << r.error.message();
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["content"][0]["text"], "hi claude");
  EXPECT_EQ(answer["stop_reason"], "end_turn");
  EXPECT_EQ(answer["usage"]["input_tokens"], 4);
  EXPECT_EQ(answer["usage"]["output_tokens"], 2);
}

// Gemini takes the model from the path and the text from the last user content.
TEST_F(fake_server, gemini_unary_echo) {
  const json body = {
      {"contents",
       json::array({{{"role", "user"}, {"parts", json::array({{{"text", "first"}}})}},
                    {{"role", "model"}, {"parts", json::array({{{"text", "ok"}}})}},
                    {{"role", "user"}, {"parts", json::array({{{"text", "ping pong"}}})}}})}};
  const reply r = post("/v1beta/models/gemini-test:generateContent", body);
  ASSERT_FALSE(r.error) << r.error.message();
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["candidates"][0]["content"]["parts"][0]["text"], "ping pong");
  EXPECT_EQ(answer["candidates"][0]["finishReason"], "STOP");
  EXPECT_EQ(answer["modelVersion"], "gemini-test");
  EXPECT_EQ(answer["usageMetadata"]["promptTokenCount"], 4);
  EXPECT_EQ(answer["usageMetadata"]["candidatesTokenCount"], 2);
}

// Streaming deltas must rebuild the text, and the usage chunk follows include_usage exactly.
TEST_F(fake_server, openai_stream_concatenates_and_usage_only_on_request) {
  for (const bool include_usage : {false, true}) {
    const reply r = post("/v1/chat/completions", chat_body(true, include_usage));
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.headers.at("content-type"), "text/event-stream");
    EXPECT_EQ(r.headers.at("transfer-encoding"), "chunked");
    EXPECT_EQ(r.chunks.back(), "data: [DONE]\n\n");
    std::string text;
    int usage_chunks = 0;
    for (const json& chunk : data_payloads(r.chunks)) {
      if (!chunk["choices"].empty()) {
        text += chunk["choices"][0]["delta"].value("content", "");
      }
      if (chunk.contains("usage") && !chunk["usage"].is_null()) {
        ++usage_chunks;
        EXPECT_TRUE(chunk["choices"].empty());
        EXPECT_EQ(chunk["usage"]["completion_tokens"], 4);
      }
    }
    EXPECT_EQ(text, "hello there, fake world");
    EXPECT_EQ(usage_chunks, include_usage ? 1 : 0);
  }
}

// Anthropic's event sequence is what the gateway's stream translator keys on.
TEST_F(fake_server, anthropic_stream_event_sequence) {
  const json body = {{"model", "claude-test"},
                     {"stream", true},
                     {"messages", json::array({{{"role", "user"}, {"content", "a b c"}}})}};
  const reply r = post("/v1/messages", body);
  ASSERT_FALSE(r.error) << r.error.message();
  std::vector<std::string> types;
  std::string text;
  for (const json& event : data_payloads(r.chunks)) {
    types.push_back(event["type"].get<std::string>());
    if (event["type"] == "content_block_delta") {
      text += event["delta"]["text"].get<std::string>();
    }
  }
  const std::vector<std::string> expected{
      "message_start",       "content_block_start", "content_block_delta", "content_block_delta",
      "content_block_delta", "content_block_stop",  "message_delta",       "message_stop"};
  EXPECT_EQ(types, expected);
  EXPECT_EQ(text, "a b c");
  EXPECT_EQ(r.chunks[0].substr(0, 21), "event: message_start\n");
}

// Gemini frames SSE with CRLF and sends no [DONE]; parsers must cope with that.
TEST_F(fake_server, gemini_stream_uses_crlf_and_finishes_last) {
  const json body = {{"contents", json::array({{{"parts", json::array({{{"text", "x y"}}})}}})}};
  const reply r = post("/v1beta/models/g:streamGenerateContent?alt=sse", body);
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_EQ(r.chunks.size(), 2u);
  EXPECT_EQ(r.chunks[1].substr(r.chunks[1].size() - 4), "\r\n\r\n");
  const auto events = data_payloads(r.chunks);
  EXPECT_FALSE(events[0]["candidates"][0].contains("finishReason"));
  EXPECT_EQ(events[1]["candidates"][0]["finishReason"], "STOP");
  EXPECT_EQ(events[1]["usageMetadata"]["candidatesTokenCount"], 2);
}

// Retry logic in the gateway is tested against scripted rate limits with Retry-After.
TEST_F(fake_server, scripted_429_with_retry_after) {
  srv_.push(script{.status = 429,
                   .body = R"({"error":{"message":"slow down"}})",
                   .headers = {{"Retry-After", "3"}}});
  const reply r = post("/v1/chat/completions", chat_body(false, false));
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.at("retry-after"), "3");
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "slow down");
  EXPECT_EQ(post("/v1/chat/completions", chat_body(false, false)).status,
            200);  // one script, one request
}

// Connection failures before any byte must be distinguishable from late failures (retry safety).
TEST_F(fake_server, reset_before_headers_fails_before_any_header) {
  srv_.push(script{.fault_kind = fault::reset_before_headers});
  const reply r = post("/v1/chat/completions", chat_body(false, false));
  EXPECT_FALSE(r.got_header);
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(srv_.requests().size(), 1u);  // the request was still read and recorded
}

// Mid-stream resets must deliver exactly N events first, so partial-stream handling is testable.
TEST_F(fake_server, reset_mid_stream_delivers_n_events_then_error) {
  srv_.push(script{.body = "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n",
                   .fault_kind = fault::reset_mid_stream,
                   .fault_after_events = 2});
  const reply r = post("/v1/chat/completions", chat_body(true, false));
  EXPECT_TRUE(r.got_header);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.timed_out);
  const std::vector<std::string> expected{"data: 1\n\n", "data: 2\n\n"};
  EXPECT_EQ(r.chunks, expected);
}

// Idle-timeout handling needs a provider that goes silent but keeps the connection open.
TEST_F(fake_server, stall_keeps_silent_after_n_events) {
  srv_.push(script{
      .body = "data: 1\n\ndata: 2\n\n", .fault_kind = fault::stall, .fault_after_events = 1});
  const reply r =
      fetch(client(std::chrono::milliseconds(300)), "POST", "/v1/chat/completions", "{}");
  EXPECT_TRUE(r.got_header);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.chunks, std::vector<std::string>{"data: 1\n\n"});
}

// Tests assert on what the gateway sent upstream: method, target, headers and body verbatim.
TEST_F(fake_server, records_request) {
  fetch(client(), "POST", "/v1/messages?beta=true", R"({"messages":[]})",
        {{"X-Api-Key", "sk-test"}, {"Anthropic-Version", "2023-06-01"}});
  fetch(client(), "GET", "/_control/health");  // control traffic is not recorded
  const auto log = srv_.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "POST");
  EXPECT_EQ(log[0].target, "/v1/messages?beta=true");
  EXPECT_EQ(log[0].headers.at("x-api-key"), "sk-test");
  EXPECT_EQ(log[0].headers.at("anthropic-version"), "2023-06-01");
  EXPECT_EQ(log[0].body, R"({"messages":[]})");
  srv_.clear();
  EXPECT_TRUE(srv_.requests().empty());
}

// The gateway pools upstream connections, so several requests must share one connection.
TEST_F(fake_server, keep_alive_serves_several_requests) {
  testing::connection c(client());
  ASSERT_FALSE(c.connect_error()) << c.connect_error().message();
  srv_.push(script{.body = "data: x\n\n"});
  EXPECT_EQ(c.request("POST", "/v1/chat/completions", chat_body(true, false).dump()).chunks.size(),
            1u);
  for (int i = 0; i < 3; ++i) {
    const reply r = c.request("POST", "/v1/chat/completions", chat_body(i % 2 == 0, false).dump());
    EXPECT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.status, 200);
  }
  EXPECT_EQ(srv_.requests().size(), 4u);
}

// Verification must really be on: a client trusting another CA has to fail the handshake.
TEST_F(fake_server, untrusted_ca_fails_handshake) {
  client_options opts = client();
  opts.ca_pem = make_tls_material({"localhost"}).ca_pem;
  EXPECT_TRUE(testing::connection(opts).connect_error());
}

// The JS tests and the benchmark drive the binary through /_control over plain HTTP too.
TEST(fake_server_plain, control_endpoints_over_plain_http) {
  server srv{options{.tls = false}};
  const client_options opts{.port = srv.port(), .tls = false};
  const json script_json = {{"status", 503}, {"body", "{}"}, {"headers", {{"X-Why", "scripted"}}}};
  EXPECT_EQ(fetch(opts, "POST", "/_control/script", script_json.dump()).status, 200);
  const reply r = fetch(opts, "POST", "/v1/messages", "{}");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.at("x-why"), "scripted");
  EXPECT_EQ(fetch(opts, "GET", "/nope").status, 404);
  const json log = json::parse(fetch(opts, "GET", "/_control/requests").body);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["target"], "/v1/messages");
  EXPECT_EQ(fetch(opts, "POST", "/_control/reset").status, 200);
  EXPECT_EQ(json::parse(fetch(opts, "GET", "/_control/requests").body).size(), 0u);
}

// Benchmarks open many connections at once on several server threads; pacing must not serialise
// them.
TEST(fake_server_load, concurrent_paced_streams) {
  options opts;
  opts.threads = 2;
  opts.gap = std::chrono::milliseconds(20);
  opts.stream_events = 5;
  server srv{opts};
  const client_options copts{.port = srv.port(), .ca_pem = srv.tls().ca_pem};
  const json body = chat_body(true, false);
  std::vector<std::future<reply>> replies;
  for (int i = 0; i < 32; ++i) {
    replies.push_back(std::async(std::launch::async, [&] {
      return fetch(copts, "POST", "/chat/completions", body.dump());
    }));
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto& f : replies) {
    const reply r = f.get();
    EXPECT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.chunks.size(), 8u);  // role + 5 pieces + finish + [DONE]
  }
  // 7 gaps of 20 ms each; serialised streams would take 32 times longer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// Tearing down with clients still connected must neither hang nor leak (ASan checks): one idle
// keep-alive connection and one stalled stream the client has not given up on.
TEST(fake_server_lifetime, destructor_with_open_connections) {
  auto srv = std::make_unique<server>(options{});
  const client_options opts{.port = srv->port(), .ca_pem = srv->tls().ca_pem};
  testing::connection idle(opts);
  ASSERT_FALSE(idle.connect_error());
  EXPECT_EQ(idle.request("POST", "/v1/chat/completions", "{}").status, 200);
  srv->push(script{
      .body = "data: 1\n\ndata: 2\n\n", .fault_kind = fault::stall, .fault_after_events = 1});
  testing::connection stalled(opts);
  ASSERT_FALSE(stalled.connect_error());
  auto request = std::async(std::launch::async,
                            [&] { return stalled.request("POST", "/v1/chat/completions", "{}"); });
  // The server is shut down while that request is still open: the client must see an error.
  while (srv->requests().size() < 2) {
    std::this_thread::yield();
  }
  srv.reset();
  const reply r = request.get();
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.timed_out);
}

}  // namespace
}  // namespace interlingua::fake
