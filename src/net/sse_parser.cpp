#include <interlingua/net/sse_parser.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace interlingua::net {
namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";
constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t npos = std::string_view::npos;
// A rare huge line or event must not pin its buffer for the rest of a long stream.
constexpr std::size_t k_retained_capacity = std::size_t{64} * 1024;

// Finds line terminators with memchr (via string_view::find), remembering the next CR and LF so
// each byte is scanned at most once per terminator kind; most streams never contain a CR at all.
class line_end_finder {
 public:
  explicit line_end_finder(std::string_view s)
      : s_(s), next_cr_(s.find('\r')), next_lf_(s.find('\n')) {}

  std::size_t next(std::size_t pos) {
    if (next_cr_ < pos) {
      next_cr_ = s_.find('\r', pos);
    }
    if (next_lf_ < pos) {
      next_lf_ = s_.find('\n', pos);
    }
    return std::min(next_cr_, next_lf_);
  }

 private:
  std::string_view s_;
  std::size_t next_cr_;
  std::size_t next_lf_;
};

struct utf8_step {
  std::size_t length;  // bytes consumed: the whole sequence, or its maximal valid prefix
  bool valid;
};

// One step of the WHATWG UTF-8 decoder starting at a non-ASCII byte. An invalid sequence consumes
// its lead byte and the continuation bytes that were acceptable, so the byte that broke it is
// decoded again on its own: exactly one U+FFFD per maximal invalid subpart, as browsers do.
utf8_step decode_step(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t needed = 0;
  unsigned char lower = 0x80;
  unsigned char upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    lower = lead == 0xE0 ? 0xA0 : lower;  // no overlong forms
    upper = lead == 0xED ? 0x9F : upper;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    lower = lead == 0xF0 ? 0x90 : lower;  // no overlong forms
    upper = lead == 0xF4 ? 0x8F : upper;  // nothing above U+10FFFF
  } else {
    return {1, false};
  }
  std::size_t length = 1;
  while (length <= needed) {
    if (i + length >= s.size()) {
      return {length, false};
    }
    const auto c = static_cast<unsigned char>(s[i + length]);
    if (c < lower || c > upper) {
      return {length, false};
    }
    lower = 0x80;
    upper = 0xBF;
    ++length;
  }
  return {length, true};
}

// Length of the leading run of ASCII bytes, 8 at a time: payloads are mostly ASCII JSON.
std::size_t ascii_run(const char* p, std::size_t n) {
  constexpr std::uint64_t high_bits = 0x8080808080808080ull;
  std::size_t i = 0;
  for (; i + sizeof(std::uint64_t) <= n; i += sizeof(std::uint64_t)) {
    std::uint64_t word;
    std::memcpy(&word, p + i, sizeof word);
    if ((word & high_bits) != 0) {
      break;
    }
  }
  while (i < n && static_cast<unsigned char>(p[i]) < 0x80) {
    ++i;
  }
  return i;
}

// Appends `in` decoded as the spec's UTF-8 decode would (invalid sequences become U+FFFD), copying
// valid runs in bulk. Values never straddle a line terminator, so decoding them one by one equals
// decoding the whole stream.
void append_utf8(std::string& out, std::string_view in) {
  std::size_t run_start = 0;
  std::size_t i = ascii_run(in.data(), in.size());
  while (i < in.size()) {
    const utf8_step step = decode_step(in, i);
    if (!step.valid) {
      out.append(in.data() + run_start, i - run_start);
      out.append(k_replacement);
      run_start = i + step.length;
    }
    i += step.length;
    i += ascii_run(in.data() + i, in.size() - i);
  }
  out.append(in.data() + run_start, in.size() - run_start);
}

void assign_utf8(std::string& out, std::string_view in) {
  out.clear();
  append_utf8(out, in);
}

// The spec's retry: value must be ASCII digits only; we also ignore values that overflow rather
// than wrap them into a short delay.
std::optional<std::uint64_t> parse_retry(std::string_view value) {
  if (value.empty()) {
    return std::nullopt;
  }
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t result = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (result > (max - digit) / 10) {
      return std::nullopt;
    }
    result = result * 10 + digit;
  }
  return result;
}

void release_if_large(std::string& s) {
  if (s.capacity() > k_retained_capacity) {
    std::string{}.swap(s);
  }
}

}  // namespace

sse_parser::sse_parser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

bool sse_parser::feed(std::string_view bytes, std::vector<sse_event>& out) {
  if (failed_) {
    return false;
  }
  if (bom_checked_) {
    return feed_lines(bytes, out);
  }
  // The BOM may arrive split over several calls: hold the matching prefix until it is decided.
  std::size_t i = 0;
  while (i < bytes.size() && bom_matched_ < k_bom.size() && bytes[i] == k_bom[bom_matched_]) {
    ++bom_matched_;
    ++i;
  }
  if (bom_matched_ == k_bom.size()) {
    bom_checked_ = true;
    return feed_lines(bytes.substr(i), out);
  }
  if (i == bytes.size()) {
    return true;
  }
  // Not a BOM after all: the held bytes are ordinary line content.
  bom_checked_ = true;
  if (!feed_lines(k_bom.substr(0, bom_matched_), out)) {
    return false;
  }
  return feed_lines(bytes.substr(i), out);
}

bool sse_parser::feed_lines(std::string_view bytes, std::vector<sse_event>& out) {
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes.front() == '\n') {
      bytes.remove_prefix(1);
    }
  }
  line_end_finder finder(bytes);
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t end = finder.next(pos);
    if (end == npos) {
      return stash_partial_line(bytes.substr(pos));
    }
    if (!complete_line(bytes.substr(pos, end - pos), out)) {
      return false;
    }
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos == bytes.size()) {
        skip_lf_ = true;
      } else if (bytes[pos] == '\n') {
        ++pos;
      }
    }
  }
  return true;
}

// `tail` is the end of a line whose terminator was just found; the line starts in partial_line_
// when an earlier chunk ended inside it. The common whole-line case is parsed without a copy.
bool sse_parser::complete_line(std::string_view tail, std::vector<sse_event>& out) {
  if (partial_line_.empty()) {
    if (tail.size() > max_event_bytes_) {
      return fail();
    }
    return process_line(tail, out);
  }
  if (!stash_partial_line(tail)) {
    return false;
  }
  const bool ok = process_line(partial_line_, out);
  partial_line_.clear();
  release_if_large(partial_line_);
  return ok;
}

bool sse_parser::stash_partial_line(std::string_view tail) {
  if (tail.size() > max_event_bytes_ - partial_line_.size()) {
    std::string{}.swap(partial_line_);
    return fail();
  }
  // Room for the rest of a typical line up front, so a line torn into many reads (or fed byte by
  // byte) does not reallocate on each piece.
  if (partial_line_.empty() && partial_line_.capacity() < tail.size()) {
    partial_line_.reserve(std::min(std::max<std::size_t>(tail.size() * 2, 256), max_event_bytes_));
  }
  partial_line_.append(tail);
  return true;
}

bool sse_parser::process_line(std::string_view line, std::vector<sse_event>& out) {
  if (raw_open_ ||
      (!block_open_ && !line.empty() && (line.front() == '{' || line.front() == '['))) {
    return raw_json_line(line, out);
  }
  if (line.empty()) {
    dispatch(out);
    return true;
  }
  if (line.front() == ':') {
    return true;  // comment, typically a keep-alive
  }
  const std::size_t colon = line.find(':');
  if (colon == npos) {
    return process_field(line, {});
  }
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  return process_field(line.substr(0, colon), value);
}

bool sse_parser::raw_json_line(std::string_view line, std::vector<sse_event>& out) {
  raw_open_ = true;
  block_open_ = true;
  if (!append_data(line)) {
    return false;
  }
  for (const char c : line) {
    if (raw_in_string_) {
      if (raw_escape_) {
        raw_escape_ = false;
      } else if (c == '\\') {
        raw_escape_ = true;
      } else if (c == '"') {
        raw_in_string_ = false;
      }
    } else if (c == '"') {
      raw_in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++raw_depth_;
    } else if (c == '}' || c == ']') {
      --raw_depth_;
    }
  }
  if (raw_depth_ <= 0) {
    raw_open_ = false;
    raw_in_string_ = false;
    raw_escape_ = false;
    raw_depth_ = 0;
    dispatch(out);
  }
  return true;
}

bool sse_parser::process_field(std::string_view field, std::string_view value) {
  block_open_ = true;
  if (field == "data") {
    return append_data(value);
  }
  if (field == "event") {
    assign_utf8(event_type_, value);
  } else if (field == "id") {
    if (value.find('\0') == npos) {
      assign_utf8(id_buffer_, value);
    }
  } else if (field == "retry") {
    if (const auto retry = parse_retry(value)) {
      retry_ = retry;
    }
  }
  return true;  // other field names are ignored, as the spec says
}

bool sse_parser::append_data(std::string_view value) {
  const std::size_t separator = has_data_ ? 1 : 0;
  // Checked before appending so an oversized event never allocates past the cap.
  if (value.size() + separator > max_event_bytes_ - data_.size()) {
    return fail();
  }
  if (has_data_) {
    data_.push_back('\n');
  }
  has_data_ = true;
  append_utf8(data_, value);
  if (data_.size() > max_event_bytes_) {
    return fail();  // U+FFFD replacements made it longer than the raw bytes
  }
  return true;
}

void sse_parser::dispatch(std::vector<sse_event>& out) {
  last_event_id_ = id_buffer_;  // committed even for blocks that dispatch nothing
  block_open_ = false;
  if (has_data_) {
    sse_event& event = out.emplace_back();
    event.event = std::move(event_type_);
    event.data = std::move(data_);
    event.id = last_event_id_;
    event.retry = retry_;
  }
  event_type_.clear();
  data_.clear();
  has_data_ = false;
  retry_.reset();
}

bool sse_parser::finish() {
  const bool on_boundary =
      !failed_ && partial_line_.empty() && !block_open_ && (bom_checked_ || bom_matched_ == 0);
  if (!failed_) {
    start_stream();
  }
  return on_boundary;
}

// Per-stream state back to the start of a stream. The id buffer restarts from the committed id so
// a reconnected stream without id: lines keeps reporting it (as Chromium does).
void sse_parser::start_stream() {
  partial_line_.clear();
  release_if_large(partial_line_);
  data_.clear();
  release_if_large(data_);
  event_type_.clear();
  id_buffer_ = last_event_id_;
  retry_.reset();
  bom_matched_ = 0;
  bom_checked_ = false;
  has_data_ = false;
  block_open_ = false;
  skip_lf_ = false;
  raw_open_ = false;
  raw_in_string_ = false;
  raw_escape_ = false;
  raw_depth_ = 0;
}

bool sse_parser::failed() const {
  return failed_;
}

const std::string& sse_parser::last_event_id() const {
  return last_event_id_;
}

void sse_parser::reset() {
  last_event_id_.clear();
  start_stream();
  failed_ = false;
}

// Failure is sticky and frees the event buffers at once: the stream is unusable anyway. (The
// partial line may still be the line being parsed; complete_line() releases it.)
bool sse_parser::fail() {
  failed_ = true;
  std::string{}.swap(data_);
  std::string{}.swap(event_type_);
  return false;
}

}  // namespace interlingua::net
