// config_testing: a config::Config from main.cf text, for unit tests.
//
//   config::Config cfg = config::testing::FromText("queue_directory = /tmp/q\n");
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "global/config.h"
#include "util/cf_file.h"

namespace config::testing {

inline Config FromText(const std::string& text) {
  std::vector<std::string> warnings;
  auto cf = util::CfFile::Parse(text, "/cfg/main.cf", &warnings);
  EXPECT_TRUE(cf.ok()) << cf.status().message();
  Config c;
  c.SetMainCf(std::move(cf).value());
  return c;
}

}  // namespace config::testing
