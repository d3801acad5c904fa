// types: the opener of each built-in table type (see registry.h). Each is
// implemented in its own TYPE_table.cpp; `name` is what follows "type:".
#pragma once

#include <memory>
#include <string_view>

#include "tables/table.h"
#include "util/status.h"

namespace tables {

using Opener = util::StatusOr<std::unique_ptr<Table>> (*)(std::string_view name,
                                                          const OpenOptions& options);

// Declarations are added here by each type's implementation, e.g.
// util::StatusOr<std::unique_ptr<Table>> OpenStatic(std::string_view, const OpenOptions&);

}  // namespace tables
