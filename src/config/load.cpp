// Entry points: file -> text -> YAML tree -> settings -> validated settings. Nothing below
// throws past load_file/load_string; every failure becomes a config_error.

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "internal.hpp"

namespace interlingua::config {
namespace {

load_result failure(const std::string& file, int line, std::string reason) {
  return load_result{std::nullopt, config_error{file, line, std::move(reason)}};
}

load_result load_checked(std::string_view yaml, const std::string& file) {
  const auto documents = YAML::LoadAll(std::string{yaml});
  if (documents.size() > 1) {
    // A stray `---` would otherwise silently drop everything after it.
    return failure(file, detail::line_of(documents[1]), "only one YAML document is allowed");
  }
  settings out;
  detail::line_map lines;
  detail::read_document(documents.empty() ? YAML::Node{} : documents.front(), file, out, lines);
  detail::validate(out, lines, file);
  return load_result{std::move(out), std::nullopt};
}

}  // namespace

std::string_view to_string(provider_kind kind) {
  switch (kind) {
    case provider_kind::openai_chat:
      return "openai_chat";
    case provider_kind::anthropic:
      return "anthropic";
    case provider_kind::gemini:
      return "gemini";
  }
  return "unknown";
}

const provider_config* settings::find_provider(std::string_view name) const {
  for (const auto& provider : providers) {
    if (provider.name == name) {
      return &provider;
    }
  }
  return nullptr;
}

std::string config_error::to_string() const {
  return line > 0 ? file + ":" + std::to_string(line) + ": " + reason : file + ": " + reason;
}

load_result load_string(std::string_view yaml, const std::string& file_name) {
  try {
    return load_checked(yaml, file_name);
  } catch (const detail::load_failure& f) {
    return load_result{std::nullopt, f.error};
  } catch (const YAML::ParserException& e) {
    return failure(file_name, e.mark.is_null() ? 0 : e.mark.line + 1, "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return failure(file_name, e.mark.is_null() ? 0 : e.mark.line + 1, "cannot read: " + e.msg);
  } catch (const std::exception& e) {
    return failure(file_name, 0, std::string{"cannot load: "} + e.what());
  }
}

load_result load_file(const std::string& path) {
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return failure(path, 0, "cannot open: is a directory");
    }
    std::ifstream in{path, std::ios::binary};
    if (!in) {
      const std::error_code reason{errno, std::generic_category()};
      return failure(path, 0, "cannot open: " + reason.message());
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      return failure(path, 0, "cannot read the file");
    }
    return load_string(text.str(), path);
  } catch (const std::exception& e) {
    return failure(path, 0, std::string{"cannot open: "} + e.what());
  }
}

}  // namespace interlingua::config
