// fake_provider: the fake LLM provider as a process, for the JS end-to-end tests, the benchmark
// and the README's run command. Scripting happens over /_control/* (see fake_provider.hpp).

#include "fake_provider.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <pthread.h>
#include <unistd.h>

namespace {

namespace fake = interlingua::fake;

struct cli {
  fake::options opts;
  std::optional<std::filesystem::path> tls_dir;
  std::optional<std::filesystem::path> port_file;
};

constexpr const char* usage =
    "usage: fake_provider [--host H] [--port N] [--plain] [--tls-dir DIR] [--threads N]\n"
    "                     [--first-byte-delay-ms N] [--gap-ms N] [--stream-events N] [--port-file "
    "PATH]\n";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "fake_provider: " << message << "\n" << usage;
  std::exit(2);
}

unsigned long number(std::string_view flag, const char* value) {
  char* end = nullptr;
  const unsigned long n = std::strtoul(value, &end, 10);
  if (end == value || *end != '\0') {
    usage_error(std::string(flag) + " needs a number");
  }
  return n;
}

// Flags taking a value; returns false when `flag` is not one of them.
bool apply_flag(cli& c, std::string_view flag, const char* value) {
  if (flag == "--host") {
    c.opts.host = value;
  } else if (flag == "--port") {
    const unsigned long port = number(flag, value);
    if (port > 65535) {
      usage_error("--port out of range");
    }
    c.opts.port = static_cast<std::uint16_t>(port);
  } else if (flag == "--tls-dir") {
    c.tls_dir = value;
  } else if (flag == "--threads") {
    c.opts.threads = static_cast<unsigned>(number(flag, value));
  } else if (flag == "--first-byte-delay-ms") {
    c.opts.first_byte_delay = std::chrono::milliseconds(number(flag, value));
  } else if (flag == "--gap-ms") {
    c.opts.gap = std::chrono::milliseconds(number(flag, value));
  } else if (flag == "--stream-events") {
    c.opts.stream_events = number(flag, value);
  } else if (flag == "--port-file") {
    c.port_file = value;
  } else {
    return false;
  }
  return true;
}

cli parse(int argc, char** argv) {
  cli c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--plain") {
      c.opts.tls = false;
    } else if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      std::exit(0);
    } else if (i + 1 < argc && apply_flag(c, flag, argv[i + 1])) {
      ++i;
    } else {
      usage_error("bad argument: " + std::string(flag));
    }
  }
  return c;
}

// Reuses DIR's files so a gateway configured to trust DIR/ca.pem keeps working across restarts.
void load_tls(cli& c) {
  if (!c.opts.tls || !c.tls_dir) {
    return;
  }
  if (auto existing = fake::read_tls_material(*c.tls_dir)) {
    c.opts.material = std::move(*existing);
    return;
  }
  std::vector<std::string> names{"localhost", "127.0.0.1", "::1"};
  if (c.opts.host != "localhost" && c.opts.host != "127.0.0.1" && c.opts.host != "::1") {
    names.push_back(c.opts.host);
  }
  c.opts.material = fake::make_tls_material(names);
  fake::write_tls_material(c.opts.material, *c.tls_dir);
}

// Temp name + rename: a reader polling for the file never sees it half written.
void write_port_file(const std::filesystem::path& path, std::uint16_t port) {
  const auto tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) {
      throw std::runtime_error("cannot write " + tmp);
    }
  }
  std::filesystem::rename(tmp, path);
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int main(int argc, char** argv) {
  cli c = parse(argc, argv);
  // Block the signals before any thread exists so only sigwait() below ever sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    load_tls(c);
    const std::string host = c.opts.host;
    const bool tls = c.opts.tls;
    fake::server server(std::move(c.opts));
    if (c.port_file) {
      write_port_file(*c.port_file, server.port());
    }
    std::cout << "fake_provider listening on " << (tls ? "https" : "http") << "://"
              << url_host(host) << ":" << server.port() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
  } catch (const std::exception& e) {
    std::cerr << "fake_provider: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
