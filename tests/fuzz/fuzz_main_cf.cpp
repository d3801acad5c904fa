// Fuzz target: the main.cf syntax (util/cf_file.h): Parse, Find, and the
// edits of postconf -e / -X / -# (ApplyEdits).
//
// Input: the file text.
//
// Checked: entries have valid names and Find() gives each back; a file that
// parses still parses after the edits (the set name present, the removed
// one gone); the edits never fail on text that does not parse either.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "util/cf_file.h"
#include "util/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  std::string_view text = in.Rest();
  std::vector<std::string> warnings;
  auto cf = util::CfFile::Parse(text, "main.cf", &warnings);

  std::vector<util::CfFile::Edit> edits = {
      {util::CfFile::EditOp::kSet, "fuzz_set", "value"},
      {util::CfFile::EditOp::kRemove, "fuzz_removed", ""},
  };
  if (cf.ok()) {
    for (const util::CfEntry& e : cf->entries()) {
      FUZZ_CHECK(!e.name.empty());
      for (char c : e.name) FUZZ_CHECK(!util::IsSpace(c) && c != '=');
      const util::CfEntry* found = cf->Find(e.name);
      FUZZ_CHECK(found != nullptr && found->value == e.value);
      FUZZ_CHECK(e.value == util::Trim(e.value));
    }
    // Edit names the file uses: the first is set, the second removed, the
    // third commented out.
    const auto& entries = cf->entries();
    for (const util::CfEntry& e : entries) {
      if (e.name == "fuzz_set" || e.name == "fuzz_removed") return 0;
    }
    if (entries.size() > 0) edits.push_back({util::CfFile::EditOp::kSet, entries[0].name, "new"});
    if (entries.size() > 1) edits.push_back({util::CfFile::EditOp::kRemove, entries[1].name, ""});
    if (entries.size() > 2)
      edits.push_back({util::CfFile::EditOp::kCommentOut, entries[2].name, ""});
  }
  std::string edited = util::CfFile::ApplyEdits(text, edits);
  std::vector<std::string> warnings2;
  auto again = util::CfFile::Parse(edited, "main.cf", &warnings2);
  if (cf.ok()) {
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->Find("fuzz_set") != nullptr);
    FUZZ_CHECK(again->Find("fuzz_removed") == nullptr);
    const auto& entries = cf->entries();
    if (entries.size() > 1 && entries[1].name != entries[0].name)
      FUZZ_CHECK(again->Find(entries[1].name) == nullptr);
  }
  util::SplitAssignment(text);
  return 0;
}
