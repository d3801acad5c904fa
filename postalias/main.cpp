// postalias - build, query and change alias databases (Postfix's
// postalias(1)). The command is global/table_tool.h (shared with postmap),
// which describes its options, the aliases(5) input, outputs and exit
// status.
#include "global/table_tool.h"

int main(int argc, char** argv) {
  return table_tool::Main(argc, argv, table_tool::Flavor::kPostalias);
}
