// cleanup - canonicalize and enqueue mail (Postfix's cleanup(8)).
//
// SYNOPSIS
//   cleanup [generic daemon options]      (run by master: master.cf
//   "cleanup unix n - n - 0 cleanup")
//
// DESCRIPTION
//   Accepts one message per connection from smtpd, pickup, bounce or
//   postsuper -r over public/$cleanup_service_name, in the protocol of
//   global/cleanup_client.h, and writes it to the incoming queue:
//   validates the records, extracts recipients from headers for
//   sendmail -t, rewrites addresses to canonical form, applies
//   canonical_maps, sender_canonical_maps and recipient_canonical_maps,
//   expands virtual_alias_maps, removes duplicate recipients, adds missing
//   Message-Id:, Date: and From: headers to local mail, removes the
//   message_drop_headers (Bcc, Content-Length, Resent-Bcc, Return-Path),
//   enforces message_size_limit, header_size_limit and hopcount_limit,
//   writes and syncs the queue file, marks it ready, then answers with the
//   queue ID and wakes qmgr. Applies header_checks, mime_header_checks,
//   nested_header_checks and body_checks with every action of
//   header_checks(5). Details: message.h (the processing),
//   address_map.h (the address transformations), service.h (the
//   conversation, and what happens to a half-written file).
//
//   Like Postfix's cleanup this is a single-server: one client at a time
//   per process, and master starts as many processes as there are
//   concurrent clients (maxproc 0 = no limit in the default master.cf).
//   Tables are opened once per process (post_init) and reopened when their
//   file changes.
//
// PARAMETERS
//   canonical_maps canonical_classes sender_canonical_maps
//   sender_canonical_classes recipient_canonical_maps
//   recipient_canonical_classes virtual_alias_maps
//   virtual_alias_recursion_limit virtual_alias_expansion_limit
//   virtual_alias_address_length_limit propagate_unmatched_extensions
//   recipient_delimiter myorigin mydestination myhostname mydomain
//   append_at_myorigin append_dot_mydomain swap_bangpath allow_percent_hack
//   remote_header_rewrite_domain always_add_missing_headers
//   header_from_format undisclosed_recipients_header message_drop_headers
//   empty_address_recipient enable_original_recipient duplicate_filter_limit
//   message_size_limit header_size_limit hopcount_limit
//   queue_file_attribute_count_limit ipc_timeout queue_service_name
//   header_checks mime_header_checks nested_header_checks body_checks
//   body_checks_size_limit disable_mime_input_processing mime_nesting_limit
//   mime_boundary_length_limit always_bcc sender_bcc_maps recipient_bcc_maps
//   masquerade_domains masquerade_exceptions masquerade_classes
//   queue_directory hash_queue_depth hash_queue_names enable_long_queue_ids
//
// DIAGNOSTICS (mail log, Postfix's formats)
//   ID: message-id=<...>         (also "message-id=<>" when there is none)
//   ID: resent-message-id=<...>
//   warning: ID: virtual_alias_maps map lookup problem for ADDR -- message
//     not accepted, try again later
//   warning: ID: unreasonable virtual_alias_maps map nesting for ADDR --
//     message not accepted, try again later
//   warning: ID: message rejected: WHY         (protocol errors)
//   ID: reject: DSN TEXT; from=<SENDER> nrcpt=N (the message was not queued)
//   ID: ACTION: header|body TEXT from HOST[ADDR]; from=<S> to=<R> proto=P
//     helo=<H>: REASON       (content checks: message.h)
#include <memory>

#include "cleanup/service.h"
#include "global/mail_flow.h"
#include "server/single_server.h"

namespace {
std::unique_ptr<cleanup::Context> context;
}  // namespace

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    context = std::make_unique<cleanup::Context>(cleanup::Context::FromConfig(s.config()));
  };
  hooks.service = [](util::Stream& client, server::Server&) {
    // Mail arriving faster than qmgr takes it in waits here (in_flow_delay).
    mail_flow::ConsumeOrWait(context->in_flow_delay);
    cleanup::Serve(client, *context);
  };
  server::RunSingleServer(argc, argv, hooks);
}
