#pragma once

namespace interlingua::core {

// Builds one visitor out of several lambdas, for std::visit over core variants.
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace interlingua::core
