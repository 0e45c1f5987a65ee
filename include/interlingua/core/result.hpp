#pragma once

// boost::system::result with core::error: what translation code returns instead of throwing.

#include <stdexcept>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <interlingua/core/error.hpp>

namespace interlingua::core {

template <class T>
using result = boost::system::result<T, error>;

// Only reached when code calls .value() on a failed result: a bug, never client input.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

}  // namespace interlingua::core
