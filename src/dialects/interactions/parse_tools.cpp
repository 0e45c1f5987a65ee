#include "parse_input.hpp"

#include <interlingua/core/json_util.hpp>

namespace interlingua::dialects::interactions {

namespace {

using nlohmann::json;
using namespace core::json_util;


core::result<core::tool_decl> parse_declaration(const json& d, const std::string& where) {
  const json* name = member_string(d, "name");
  if (!name || text(*name).empty()) {
    return field_error(where + ".name", "is required");
  }
  const json* params = member(d, "parameters");
  if (params && !params->is_object() && !params->is_null()) {
    return field_error(where + ".parameters", "must be a JSON Schema object");
  }
  return core::tool_decl{name->get<std::string>(), string_or(d, "description"),
                         params && params->is_object() ? dump(*params) : std::string{}};
}

}  // namespace

core::result<std::vector<core::tool_decl>> parse_tools(const json& body) {
  std::vector<core::tool_decl> out;
  const json* tools = member(body, "tools");
  if (!tools || tools->is_null()) {
    return out;
  }
  if (!tools->is_array()) {
    return field_error("tools", "must be an array");
  }
  for (std::size_t i = 0; i < tools->size(); ++i) {
    std::string where = "tools[" + std::to_string(i) + "]";
    const json& t = (*tools)[i];
    if (const json* group = member(t, "function_declarations"); group && group->is_array()) {
      for (std::size_t j = 0; j < group->size(); ++j) {
        auto d = parse_declaration((*group)[j], where + ".function_declarations[" + std::to_string(j) + "]");
        if (!d) {
          return d.error();
        }
        out.push_back(std::move(*d));
      }
      continue;
    }
    std::string type = string_or(t, "type");
    if (type != "function") {
      return field_error(where + ".type",
                 type.empty() ? std::string("is required")
                              : "built-in tool \"" + type + "\" is not available on this model's provider");
    }
    auto d = parse_declaration(t, where);
    if (!d) {
      return d.error();
    }
    out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace interlingua::dialects::interactions
