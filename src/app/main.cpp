// interlingua: parse the command line, load the config, wire the application, serve until a
// signal. Only wiring here.

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <interlingua/app/application.hpp>
#include <interlingua/server/memory.hpp>

// jemalloc's built-in options (release builds link it; MALLOC_CONF in the environment still
// overrides them; unused under glibc malloc). Slabs of 16 pages (64 KiB) for every small size
// class: each slab has an extent record that jemalloc never frees, and a stream holds a dozen
// objects of 0.5–6 KiB (coroutine frames, read buffers) that default slabs hold one to eight
// to a page. After 8,000 streams that was 16,000 records; with these slabs 4,300, and RSS 30 s
// after the load 0.7 MB lower and 4 MB lower at the peak (bench/RESULTS.md), idle unchanged.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf = "slab_sizes:1-16384:16";
}

namespace {

constexpr const char* usage_text =
    R"(usage: interlingua [--config FILE] [--check-config] [--version] [--help]

  --config FILE    YAML configuration (default: embedded defaults, see config/interlingua.yaml)
  --check-config   validate the configuration and exit (non-zero with file, line and reason)
  --version        print the version and exit
  --help           print this help and exit
)";

struct cli {
  std::string config;
  bool check = false;
};

int parse_cli(int argc, char** argv, cli& out) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "interlingua " INTERLINGUA_VERSION "\n";
      return 0;
    }
    if (arg == "--check-config") {
      out.check = true;
    } else if (arg == "--config" && i + 1 < argc) {
      out.config = argv[++i];
    } else {
      std::cerr << "interlingua: unknown argument " << arg << "\n" << usage_text;
      return 2;
    }
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace interlingua;
  cli args;
  if (int rc = parse_cli(argc, argv, args); rc >= 0) {
    return rc;
  }
  auto loaded = args.config.empty() ? config::load_string("", "<embedded defaults>")
                                    : config::load_file(args.config);
  if (loaded.error) {
    std::cerr << "interlingua: invalid configuration: " << loaded.error->to_string() << "\n";
    return 1;
  }
  if (args.check) {
    std::cout << "configuration OK\n";
    return 0;
  }
  app::setup_logging(loaded.value->logging);
  try {
    app::application gateway(std::move(*loaded.value));
    gateway.start();
    const auto& s = gateway.settings();
    spdlog::info("listening on http://{}:{} with {} provider(s); memory allocator: {}",
                 s.listen.host, gateway.port(), s.providers.size(), server::allocator_name());
    if (s.auth.keys.empty()) {
      spdlog::warn(
          "no gateway keys configured (auth.keys): the gateway is open to anyone who "
          "can reach {}:{}",
          s.listen.host, gateway.port());
    }
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code&, int) {});
    signals_io.run();
    spdlog::info("shutting down: draining for at most {} ms", s.timeouts.shutdown_grace.count());
    bool clean = gateway.shutdown(s.timeouts.shutdown_grace);
    spdlog::info(clean ? "stopped" : "stopped after the grace period with requests still open");
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
