// loadgen: the benchmark's HTTP/1.1 load generator (one thread, epoll, keep-alive connections).
//
// Modes (all print ONE JSON line on stdout; every percentile is computed from every sample):
//   rate      open loop: request i is due at t0 + i/rate, whatever happened before. Latency is
//             measured from that scheduled time, so a slow response that delays later sends
//             (coordinated omission) is counted against the server, not hidden. A pool of up to
//             --conns keep-alive connections serves the schedule; a request that finds no idle
//             connection waits in a queue, and that wait is part of its latency.
//             With --sse each response is read as Server-Sent Events: time to first event, to
//             the first event containing --marker, and the largest gap between two events
//             (up to the event containing --last-marker, when given: the last delta).
//             --hist FILE writes every latency sample (time to --marker with --sse), sorted;
//             --hist-gap FILE every stream's largest gap: the bench merges the files of
//             interleaved rounds into one row.
//   closed    --conns connections, each sending its next request as soon as the previous answer
//             is complete (throughput at a fixed concurrency; latency from the actual send).
//   frontier  highest rate that --conns connections sustain with p99 under --bound-ms: one
//             closed-loop step gives the ceiling, then open-loop steps bisect below it.
//   hold      opens --streams SSE streams at --ramp per second (one connection each) and holds
//             them for --hold seconds; a stall is an event gap over --pace-ms + --stall-ms (or a
//             stream silent that long). Stops opening more at the first stall.
//   freeport  prints --count free loopback TCP ports (for generated configs).
//
// Only 127.0.0.1 (or --host) and plain HTTP; no TLS, no redirects, no pipelining.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using ns = std::int64_t;
constexpr ns kSec = 1'000'000'000;
constexpr ns kMs = 1'000'000;

ns now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ns(ts.tv_sec) * kSec + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "loadgen: %s\n", msg.c_str());
  std::exit(2);
}

// ---------------------------------------------------------------------------------------------
// Options

struct options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  std::string method = "POST";
  std::string body;
  std::vector<std::string> headers;
  std::string label;
  double rate = 100;
  double duration = 10;
  double warmup = 2;
  int conns = 16;
  double bound_ms = 50;
  int steps = 4;
  bool sse = false;
  std::string marker;
  std::string last_marker;  // gaps are measured up to the event that contains it (the last delta)
  double pace_ms = 1000;
  double stall_ms = 100;
  double ramp = 500;
  double hold = 10;
  int streams = 1000;
  int count = 1;
  std::string hist;       // file: every sample, sorted ("quantile latency_us")
  std::string hist_gap;   // streams: every stream's worst gap, in the same format
  std::string peak_file;  // hold: written when the hold phase starts
  double drain = 10;      // seconds allowed for in-flight requests after the schedule ends
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    die("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

options parse(int argc, char** argv) {
  options o;
  if (argc < 2)
    die("usage: loadgen MODE [--flag value]... (see the comment at the top of loadgen.cpp)");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string f = argv[i];
    if (f == "--sse") {
      o.sse = true;
      continue;
    }
    if (i + 1 >= argc)
      die("missing value for " + f);
    std::string v = argv[++i];
    auto num = [&] {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0')
        die(f + " needs a number");
      return d;
    };
    if (f == "--host")
      o.host = v;
    else if (f == "--port")
      o.port = int(num());
    else if (f == "--path")
      o.path = v;
    else if (f == "--method")
      o.method = v;
    else if (f == "--body")
      o.body = v;
    else if (f == "--body-file")
      o.body = read_file(v);
    else if (f == "--header")
      o.headers.push_back(v);
    else if (f == "--label")
      o.label = v;
    else if (f == "--rate")
      o.rate = num();
    else if (f == "--duration")
      o.duration = num();
    else if (f == "--warmup")
      o.warmup = num();
    else if (f == "--conns")
      o.conns = int(num());
    else if (f == "--bound-ms")
      o.bound_ms = num();
    else if (f == "--steps")
      o.steps = int(num());
    else if (f == "--marker")
      o.marker = v;
    else if (f == "--last-marker")
      o.last_marker = v;
    else if (f == "--pace-ms")
      o.pace_ms = num();
    else if (f == "--stall-ms")
      o.stall_ms = num();
    else if (f == "--ramp")
      o.ramp = num();
    else if (f == "--hold")
      o.hold = num();
    else if (f == "--streams")
      o.streams = int(num());
    else if (f == "--count")
      o.count = int(num());
    else if (f == "--hist")
      o.hist = v;
    else if (f == "--hist-gap")
      o.hist_gap = v;
    else if (f == "--peak-file")
      o.peak_file = v;
    else if (f == "--drain")
      o.drain = num();
    else
      die("unknown flag " + f);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Statistics: plain sorted vectors, nearest-rank percentiles over every sample.

struct series {
  std::vector<ns> v;
  bool sorted = false;
  void add(ns x) {
    v.push_back(x);
    sorted = false;
  }
  void sort() {
    if (!sorted)
      std::sort(v.begin(), v.end());
    sorted = true;
  }
  double pct_us(double p) {
    if (v.empty())
      return -1;
    sort();
    std::size_t rank = std::size_t(std::ceil(p / 100.0 * double(v.size())));
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    return double(v[rank - 1]) / 1000.0;
  }
  double mean_us() const {
    if (v.empty())
      return -1;
    long double s = 0;
    for (ns x : v) s += x;
    return double(s / v.size()) / 1000.0;
  }
};

struct json_out {
  std::string s = "{";
  void sep() {
    if (s.size() > 1)
      s += ',';
  }
  void str(const char* k, const std::string& v) {
    sep();
    s += '"';
    s += k;
    s += "\":\"";
    for (char c : v) {
      if (c == '"' || c == '\\')
        s += '\\';
      s += c;
    }
    s += '"';
  }
  void num(const char* k, double v) {
    sep();
    char buf[64];
    if (std::isfinite(v))
      std::snprintf(buf, sizeof buf, "\"%s\":%.3f", k, v);
    else
      std::snprintf(buf, sizeof buf, "\"%s\":null", k);
    s += buf;
  }
  void raw(const char* k, const std::string& v) {
    sep();
    s += '"';
    s += k;
    s += "\":";
    s += v;
  }
  void pcts(const std::string& prefix, series& x) {
    num((prefix + "_p50_us").c_str(), x.pct_us(50));
    num((prefix + "_p90_us").c_str(), x.pct_us(90));
    num((prefix + "_p99_us").c_str(), x.pct_us(99));
    num((prefix + "_p999_us").c_str(), x.pct_us(99.9));
    num((prefix + "_max_us").c_str(), x.pct_us(100));
    num((prefix + "_mean_us").c_str(), x.mean_us());
  }
  std::string done() { return s + "}"; }
};

void write_hist(const std::string& path, series& x) {
  if (path.empty())
    return;
  x.sort();
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f)
    die("cannot write " + path);
  const std::size_t n = x.v.size();
  for (std::size_t i = 0; i < n; ++i) {
    // (i+1)/n is the quantile this sample closes; plotted as 1/(1-q) on a log axis.
    double q = double(i + 1) / double(n);
    std::fprintf(f, "%.6f %.3f\n", q, double(x.v[i]) / 1000.0);
  }
  std::fclose(f);
}

// ---------------------------------------------------------------------------------------------
// Connections and the HTTP/1.1 response parser

struct request_state {
  ns scheduled = 0;  // open loop: when it was due; closed loop: when it was sent
  ns dispatched =
      0;  // when the loop picked it up (loadgen's own lateness = dispatched - scheduled)
  ns sent = 0;
  ns first_byte = 0;
  ns first_event = 0;
  ns first_marker = 0;
  ns last_event = 0;
  ns max_gap = 0;
  int events = 0;
  bool last_seen = false;  // the --last-marker event went by: later gaps are not counted
  int retries = 0;
  bool measured = false;
  bool stalled = false;  // hold: currently counted as stalled (until its next event)
};

enum class cstate { closed, connecting, idle, busy };
enum class phase { head, body_len, chunk_size, chunk_data, chunk_crlf, trailer, body_eof, done };

struct conn {
  int fd = -1;
  std::uint32_t gen = 0;
  std::uint32_t index = 0;
  cstate st = cstate::closed;
  bool has_request = false;
  bool wrote_any = false;
  std::size_t out_off = 0;
  std::string in;
  std::size_t in_off = 0;
  phase ph = phase::head;
  std::size_t remaining = 0;
  bool keep_alive = true;
  int status = 0;
  std::string ev;  // SSE event being assembled ('\r' removed)
  request_state rq;
};

enum class outcome { ok, http_error, io_error };

struct engine {
  const options& o;
  std::string request;  // the bytes of one request, sent for every request
  int ep = -1;
  sockaddr_in addr{};
  std::vector<std::unique_ptr<conn>> conns;
  std::vector<conn*> idle;  // LIFO: the hottest connection is reused first
  std::vector<conn*> free_slots;
  std::size_t open_count = 0;
  std::size_t max_conns = 0;
  // Called with the finished request; the engine then recycles the connection.
  std::function<void(conn&, outcome)> on_done;
  std::function<void(conn&)> on_event;  // SSE event completed (hold mode)
  std::function<void(conn&)> on_idle;   // a connection became free
  std::uint64_t connect_errors = 0;

  explicit engine(const options& opts) : o(opts) {
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
      die("epoll_create1");
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(o.port));
    if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
      die("bad --host (IPv4 only)");
    std::string r = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" +
                    std::to_string(o.port) + "\r\nUser-Agent: interlingua-loadgen\r\n";
    bool has_ct = false;
    for (const auto& h : o.headers) {
      r += h + "\r\n";
      if (strncasecmp(h.c_str(), "content-type:", 13) == 0)
        has_ct = true;
    }
    if (o.method != "GET") {
      if (!has_ct)
        r += "Content-Type: application/json\r\n";
      r += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
    }
    r += "\r\n" + o.body;
    request = std::move(r);
  }

  ~engine() {
    for (auto& c : conns) {
      if (c->fd >= 0)
        ::close(c->fd);
    }
    if (ep >= 0)
      ::close(ep);
  }

  std::uint64_t key(const conn& c) const { return (std::uint64_t(c.gen) << 32) | c.index; }

  conn* new_slot() {
    while (!free_slots.empty()) {
      conn* c = free_slots.back();
      free_slots.pop_back();
      if (c->st == cstate::closed && c->fd < 0)
        return c;
    }
    conns.push_back(std::make_unique<conn>());
    conns.back()->index = std::uint32_t(conns.size() - 1);
    return conns.back().get();
  }

  // Starts a non-blocking connect; nullptr when the socket cannot even be created.
  conn* open() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++connect_errors;
      return nullptr;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (rc < 0 && errno != EINPROGRESS) {
      ::close(fd);
      ++connect_errors;
      return nullptr;
    }
    conn* c = new_slot();
    c->fd = fd;
    ++c->gen;
    c->st = cstate::connecting;
    c->has_request = false;
    c->in.clear();
    c->in_off = 0;
    epoll_event e{};
    e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    e.data.u64 = key(*c);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
      die("epoll_ctl");
    ++open_count;
    max_conns = std::max(max_conns, open_count);
    return c;
  }

  void close(conn& c) {
    if (c.fd >= 0) {
      ::close(c.fd);
      c.fd = -1;
      --open_count;
    }
    if (c.st != cstate::closed)
      free_slots.push_back(&c);
    c.st = cstate::closed;
    c.has_request = false;
  }

  conn* take_idle() {
    while (!idle.empty()) {
      conn* c = idle.back();
      idle.pop_back();
      if (c->st == cstate::idle)
        return c;
    }
    return nullptr;
  }

  // Gives a request to a connection (idle, or still connecting: it is sent once connected).
  void assign(conn& c, const request_state& rq) {
    c.rq = rq;
    c.has_request = true;
    c.wrote_any = false;
    c.out_off = 0;
    c.ph = phase::head;
    c.ev.clear();
    if (c.st == cstate::idle) {
      c.st = cstate::busy;
      flush(c);
    }
  }

  void flush(conn& c) {
    if (c.st != cstate::busy || c.out_off >= request.size())
      return;
    if (c.out_off == 0)
      c.rq.sent = now_ns();
    while (c.out_off < request.size()) {
      ssize_t n =
          ::send(c.fd, request.data() + c.out_off, request.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += std::size_t(n);
        c.wrote_any = true;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      fail(c);
      return;
    }
  }

  void become_idle(conn& c) {
    c.st = cstate::idle;
    c.has_request = false;
    idle.push_back(&c);
    if (on_idle)
      on_idle(c);
  }

  void fail(conn& c) {
    const bool had = c.has_request;
    close(c);
    if (had && on_done)
      on_done(c, outcome::io_error);
  }

  void complete(conn& c) {
    const bool ok = c.status >= 200 && c.status < 300;
    const bool reuse = c.keep_alive;
    c.has_request = false;
    if (!reuse)
      close(c);
    else
      c.st = cstate::idle;
    if (on_done)
      on_done(c, ok ? outcome::ok : outcome::http_error);
    if (reuse && c.st == cstate::idle && !c.has_request) {
      idle.push_back(&c);
      if (on_idle)
        on_idle(c);
    }
  }

  void handle(std::uint64_t k, std::uint32_t events) {
    const std::uint32_t index = std::uint32_t(k & 0xffffffffu);
    if (index >= conns.size())
      return;
    conn& c = *conns[index];
    const std::uint32_t gen = std::uint32_t(k >> 32);
    if (c.gen != gen || c.st == cstate::closed)
      return;  // stale
    // A callback may close this connection and reuse its slot for a new one: check `gen`.
    auto gone = [&] { return c.gen != gen || c.st == cstate::closed; };
    if (c.st == cstate::connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (events & EPOLLERR)) {
        ++connect_errors;
        fail(c);
        return;
      }
      if (c.has_request) {
        c.st = cstate::busy;
        flush(c);
      } else {
        become_idle(c);
      }
      if (gone())
        return;
    }
    if (events & EPOLLOUT)
      flush(c);
    if (gone())
      return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
      read(c);
  }

  void read(conn& c) {
    static char buf[1 << 16];
    const std::uint32_t gen = c.gen;
    auto gone = [&] { return c.gen != gen || c.st == cstate::closed; };
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.st != cstate::busy) {
          fail(c);  // bytes nobody asked for
          return;
        }
        if (c.rq.first_byte == 0)
          c.rq.first_byte = now_ns();
        c.in.append(buf, std::size_t(n));
        parse(c);
        if (gone())
          return;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n < 0 && errno == EINTR)
        continue;
      // EOF or error.
      if (c.st == cstate::busy && c.ph == phase::body_eof) {
        c.keep_alive = false;
        complete(c);  // closes it (no keep-alive)
        return;
      }
      fail(c);
      return;
    }
  }

  void body(conn& c, const char* p, std::size_t n) {
    if (!o.sse)
      return;
    for (std::size_t i = 0; i < n; ++i) {
      if (p[i] != '\r')
        c.ev.push_back(p[i]);
    }
    for (;;) {
      const auto pos = c.ev.find("\n\n");
      if (pos == std::string::npos)
        return;
      const ns t = now_ns();
      request_state& r = c.rq;
      if (r.events == 0)
        r.first_event = t;
      else if (!r.last_seen)
        r.max_gap = std::max(r.max_gap, t - r.last_event);
      r.last_event = t;
      ++r.events;
      if (r.first_marker == 0 && !o.marker.empty() &&
          std::string_view(c.ev).substr(0, pos).find(o.marker) != std::string_view::npos) {
        r.first_marker = t;
      }
      if (!r.last_seen && !o.last_marker.empty() &&
          std::string_view(c.ev).substr(0, pos).find(o.last_marker) != std::string_view::npos) {
        r.last_seen = true;
      }
      c.ev.erase(0, pos + 2);
      if (on_event)
        on_event(c);
    }
  }

  static bool iequals_prefix(std::string_view line, std::string_view name) {
    return line.size() >= name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0;
  }

  bool parse_head(conn& c) {
    const auto end = c.in.find("\r\n\r\n", c.in_off);
    if (end == std::string::npos)
      return false;
    std::string_view head(c.in.data() + c.in_off, end - c.in_off);
    c.in_off = end + 4;
    c.status = 0;
    if (head.size() > 12)
      c.status = std::atoi(std::string(head.substr(9, 3)).c_str());
    const bool http10 = head.substr(0, 8) == "HTTP/1.0";
    c.keep_alive = !http10;
    bool chunked = false;
    long long length = -1;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      const std::size_t next = head.find("\r\n", pos + 2);
      std::string_view line =
          head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
      if (iequals_prefix(line, "content-length:"))
        length = std::atoll(std::string(line.substr(15)).c_str());
      else if (iequals_prefix(line, "transfer-encoding:")) {
        std::string v(line.substr(18));
        for (auto& ch : v) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        chunked = v.find("chunked") != std::string::npos;
      } else if (iequals_prefix(line, "connection:")) {
        std::string v(line.substr(11));
        for (auto& ch : v) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (v.find("close") != std::string::npos)
          c.keep_alive = false;
        if (v.find("keep-alive") != std::string::npos && http10)
          c.keep_alive = true;
      }
      pos = next;
    }
    if (c.status == 100) {  // interim response: wait for the real one
      c.ph = phase::head;
      return true;
    }
    if (chunked)
      c.ph = phase::chunk_size;
    else if (length >= 0) {
      c.remaining = std::size_t(length);
      c.ph = length == 0 ? phase::done : phase::body_len;
    } else if (c.status == 204 || c.status == 304)
      c.ph = phase::done;
    else
      c.ph = phase::body_eof;
    return true;
  }

  void parse(conn& c) {
    for (;;) {
      const std::size_t avail = c.in.size() - c.in_off;
      switch (c.ph) {
        case phase::head:
          if (!parse_head(c))
            goto out;
          continue;
        case phase::body_len:
        case phase::body_eof: {
          std::size_t take = c.ph == phase::body_eof ? avail : std::min(avail, c.remaining);
          body(c, c.in.data() + c.in_off, take);
          c.in_off += take;
          if (c.ph == phase::body_len) {
            c.remaining -= take;
            if (c.remaining == 0)
              c.ph = phase::done;
          }
          if (c.ph != phase::done)
            goto out;
          continue;
        }
        case phase::chunk_size: {
          const auto eol = c.in.find("\r\n", c.in_off);
          if (eol == std::string::npos)
            goto out;
          c.remaining = std::strtoull(c.in.c_str() + c.in_off, nullptr, 16);
          c.in_off = eol + 2;
          c.ph = c.remaining == 0 ? phase::trailer : phase::chunk_data;
          continue;
        }
        case phase::chunk_data: {
          std::size_t take = std::min(avail, c.remaining);
          body(c, c.in.data() + c.in_off, take);
          c.in_off += take;
          c.remaining -= take;
          if (c.remaining > 0)
            goto out;
          c.ph = phase::chunk_crlf;
          continue;
        }
        case phase::chunk_crlf:
          if (avail < 2)
            goto out;
          c.in_off += 2;
          c.ph = phase::chunk_size;
          continue;
        case phase::trailer: {
          const auto eol = c.in.find("\r\n", c.in_off);
          if (eol == std::string::npos)
            goto out;
          const bool empty = eol == c.in_off;
          c.in_off = eol + 2;
          if (empty)
            c.ph = phase::done;
          continue;
        }
        case phase::done: {
          if (c.in_off >= c.in.size()) {
            c.in.clear();
            c.in_off = 0;
          } else {
            c.in.erase(0, c.in_off);  // should not happen without pipelining
            c.in_off = 0;
          }
          c.ph = phase::head;
          complete(c);
          return;
        }
      }
    }
  out:
    if (c.in_off > 0 && c.in_off == c.in.size()) {
      c.in.clear();
      c.in_off = 0;
    } else if (c.in_off > (1u << 16)) {
      c.in.erase(0, c.in_off);
      c.in_off = 0;
    }
  }

  // Waits for I/O until `deadline` (absolute, ns) at the latest; nanosecond timeout resolution.
  void poll(ns deadline) {
    epoll_event events[512];
    ns wait = std::max<ns>(0, deadline - now_ns());
    timespec ts{time_t(wait / kSec), long(wait % kSec)};
    int n = epoll_pwait2(ep, events, 512, &ts, nullptr);
    if (n < 0) {
      if (errno == EINTR)
        return;
      die("epoll_pwait2");
    }
    for (int i = 0; i < n; ++i) handle(events[i].data.u64, events[i].events);
  }

  // Opens `n` connections and waits (bounded) until they are connected.
  void preopen(int n, ns deadline) {
    for (int i = 0; i < n; ++i) {
      if (open() == nullptr)
        break;
      // Do not flood the accept queue: let connects complete every 128.
      if ((i & 127) == 127)
        poll(now_ns());
    }
    while (now_ns() < deadline) {
      std::size_t connecting = 0;
      for (auto& c : conns) connecting += c->st == cstate::connecting;
      if (connecting == 0)
        break;
      poll(std::min(deadline, now_ns() + 50 * kMs));
    }
  }

  std::size_t busy_count() const {
    std::size_t n = 0;
    for (const auto& c : conns)
      n += c->st == cstate::busy || (c->st == cstate::connecting && c->has_request);
    return n;
  }
};

// ---------------------------------------------------------------------------------------------
// Runs

struct results {
  series latency;  // rate/closed: full response; sse: until the last byte of the stream
  series ttfb;     // first response byte
  series ttfe;     // first SSE event
  series ttft;     // first event containing the marker
  series max_gap;  // per stream
  series gen_lag;  // loadgen lateness (dispatched - scheduled)
  std::uint64_t ok = 0, http_errors = 0, io_errors = 0, unfinished = 0, retries = 0;
  std::uint64_t scheduled = 0;
  // Every request answered and every SSE event received, warm-up included: what the server did
  // work for, to divide its CPU time by (bench/run's "CPU per request / per event").
  std::uint64_t completed_all = 0, events_all = 0;
  double measure_s = 0;
  double achieved_rps = 0;
  double offered_rps = 0;
  std::size_t max_conns = 0;
};

void record(results& r, const request_state& rq, ns done, const options& o) {
  if (!rq.measured)
    return;
  ++r.ok;
  r.latency.add(done - rq.scheduled);
  if (rq.first_byte)
    r.ttfb.add(rq.first_byte - rq.scheduled);
  r.gen_lag.add(rq.dispatched - rq.scheduled);
  if (o.sse) {
    if (rq.first_event)
      r.ttfe.add(rq.first_event - rq.scheduled);
    if (rq.first_marker)
      r.ttft.add(rq.first_marker - rq.scheduled);
    r.max_gap.add(rq.max_gap);
  }
}

// Open loop at `rate` for warmup + duration seconds with at most `max_conns` connections.
results run_rate(engine& e, const options& o, double rate, double warmup, double duration,
                 int max_conns) {
  results r;
  r.offered_rps = rate;
  std::deque<request_state> queue;  // due, waiting for a connection
  const ns interval = ns(double(kSec) / rate);
  const ns t0 = now_ns() + 20 * kMs;
  const ns measure_from = t0 + ns(warmup * kSec);
  const std::uint64_t total = std::uint64_t(std::llround(rate * (warmup + duration)));
  std::uint64_t next = 0;
  std::uint64_t outstanding = 0;

  auto dispatch = [&](const request_state& rq) {
    conn* c = e.take_idle();
    if (c == nullptr && int(e.open_count) < max_conns)
      c = e.open();
    if (c == nullptr) {
      queue.push_back(rq);
      return;
    }
    e.assign(*c, rq);
  };
  e.on_idle = [&](conn& c) {
    if (queue.empty() || c.st != cstate::idle)
      return;
    request_state rq = queue.front();
    queue.pop_front();
    // take it back off the idle stack (it is on top)
    if (!e.idle.empty() && e.idle.back() == &c)
      e.idle.pop_back();
    e.assign(c, rq);
  };
  e.on_done = [&](conn& c, outcome out) {
    const ns t = now_ns();
    request_state rq = c.rq;
    if (out == outcome::io_error && rq.retries == 0 && rq.first_byte == 0) {
      // No answer byte: the connection failed, or the server closed an idle keep-alive
      // connection as we reused it. Retry once on another connection; the schedule is kept.
      rq.retries = 1;
      ++r.retries;
      dispatch(rq);
      return;
    }
    --outstanding;
    if (out == outcome::ok) {
      ++r.completed_all;
      r.events_all += std::uint64_t(rq.events);
    }
    if (out == outcome::ok)
      record(r, rq, t, o);
    else if (rq.measured)
      (out == outcome::http_error ? r.http_errors : r.io_errors)++;
    if (out == outcome::io_error && !queue.empty() && int(e.open_count) < max_conns) {
      request_state q = queue.front();
      queue.pop_front();
      dispatch(q);
    }
  };

  while (next < total) {
    const ns t = now_ns();
    while (next < total && t0 + ns(next) * interval <= t) {
      request_state rq;
      rq.scheduled = t0 + ns(next) * interval;
      rq.dispatched = t;
      rq.measured = rq.scheduled >= measure_from;
      r.scheduled += rq.measured;
      ++next;
      ++outstanding;
      dispatch(rq);
    }
    if (next < total)
      e.poll(t0 + ns(next) * interval);
  }
  const ns end_schedule = now_ns();
  const ns drain_until = end_schedule + ns(o.drain * kSec);
  while (outstanding > 0 && now_ns() < drain_until)
    e.poll(std::min(drain_until, now_ns() + 100 * kMs));
  r.unfinished = outstanding;
  // Whatever is still queued or in flight was scheduled and never answered in time.
  for (auto& c : e.conns) {
    if (c->st == cstate::busy || c->st == cstate::connecting)
      e.close(*c);
  }
  queue.clear();
  r.measure_s = duration;
  r.achieved_rps = double(r.ok) / duration;
  r.max_conns = e.max_conns;
  e.on_done = nullptr;
  e.on_idle = nullptr;
  return r;
}

// Closed loop: every connection sends again as soon as its answer is complete.
results run_closed(engine& e, const options& o, int n, double warmup, double duration) {
  results r;
  const ns start = now_ns();
  const ns measure_from = start + ns(warmup * kSec);
  const ns measure_to = measure_from + ns(duration * kSec);
  bool running = true;
  std::uint64_t outstanding = 0;
  auto send_on = [&](conn& c) {
    request_state rq;
    rq.scheduled = rq.dispatched = now_ns();
    rq.measured = true;
    ++outstanding;
    e.assign(c, rq);
  };
  e.on_idle = nullptr;
  e.on_done = [&](conn& c, outcome out) {
    const ns t = now_ns();
    --outstanding;
    const request_state rq = c.rq;
    if (rq.scheduled >= measure_from && t <= measure_to) {
      if (out == outcome::ok)
        record(r, rq, t, o);
      else
        (out == outcome::http_error ? r.http_errors : r.io_errors)++;
    }
    if (!running)
      return;
    if (c.st == cstate::idle) {
      send_on(c);
    } else if (conn* fresh = e.open()) {
      request_state next;
      next.scheduled = next.dispatched = now_ns();
      next.measured = true;
      ++outstanding;
      e.assign(*fresh, next);
    }
  };
  int started = 0;
  while (conn* c = e.take_idle()) {
    if (started >= n) {
      e.idle.push_back(c);
      break;
    }
    send_on(*c);
    ++started;
  }
  for (; started < n; ++started) {
    if (conn* c = e.open()) {
      request_state rq;
      rq.scheduled = rq.dispatched = now_ns();
      rq.measured = true;
      ++outstanding;
      e.assign(*c, rq);
    }
  }
  while (now_ns() < measure_to) e.poll(std::min(measure_to, now_ns() + 100 * kMs));
  running = false;
  const ns drain_until = now_ns() + ns(o.drain * kSec);
  while (outstanding > 0 && now_ns() < drain_until)
    e.poll(std::min(drain_until, now_ns() + 100 * kMs));
  r.unfinished = outstanding;
  for (auto& c : e.conns) {
    if (c->st == cstate::busy || c->st == cstate::connecting)
      e.close(*c);
  }
  r.measure_s = duration;
  r.achieved_rps = double(r.ok) / duration;
  r.max_conns = e.max_conns;
  e.on_done = nullptr;
  return r;
}

void put_results(json_out& j, results& r, const options& o) {
  j.num("offered_rps", r.offered_rps);
  j.num("achieved_rps", r.achieved_rps);
  j.num("ok", double(r.ok));
  j.num("scheduled", double(r.scheduled));
  j.num("completed_all", double(r.completed_all));
  j.num("events_all", double(r.events_all));
  j.num("http_errors", double(r.http_errors));
  j.num("io_errors", double(r.io_errors));
  j.num("unfinished", double(r.unfinished));
  j.num("retries", double(r.retries));
  j.num("max_conns", double(r.max_conns));
  j.pcts("latency", r.latency);
  j.pcts("ttfb", r.ttfb);
  j.num("gen_lag_p99_us", r.gen_lag.pct_us(99));
  if (o.sse) {
    j.pcts("ttfe", r.ttfe);
    j.pcts("ttft", r.ttft);
    j.pcts("max_gap", r.max_gap);
  }
}

std::string step_json(results& r) {
  json_out j;
  j.num("offered_rps", r.offered_rps);
  j.num("achieved_rps", r.achieved_rps);
  j.num("p50_us", r.latency.pct_us(50));
  j.num("p99_us", r.latency.pct_us(99));
  j.num("errors", double(r.http_errors + r.io_errors + r.unfinished));
  return j.done();
}

int mode_rate(const options& o) {
  engine e(o);
  e.preopen(std::min(o.conns, 64), now_ns() + 5 * kSec);
  results r = run_rate(e, o, o.rate, o.warmup, o.duration, o.conns);
  json_out j;
  j.str("label", o.label);
  j.str("mode", o.sse ? "stream" : "rate");
  j.num("conns", o.conns);
  put_results(j, r, o);
  write_hist(o.hist, o.sse ? (o.marker.empty() ? r.ttfe : r.ttft) : r.latency);
  if (o.sse)
    write_hist(o.hist_gap, r.max_gap);
  std::printf("%s\n", j.done().c_str());
  return 0;
}

int mode_closed(const options& o) {
  engine e(o);
  e.preopen(o.conns, now_ns() + 10 * kSec);
  results r = run_closed(e, o, o.conns, o.warmup, o.duration);
  json_out j;
  j.str("label", o.label);
  j.str("mode", "closed");
  j.num("conns", o.conns);
  put_results(j, r, o);
  write_hist(o.hist, r.latency);
  std::printf("%s\n", j.done().c_str());
  return 0;
}

// The highest rate `conns` connections sustain with p99 <= bound, no errors, and the offered
// rate actually achieved (within 3%).
int mode_frontier(const options& o) {
  engine e(o);
  e.preopen(o.conns, now_ns() + 10 * kSec);
  const ns bound = ns(o.bound_ms * double(kMs));
  std::string steps = "[";
  auto add_step = [&](results& r, const char* kind) {
    if (steps.size() > 1)
      steps += ',';
    std::string s = step_json(r);
    s.insert(1, std::string("\"kind\":\"") + kind + "\",");
    steps += s;
  };
  results closed = run_closed(e, o, o.conns, o.warmup, o.duration);
  add_step(closed, "closed");
  const double ceiling = closed.achieved_rps;
  auto passes = [&](results& r) {
    const bool clean = r.http_errors + r.io_errors + r.unfinished == 0;
    return clean && r.ok > 0 && r.latency.pct_us(99) * 1000.0 <= double(bound) &&
           (r.offered_rps == 0 || r.achieved_rps >= 0.97 * r.offered_rps);
  };
  double best = 0;
  double best_p99 = -1, best_p50 = -1;
  if (passes(closed)) {
    best = ceiling;
    best_p99 = closed.latency.pct_us(99);
    best_p50 = closed.latency.pct_us(50);
  } else if (ceiling > 0) {
    double lo = 0, hi = ceiling;
    double rate = 0.9 * ceiling;
    for (int i = 0; i < o.steps; ++i) {
      results r = run_rate(e, o, rate, o.warmup, o.duration, o.conns);
      add_step(r, "open");
      if (passes(r)) {
        lo = rate;
        if (r.achieved_rps > best) {
          best = r.achieved_rps;
          best_p99 = r.latency.pct_us(99);
          best_p50 = r.latency.pct_us(50);
        }
      } else {
        hi = rate;
      }
      rate = lo > 0 ? (lo + hi) / 2 : hi / 2;
      // top up the pool if the server closed connections
      e.preopen(std::max(0, o.conns - int(e.open_count)), now_ns() + 5 * kSec);
    }
  }
  steps += "]";
  json_out j;
  j.str("label", o.label);
  j.str("mode", "frontier");
  j.num("conns", o.conns);
  j.num("bound_ms", o.bound_ms);
  j.num("ceiling_rps", ceiling);
  j.num("closed_p50_us", closed.latency.pct_us(50));
  j.num("closed_p99_us", closed.latency.pct_us(99));
  j.num("closed_errors", double(closed.http_errors + closed.io_errors + closed.unfinished));
  j.num("frontier_rps", best);
  j.num("frontier_p50_us", best_p50);
  j.num("frontier_p99_us", best_p99);
  j.raw("steps", steps);
  std::printf("%s\n", j.done().c_str());
  return 0;
}

// Held streams. One connection per stream; the ramp is scheduled (open loop).
int mode_hold(const options& o) {
  engine e(o);
  if (!o.sse)
    die("hold needs --sse");
  const ns pace = ns(o.pace_ms * double(kMs));
  const ns stall_after = pace + ns(o.stall_ms * double(kMs));
  const ns interval = ns(double(kSec) / o.ramp);
  const ns t0 = now_ns() + 20 * kMs;
  int opened = 0;
  std::size_t receiving = 0;  // open streams that got their first event
  std::size_t max_receiving = 0;
  std::uint64_t stalls = 0, ended_early = 0, errors = 0, connect_failures = 0;
  long first_stall_at = -1;  // streams open (requested) when the first stall was seen
  ns max_gap = 0;
  series ttfe;
  bool ramping = true;
  ns hold_until = 0;

  auto note_stall = [&](conn& c) {
    if (c.rq.stalled)
      return;
    c.rq.stalled = true;
    ++stalls;
    if (first_stall_at < 0)
      first_stall_at = long(e.open_count);
  };
  e.on_event = [&](conn& c) {
    request_state& r = c.rq;
    if (r.events == 1) {
      ++receiving;
      max_receiving = std::max(max_receiving, receiving);
      ttfe.add(r.first_event - r.scheduled);
      if (r.first_event - r.scheduled > stall_after)
        note_stall(c);
    } else {
      max_gap = std::max(max_gap, r.max_gap);
      if (r.max_gap > stall_after)
        note_stall(c);
    }
    r.stalled = false;
  };
  e.on_done = [&](conn& c, outcome out) {
    if (c.rq.events > 0 && receiving > 0)
      --receiving;
    if (out == outcome::ok)
      ++ended_early;
    else
      ++errors;
    if (c.st != cstate::closed)
      e.close(c);
  };
  e.on_idle = [&](conn& c) {  // connected: send its request
    request_state rq;
    rq.scheduled = rq.dispatched = now_ns();
    if (!e.idle.empty() && e.idle.back() == &c)
      e.idle.pop_back();
    e.assign(c, rq);
  };
  ns next_check = now_ns();
  for (;;) {
    const ns t = now_ns();
    if (ramping) {
      while (opened < o.streams && t0 + ns(opened) * interval <= t) {
        conn* c = e.open();
        ++opened;
        if (c == nullptr) {
          ++connect_failures;
          continue;
        }
        request_state rq;
        rq.scheduled = rq.dispatched = t0 + ns(opened - 1) * interval;
        c->rq = rq;
        c->has_request = true;  // sent once connected
        c->wrote_any = false;
        c->out_off = 0;
        c->ph = phase::head;
        c->ev.clear();
      }
      if (opened >= o.streams || (first_stall_at >= 0)) {
        ramping = false;
        hold_until = now_ns() + ns(o.hold * kSec);
        if (!o.peak_file.empty()) {
          std::ofstream(o.peak_file) << opened << "\n";
        }
      }
    } else if (t >= hold_until) {
      break;
    }
    if (t >= next_check) {  // silent streams count as stalled too
      for (auto& cp : e.conns) {
        conn& c = *cp;
        if (c.st == cstate::closed || !c.has_request || c.rq.stalled)
          continue;
        const ns since = c.rq.events > 0 ? c.rq.last_event : c.rq.scheduled;
        if (t - since > stall_after) {
          note_stall(c);
          max_gap = std::max(max_gap, t - since);
        }
      }
      next_check = t + 20 * kMs;
    }
    ns wake = next_check;
    if (ramping && opened < o.streams)
      wake = std::min(wake, t0 + ns(opened) * interval);
    e.poll(wake);
  }
  json_out j;
  j.str("label", o.label);
  j.str("mode", "hold");
  j.num("target_streams", o.streams);
  j.num("opened", opened);
  j.num("max_receiving", double(max_receiving));
  j.num("open_at_end", double(e.open_count));
  j.num("first_stall_at", double(first_stall_at));
  j.num("stalls", double(stalls));
  j.num("ended_early", double(ended_early));
  j.num("errors", double(errors));
  j.num("connect_failures", double(connect_failures + e.connect_errors));
  j.num("pace_ms", o.pace_ms);
  j.num("stall_ms", o.stall_ms);
  j.num("max_gap_us", double(max_gap) / 1000.0);
  j.pcts("ttfe", ttfe);
  std::printf("%s\n", j.done().c_str());
  return 0;
}

int mode_freeport(const options& o) {
  std::vector<int> fds;
  for (int i = 0; i < o.count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      die("bind");
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    std::printf("%d\n", ntohs(a.sin_port));
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake up on time: the schedule is the measurement
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (o.mode == "freeport")
    return mode_freeport(o);
  if (o.port <= 0)
    die("--port is required");
  if (o.mode == "rate")
    return mode_rate(o);
  if (o.mode == "closed")
    return mode_closed(o);
  if (o.mode == "frontier")
    return mode_frontier(o);
  if (o.mode == "hold")
    return mode_hold(o);
  die("unknown mode " + o.mode);
}
