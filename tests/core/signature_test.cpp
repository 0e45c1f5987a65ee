// Signatures carry their issuer so a conversation that changes provider never sends one API's
// signature to another (a 400 there), while each provider gets its own back byte for byte.

#include <gtest/gtest.h>

#include <interlingua/core/signature.hpp>

namespace interlingua::core {
namespace {

TEST(Signature, OwnSignatureComesBackRaw) {
  auto tagged = tag_signature("anthropic", "EqQBCkYIBxgC+/=");
  EXPECT_EQ(tagged, "anthropic:EqQBCkYIBxgC+/=");
  EXPECT_EQ(signature_for("anthropic", tagged), "EqQBCkYIBxgC+/=");
}

TEST(Signature, AnotherIssuersIsDropped) {
  EXPECT_EQ(signature_for("gemini", tag_signature("anthropic", "EqQB")), "");
  EXPECT_EQ(signature_for("anthropic", tag_signature("gemini", "CiQB")), "");
}

// A signature without a tag (a caller's own, from elsewhere) goes through unchanged: base64 and
// base64url never contain ':'.
TEST(Signature, UntaggedPassesThrough) {
  EXPECT_EQ(signature_for("gemini", "CiQB0e2Kb6Syj1a961+/_-=="), "CiQB0e2Kb6Syj1a961+/_-==");
  EXPECT_EQ(signature_for("gemini", ""), "");
  // Not a tag: upper case, empty, or too long a prefix.
  EXPECT_EQ(signature_for("gemini", "Gemini:x"), "Gemini:x");
  EXPECT_EQ(signature_for("gemini", ":x"), ":x");
  EXPECT_EQ(signature_for("gemini", "averyveryverylongname:x"), "averyveryverylongname:x");
}

}  // namespace
}  // namespace interlingua::core
