// registry: opens a table by "type:name" through the list of built-in types.
//
//   auto t = tables::Open("cidr:/etc/postfix/client_access", opts);
//   tables::Types();   // {"btree", "cdb", "cidr", ...}: what postconf -m prints
//
// Errors: an unknown type is kFailedPrecondition "unsupported dictionary
// type: foo"; a spec without ':' is kFailedPrecondition "need dictionary
// type:name, got \"x\"". The type's own opener reports missing files etc.
//
// Adding a type: implement `StatusOr<std::unique_ptr<Table>> OpenFoo(
// std::string_view name, const OpenOptions&)` in foo_table.cpp, declare it in
// types.h, and add one line to kTypes in registry.cpp. (Registration is an
// explicit list, not static initializers, which static linking would drop.)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tables/table.h"
#include "util/status.h"

namespace tables {

util::StatusOr<std::unique_ptr<Table>> Open(std::string_view spec, const OpenOptions& options);

// Built-in type names, sorted.
std::vector<std::string> Types();

// Whether `type` supports Update (postmap can build it).
bool IsWritableType(std::string_view type);

}  // namespace tables
