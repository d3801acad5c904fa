// address_map: cleanup's address transformations, as Postfix's cleanup
// does them (canonical(5), virtual(5), ADDRESS_REWRITING_README):
//
//   1. Rewrite to canonical form (global/rewrite.h; the "local" rule set
//      for envelopes and local headers).
//   2. Canonical mapping, recursive (at most 10 rounds, an address that
//      maps to itself stops): sender_canonical_maps for sender addresses
//      or recipient_canonical_maps for recipients, then canonical_maps,
//      each only for the classes its *_classes parameter lists
//      (envelope_sender envelope_recipient header_sender header_recipient).
//      A multi-valued result uses the first address ("multi-valued" warning).
//   3. virtual_alias_maps expansion of envelope recipients (ExpandAliases):
//      every result address is expanded again; an address whose expansion
//      contains itself keeps that copy without being looked up again;
//      more than virtual_alias_recursion_limit rounds or more than
//      virtual_alias_expansion_limit addresses reject the message
//      (4.6.0 "Alias expansion error"), as does a result longer than
//      virtual_alias_address_length_limit.
//   4. Address masquerading (after canonical mapping, for the classes in
//      masquerade_classes): the first masquerade_domains entry that is the
//      address's domain or a parent of it decides: a plain entry replaces
//      the domain by itself (user@host.example.com -> user@example.com),
//      a "!entry" keeps the domain as it is; a local part in
//      masquerade_exceptions is never masqueraded.
//   5. BCC: SenderBcc()/RecipientBcc() look the (mapped) address up in
//      sender_bcc_maps / recipient_bcc_maps; the caller adds the result
//      as a recipient (as always_bcc, with NOTIFY=NEVER).
// Lookups use addr_find's kCanonicalSteps (user@domain, user for local
// domains, @domain). A value is an address list; each address is
// canonicalized (a bare user gets @$myorigin); a value "@other" found for
// user@domain means user@other; an unmatched address extension is
// propagated (propagate_unmatched_extensions = canonical, virtual).
// A temporary lookup error rejects the message: status 4, 4.3.0
// "Temporary lookup failure", with Postfix's warning "QUEUE_ID: TITLE map
// lookup problem for ADDR -- message not accepted, try again later".
//
//   AddressMapper m = AddressMapper::FromConfig(cfg);   // fatal on a bad config
//   std::string a = m.Rewrite(rewrite::Context::kLocal, "bob");
//   Verdict v = m.Canonical(kClassEnvelopeRecipient, &a, queue_id);
//   std::vector<std::string> targets;
//   if (v.ok()) v = m.ExpandAliases(a, &targets, queue_id);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "global/addr_find.h"
#include "global/config.h"
#include "global/maps.h"
#include "global/rewrite.h"

namespace cleanup {

// The outcome of a step: status 0 (go on), 4 or 5 (reject the message,
// with an enhanced status code and the text for the client).
struct Verdict {
  int status = 0;
  std::string dsn;
  std::string reason;
  bool ok() const { return status == 0; }
  static Verdict Ok() { return {}; }
  static Verdict Fail(int status, std::string dsn, std::string reason) {
    return {status, std::move(dsn), std::move(reason)};
  }
};

// Address classes of the *_canonical_classes parameters.
enum AddressClass : unsigned {
  kClassEnvelopeSender = 1u << 0,
  kClassEnvelopeRecipient = 1u << 1,
  kClassHeaderSender = 1u << 2,
  kClassHeaderRecipient = 1u << 3,
};
// Parses a class list; an unknown name is a warning and is ignored.
unsigned ParseClasses(std::string_view param, std::string_view list);

class AddressMapper {
 public:
  struct Options {
    rewrite::Rules rules;
    maps::AddrFindOptions find;  // with is_local set
    unsigned canonical_classes = 0xf;
    unsigned sender_classes = kClassEnvelopeSender | kClassHeaderSender;
    unsigned recipient_classes = kClassEnvelopeRecipient | kClassHeaderRecipient;
    bool propagate_canonical = true;
    bool propagate_virtual = true;
    long long recursion_limit = 1000;
    long long expansion_limit = 1000;
    long long address_length_limit = 1000;
    std::vector<std::string> masquerade_domains;     // lower case, "!" kept
    std::vector<std::string> masquerade_exceptions;  // lower case local parts
    unsigned masquerade_classes = kClassEnvelopeSender | kClassHeaderSender | kClassHeaderRecipient;
  };

  AddressMapper() = default;
  AddressMapper(Options options, maps::Maps canonical, maps::Maps sender_canonical,
                maps::Maps recipient_canonical, maps::Maps virtual_alias)
      : options_(std::move(options)),
        canonical_(std::move(canonical)),
        sender_canonical_(std::move(sender_canonical)),
        recipient_canonical_(std::move(recipient_canonical)),
        virtual_alias_(std::move(virtual_alias)) {}

  // Reads the parameters and opens the tables; a configuration error is
  // fatal (msg::Fatal), as for a Postfix daemon.
  static AddressMapper FromConfig(const config::Config& cfg);

  std::string Rewrite(rewrite::Context context, std::string_view address) const {
    return options_.rules.Rewrite(context, address);
  }

  // Canonical mapping of one address of class `cls` (one AddressClass).
  Verdict Canonical(unsigned cls, std::string* address, std::string_view queue_id);

  // Virtual alias expansion of one recipient: the final addresses, in
  // order (without removing duplicates: the caller's duplicate filter does).
  // Without virtual_alias_maps: just the address.
  Verdict ExpandAliases(const std::string& address, std::vector<std::string>* out,
                        std::string_view queue_id);

  // The sender_bcc_maps / recipient_bcc_maps address for `address`
  // (empty: none).
  Verdict SenderBcc(const std::string& address, std::string* bcc, std::string_view queue_id) {
    return Bcc(sender_bcc_, address, bcc, queue_id);
  }
  Verdict RecipientBcc(const std::string& address, std::string* bcc, std::string_view queue_id) {
    return Bcc(recipient_bcc_, address, bcc, queue_id);
  }
  void SetBccMaps(maps::Maps sender, maps::Maps recipient) {
    sender_bcc_ = std::move(sender);
    recipient_bcc_ = std::move(recipient);
  }
  // Step 4 alone (also used by Canonical()).
  void Masquerade(unsigned cls, std::string* address) const;

  const Options& options() const { return options_; }

 private:
  enum class Lookup { kFound, kNotFound, kError };
  // One mail_addr_map step: looks `address` up and gives the canonicalized
  // result addresses.
  Lookup Map(maps::Maps& m, const std::string& address, bool propagate,
             std::vector<std::string>* out);
  Verdict MapOne(maps::Maps& m, std::string* address, bool propagate, std::string_view queue_id);
  Verdict Bcc(maps::Maps& m, const std::string& address, std::string* bcc,
              std::string_view queue_id);

  Options options_;
  maps::Maps canonical_;
  maps::Maps sender_canonical_;
  maps::Maps recipient_canonical_;
  maps::Maps virtual_alias_;
  maps::Maps sender_bcc_;
  maps::Maps recipient_bcc_;
};

// The local-domain test of the "user" lookup form: $myorigin, or local
// per global/resolve_local.h ($mydestination, interface address literals).
// A bad configuration is fatal.
std::function<bool(std::string_view)> LocalDomainPredicate(const config::Config& cfg);

}  // namespace cleanup
