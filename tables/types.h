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
util::StatusOr<std::unique_ptr<Table>> OpenBtree(std::string_view, const OpenOptions&);  // db_table
util::StatusOr<std::unique_ptr<Table>> OpenCdb(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenHash(std::string_view, const OpenOptions&);  // db_table
util::StatusOr<std::unique_ptr<Table>> OpenLmdb(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenMysql(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenCidr(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenFail(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenInline(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenPcre(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenPipemap(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenProxy(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenRegexp(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenStatic(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenTexthash(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenUnionmap(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenUnix(std::string_view, const OpenOptions&);
util::StatusOr<std::unique_ptr<Table>> OpenNis(std::string_view, const OpenOptions&);

}  // namespace tables
