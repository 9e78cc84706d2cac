#include "pancaim/site_dataset/modality_set.h"

#include <gtest/gtest.h>

namespace pancaim::sitedataset {
namespace {

TEST(ModalitySetTest, ParsesAndPrints) {
  auto set = ParseModalitySet(" genomics, clinical ");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(*set, (ModalitySet{.genomics = true, .clinical = true}));
  EXPECT_EQ(set->ToString(), "genomics,clinical");
  EXPECT_EQ(ParseModalitySet("all").value(), ModalitySet::All());
  EXPECT_EQ(ModalitySet::All().ToString(), "ct,slides,genomics,clinical");
  EXPECT_TRUE(ParseModalitySet("").value().empty());
}

TEST(ModalitySetTest, RefusesUnknownNames) {
  auto set = ParseModalitySet("ct,mri");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find("'mri'"), std::string::npos);
  EXPECT_FALSE(ParseModalitySet("ct,").ok());
}

TEST(ModalitySetTest, Contains) {
  const ModalitySet all = ModalitySet::All();
  EXPECT_TRUE(all.Contains({.ct = true, .clinical = true}));
  EXPECT_FALSE((ModalitySet{.ct = true}).Contains({.slides = true}));
  EXPECT_TRUE((ModalitySet{.ct = true}).Contains(ModalitySet::None()));
}

}  // namespace
}  // namespace pancaim::sitedataset
