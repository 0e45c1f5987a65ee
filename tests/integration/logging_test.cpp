// The gateway's own log lines: one JSON object a line, for log shippers.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <interlingua/app/application.hpp>

namespace interlingua {
namespace {

// A line stays valid JSON whatever its message holds: an upstream's error text is logged as it
// came, with quotes, backslashes, newlines and control bytes. The format once pasted the message
// into the JSON unescaped, and a quote in it broke the line for every shipper.
TEST(Logging, ModuleLinesAreValidJsonWhateverTheMessageHolds) {
  std::ostringstream out;
  spdlog::logger logger("interlingua", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger.set_formatter(app::json_log_formatter());
  const std::string message =
      "upstream said: {\"error\": \"bad \\ value\"}\nsecond line\t\x01 caf\xc3\xa9";
  logger.warn("{}", message);

  std::string line = out.str();
  ASSERT_FALSE(line.empty());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one record, one line";
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["msg"], message);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["logger"], "interlingua");
  EXPECT_EQ(j["ts"].get<std::string>().back(), 'Z');
}

}  // namespace
}  // namespace interlingua
