// postmap - build, query and change lookup tables (Postfix's postmap(1)).
// The command is global/table_tool.h (shared with postalias), which
// describes its options, input format, outputs and exit status.
#include "global/table_tool.h"

int main(int argc, char** argv) {
  return table_tool::Main(argc, argv, table_tool::Flavor::kPostmap);
}
