// params: the built-in parameter table and the defaults that depend on the
// machine. See params.h.
//
// The table was generated from Debian's Postfix 3.7.11 `postconf -d` (run
// with an empty master.cf, so that no per-service parameters are included)
// and then reviewed; types, default time units and minimums follow
// postconf(5) and Postfix's parameter tables. Deliberate differences from
// Debian's output:
//
//  - Compiled-in directories come from global/build_config.h:
//    command_directory, config_directory, daemon_directory, data_directory,
//    queue_directory, and meta_directory and sample_directory (Postfix:
//    the configuration directory). shlib_directory, html_directory and
//    readme_directory are "no": we build no shared libraries and install no
//    HTML or README files. mail_version is MTA_MAIL_VERSION.
//  - Postfix 3.6+ writes defaults that depend on compatibility_level as
//    ${{$compatibility_level} <level {N} ? {old} : {new}}. We do not
//    implement that syntax: compatibility_level defaults to "3.6" and these
//    parameters hold the value Postfix uses at that level:
//      append_dot_mydomain = no
//      lmtp_tls_fingerprint_digest = sha256
//      mynetworks_style = host
//      relay_domains = (empty)
//      respectful_logging = yes
//      smtp_tls_fingerprint_digest = sha256
//      smtpd_relay_before_recipient_restrictions = yes
//      smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
//          defer_unauth_destination
//      smtpd_tls_fingerprint_digest = sha256
//      smtputf8_enable = yes
//    and smtp_tls_dane_insecure_mx_policy, which Postfix writes as
//    ${{$smtp_tls_security_level} == {dane} ? {dane} : {may}}, is "may"
//    (its value for the default, empty, smtp_tls_security_level).
//  - Machine-dependent defaults are kDynamic (see DynamicDefault()):
//    myhostname, mydomain, mynetworks (for mynetworks_style = host, as
//    Postfix computes it at compatibility level 2 and later; Debian's
//    `postconf -d` shows the "subnet" form because it runs at level 0),
//    mail_version, process_id, process_name.
//
// Types: yes/no defaults are kBool (also the *_per_request_deadline
// parameters, whose default is a ${name?...} expression); time parameters
// are those postconf(5) gives a time unit for, with that default unit (the
// unit letter of the default value, as Postfix derives it: 'd' for
// maximal_queue_lifetime, 'h' for delay_warning_time); message_size_limit,
// mailbox_size_limit, virtual_mailbox_limit, queue_minfree and
// lmdb_map_size are kLong; other plain numbers are kInt except
// compatibility_level, mail_release_date, milter_protocol, lmtp_tcp_port
// and the concurrency feedback parameters ("1" or "1/concurrency"), which
// are text. A time minimum of 1 marks postconf(5)'s "non-zero time value"
// (when the default itself is not zero); integer minimums follow Postfix's
// tables where known, else 0 (no negative values), except
// postscreen_dnsbl_allowlist_threshold, which may be negative.
#include "global/params.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

#include "global/build_config.h"
#include "util/strings.h"

namespace params {
namespace {

constexpr ParamDef Str(std::string_view name, std::string_view def) {
  return ParamDef{name, def, Type::kString, 's', 0, 0, kNone};
}
constexpr ParamDef Dyn(std::string_view name, std::string_view fallback, unsigned flags) {
  return ParamDef{name, fallback, Type::kString, 's', 0, 0, flags};
}
constexpr ParamDef Bool(std::string_view name, std::string_view def) {
  return ParamDef{name, def, Type::kBool, 's', 0, 0, kNone};
}
constexpr ParamDef Int(std::string_view name, std::string_view def, long long min = 0,
                       long long max = 0) {
  return ParamDef{name, def, Type::kInt, 's', min, max, kNone};
}
constexpr ParamDef Long(std::string_view name, std::string_view def, long long min = 0,
                        long long max = 0) {
  return ParamDef{name, def, Type::kLong, 's', min, max, kNone};
}
constexpr ParamDef Time(std::string_view name, std::string_view def, char unit, long long min,
                        long long max = 0) {
  return ParamDef{name, def, Type::kTime, unit, min, max, kNone};
}

// Sorted by name (checked below).
constexpr ParamDef kParams[] = {
    Str("2bounce_notice_recipient", "postmaster"),
    Int("access_map_defer_code", "450"),
    Int("access_map_reject_code", "554"),
    Time("address_verify_cache_cleanup_interval", "12h", 'h', 0),
    Str("address_verify_default_transport", "$default_transport"),
    Str("address_verify_local_transport", "$local_transport"),
    Str("address_verify_map", "btree:$data_directory/verify_cache"),
    Bool("address_verify_negative_cache", "yes"),
    Time("address_verify_negative_expire_time", "3d", 'd', 1),
    Time("address_verify_negative_refresh_time", "3h", 'h', 1),
    Int("address_verify_pending_request_limit", "5000"),
    Int("address_verify_poll_count", "${stress?{1}:{3}}"),
    Time("address_verify_poll_delay", "3s", 's', 1),
    Time("address_verify_positive_expire_time", "31d", 'd', 1),
    Time("address_verify_positive_refresh_time", "7d", 'd', 1),
    Str("address_verify_relay_transport", "$relay_transport"),
    Str("address_verify_relayhost", "$relayhost"),
    Str("address_verify_sender", "$double_bounce_sender"),
    Str("address_verify_sender_dependent_default_transport_maps",
        "$sender_dependent_default_transport_maps"),
    Str("address_verify_sender_dependent_relayhost_maps", "$sender_dependent_relayhost_maps"),
    Time("address_verify_sender_ttl", "0s", 's', 0),
    Str("address_verify_service_name", "verify"),
    Str("address_verify_transport_maps", "$transport_maps"),
    Str("address_verify_virtual_transport", "$virtual_transport"),
    Str("alias_database", "hash:/etc/aliases"),
    Str("alias_maps", "hash:/etc/aliases, nis:mail.aliases"),
    Str("allow_mail_to_commands", "alias, forward"),
    Str("allow_mail_to_files", "alias, forward"),
    Bool("allow_min_user", "no"),
    Bool("allow_percent_hack", "yes"),
    Bool("allow_untrusted_routing", "no"),
    Str("alternate_config_directories", ""),
    Bool("always_add_missing_headers", "no"),
    Str("always_bcc", ""),
    Time("anvil_rate_time_unit", "60s", 's', 1),
    Time("anvil_status_update_time", "600s", 's', 1),
    Bool("append_at_myorigin", "yes"),
    Str("append_dot_mydomain", "no"),
    Time("application_event_drain_time", "100s", 's', 1),
    Str("authorized_flush_users", "static:anyone"),
    Str("authorized_mailq_users", "static:anyone"),
    Str("authorized_submit_users", "static:anyone"),
    Bool("backwards_bounce_logfile_compatibility", "yes"),
    Int("berkeley_db_create_buffer_size", "16777216", 1),
    Int("berkeley_db_read_buffer_size", "131072", 1),
    Str("best_mx_transport", ""),
    Bool("biff", "yes"),
    Str("body_checks", ""),
    Int("body_checks_size_limit", "51200"),
    Str("bounce_notice_recipient", "postmaster"),
    Time("bounce_queue_lifetime", "5d", 'd', 0),
    Str("bounce_service_name", "bounce"),
    Int("bounce_size_limit", "50000"),
    Str("bounce_template_file", ""),
    Bool("broken_sasl_auth_clients", "no"),
    Str("canonical_classes",
        "envelope_sender, envelope_recipient, header_sender, header_recipient"),
    Str("canonical_maps", ""),
    Bool("cleanup_replace_stray_cr_lf", "yes"),
    Str("cleanup_service_name", "cleanup"),
    Str("command_directory", MTA_COMMAND_DIR),
    Str("command_execution_directory", ""),
    Str("command_expansion_filter",
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    Time("command_time_limit", "1000s", 's', 0),
    Str("compatibility_level", "3.6"),
    Str("config_directory", MTA_CONFIG_DIR),
    Bool("confirm_delay_cleared", "no"),
    Time("connection_cache_protocol_timeout", "5s", 's', 0),
    Str("connection_cache_service_name", "scache"),
    Time("connection_cache_status_update_time", "600s", 's', 0),
    Time("connection_cache_ttl_limit", "2s", 's', 0),
    Str("content_filter", ""),
    Str("cyrus_sasl_config_path", ""),
    Str("daemon_directory", MTA_DAEMON_DIR),
    Bool("daemon_table_open_error_is_fatal", "no"),
    Time("daemon_timeout", "18000s", 's', 1),
    Str("data_directory", MTA_DATA_DIR),
    Int("debug_peer_level", "2", 1),
    Str("debug_peer_list", ""),
    Str("debugger_command", ""),
    Str("default_database_type", "hash"),
    Int("default_delivery_slot_cost", "5"),
    Int("default_delivery_slot_discount", "50"),
    Int("default_delivery_slot_loan", "3"),
    Str("default_delivery_status_filter", ""),
    Int("default_destination_concurrency_failed_cohort_limit", "1"),
    Int("default_destination_concurrency_limit", "20"),
    Str("default_destination_concurrency_negative_feedback", "1"),
    Str("default_destination_concurrency_positive_feedback", "1"),
    Time("default_destination_rate_delay", "0s", 's', 0),
    Int("default_destination_recipient_limit", "50"),
    Int("default_extra_recipient_limit", "1000"),
    Str("default_filter_nexthop", ""),
    Int("default_minimum_delivery_slots", "3"),
    Str("default_privs", "nobody"),
    Int("default_process_limit", "100", 1),
    Str("default_rbl_reply",
        "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using "
        "$rbl_domain${rbl_reason?; $rbl_reason}"),
    Int("default_recipient_limit", "20000"),
    Time("default_recipient_refill_delay", "5s", 's', 0),
    Int("default_recipient_refill_limit", "100"),
    Str("default_transport", "smtp"),
    Time("default_transport_rate_delay", "0s", 's', 0),
    Str("default_verp_delimiters", "+="),
    Int("defer_code", "450"),
    Str("defer_service_name", "defer"),
    Str("defer_transports", ""),
    Int("delay_logging_resolution_limit", "2", 0, 6),
    Str("delay_notice_recipient", "postmaster"),
    Time("delay_warning_time", "0h", 'h', 0),
    Int("deliver_lock_attempts", "20", 1),
    Time("deliver_lock_delay", "1s", 's', 1),
    Bool("destination_concurrency_feedback_debug", "no"),
    Bool("detect_8bit_encoding_header", "yes"),
    Bool("disable_dns_lookups", "no"),
    Bool("disable_mime_input_processing", "no"),
    Bool("disable_mime_output_conversion", "no"),
    Bool("disable_verp_bounces", "no"),
    Bool("disable_vrfy_command", "no"),
    Bool("dns_ncache_ttl_fix_enable", "no"),
    Time("dnsblog_reply_delay", "0s", 's', 0),
    Str("dnsblog_service_name", "dnsblog"),
    Str("dnssec_probe", "ns:."),
    Int("dont_remove", "0"),
    Str("double_bounce_sender", "double-bounce"),
    Int("duplicate_filter_limit", "1000"),
    Str("empty_address_default_transport_maps_lookup_key", "<>"),
    Str("empty_address_local_login_sender_maps_lookup_key", "<>"),
    Str("empty_address_recipient", "MAILER-DAEMON"),
    Str("empty_address_relayhost_maps_lookup_key", "<>"),
    Bool("enable_idna2003_compatibility", "no"),
    Bool("enable_long_queue_ids", "no"),
    Bool("enable_original_recipient", "yes"),
    Bool("enable_threaded_bounces", "no"),
    Str("error_notice_recipient", "postmaster"),
    Str("error_service_name", "error"),
    Str("execution_directory_expansion_filter",
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    Bool("expand_owner_alias", "no"),
    Str("export_environment", "TZ MAIL_CONFIG LANG"),
    Str("fallback_transport", ""),
    Str("fallback_transport_maps", ""),
    Str("fast_flush_domains", "$relay_domains"),
    Time("fast_flush_purge_time", "7d", 'd', 0),
    Time("fast_flush_refresh_time", "12h", 'h', 0),
    Int("fault_injection_code", "0"),
    Str("flush_service_name", "flush"),
    Int("fork_attempts", "5", 1),
    Time("fork_delay", "1s", 's', 1),
    Str("forward_expansion_filter",
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    Str("forward_path", "$home/.forward${recipient_delimiter}${extension}, $home/.forward"),
    Bool("frozen_delivered_to", "yes"),
    Int("hash_queue_depth", "1", 1),
    Str("hash_queue_names", "deferred, defer"),
    Int("header_address_token_limit", "10240", 1),
    Str("header_checks", ""),
    Str("header_from_format", "standard"),
    Int("header_size_limit", "102400", 1),
    Bool("helpful_warnings", "yes"),
    Str("home_mailbox", ""),
    Int("hopcount_limit", "50"),
    Str("html_directory", "no"),
    Bool("ignore_mx_lookup_error", "no"),
    Str("import_environment",
        "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C POSTLOG_SERVICE "
        "POSTLOG_HOSTNAME"),
    Time("in_flow_delay", "1s", 's', 0, 10),
    Str("inet_interfaces", "all"),
    Str("inet_protocols", "all"),
    Str("info_log_address_format", "external"),
    Int("initial_destination_concurrency", "5", 1),
    Str("internal_mail_filter_classes", ""),
    Int("invalid_hostname_reject_code", "501"),
    Time("ipc_idle", "5s", 's', 1),
    Time("ipc_timeout", "3600s", 's', 1),
    Time("ipc_ttl", "1000s", 's', 1),
    Str("known_tcp_ports", "lmtp=24, smtp=25, smtps=submissions=465, submission=587"),
    Int("line_length_limit", "2048", 512),
    Long("lmdb_map_size", "16777216"),
    Str("lmtp_address_preference", "any"),
    Str("lmtp_address_verify_target", "rcpt"),
    Bool("lmtp_assume_final", "no"),
    Bool("lmtp_balance_inet_protocols", "yes"),
    Str("lmtp_bind_address", ""),
    Str("lmtp_bind_address6", ""),
    Bool("lmtp_bind_address_enforce", "no"),
    Str("lmtp_body_checks", ""),
    Bool("lmtp_cname_overrides_servername", "no"),
    Time("lmtp_connect_timeout", "0s", 's', 0),
    Str("lmtp_connection_cache_destinations", ""),
    Bool("lmtp_connection_cache_on_demand", "yes"),
    Time("lmtp_connection_cache_time_limit", "2s", 's', 0),
    Int("lmtp_connection_reuse_count_limit", "0"),
    Time("lmtp_connection_reuse_time_limit", "300s", 's', 0),
    Time("lmtp_data_done_timeout", "600s", 's', 1),
    Time("lmtp_data_init_timeout", "120s", 's', 0),
    Time("lmtp_data_xfer_timeout", "180s", 's', 0),
    Bool("lmtp_defer_if_no_mx_address_found", "no"),
    Str("lmtp_delivery_status_filter", "$default_delivery_status_filter"),
    Str("lmtp_discard_lhlo_keyword_address_maps", ""),
    Str("lmtp_discard_lhlo_keywords", ""),
    Str("lmtp_dns_reply_filter", ""),
    Str("lmtp_dns_resolver_options", ""),
    Str("lmtp_dns_support_level", ""),
    Bool("lmtp_enforce_tls", "no"),
    Str("lmtp_fallback_relay", ""),
    Str("lmtp_generic_maps", ""),
    Str("lmtp_header_checks", ""),
    Str("lmtp_host_lookup", "dns"),
    Str("lmtp_lhlo_name", "$myhostname"),
    Time("lmtp_lhlo_timeout", "300s", 's', 0),
    Int("lmtp_line_length_limit", "998"),
    Time("lmtp_mail_timeout", "300s", 's', 1),
    Str("lmtp_mime_header_checks", ""),
    Int("lmtp_min_data_rate", "500"),
    Int("lmtp_mx_address_limit", "5"),
    Int("lmtp_mx_session_limit", "2"),
    Str("lmtp_nested_header_checks", ""),
    Bool("lmtp_per_request_deadline",
         "${lmtp_per_record_deadline?{$lmtp_per_record_deadline}:{no}}"),
    Time("lmtp_pix_workaround_delay_time", "10s", 's', 1),
    Str("lmtp_pix_workaround_maps", ""),
    Time("lmtp_pix_workaround_threshold_time", "500s", 's', 0),
    Str("lmtp_pix_workarounds", "disable_esmtp,delay_dotcrlf"),
    Time("lmtp_quit_timeout", "300s", 's', 1),
    Bool("lmtp_quote_rfc821_envelope", "yes"),
    Bool("lmtp_randomize_addresses", "yes"),
    Time("lmtp_rcpt_timeout", "300s", 's', 1),
    Str("lmtp_reply_filter", ""),
    Time("lmtp_rset_timeout", "20s", 's', 1),
    Str("lmtp_sasl_auth_cache_name", ""),
    Time("lmtp_sasl_auth_cache_time", "90d", 'd', 0),
    Bool("lmtp_sasl_auth_enable", "no"),
    Bool("lmtp_sasl_auth_soft_bounce", "yes"),
    Str("lmtp_sasl_mechanism_filter", ""),
    Str("lmtp_sasl_password_maps", ""),
    Str("lmtp_sasl_path", ""),
    Str("lmtp_sasl_security_options", "noplaintext, noanonymous"),
    Str("lmtp_sasl_tls_security_options", "$lmtp_sasl_security_options"),
    Str("lmtp_sasl_tls_verified_security_options", "$lmtp_sasl_tls_security_options"),
    Str("lmtp_sasl_type", "cyrus"),
    Bool("lmtp_send_dummy_mail_auth", "no"),
    Bool("lmtp_send_xforward_command", "no"),
    Bool("lmtp_sender_dependent_authentication", "no"),
    Bool("lmtp_skip_5xx_greeting", "yes"),
    Bool("lmtp_skip_quit_response", "no"),
    Time("lmtp_starttls_timeout", "300s", 's', 1),
    Str("lmtp_tcp_port", "24"),
    Str("lmtp_tls_CAfile", ""),
    Str("lmtp_tls_CApath", ""),
    Bool("lmtp_tls_block_early_mail_reply", "no"),
    Str("lmtp_tls_cert_file", ""),
    Str("lmtp_tls_chain_files", ""),
    Str("lmtp_tls_ciphers", "medium"),
    Bool("lmtp_tls_connection_reuse", "no"),
    Str("lmtp_tls_dcert_file", ""),
    Str("lmtp_tls_dkey_file", "$lmtp_tls_dcert_file"),
    Str("lmtp_tls_eccert_file", ""),
    Str("lmtp_tls_eckey_file", "$lmtp_tls_eccert_file"),
    Bool("lmtp_tls_enforce_peername", "yes"),
    Str("lmtp_tls_exclude_ciphers", ""),
    Str("lmtp_tls_fingerprint_cert_match", ""),
    Str("lmtp_tls_fingerprint_digest", "sha256"),
    Bool("lmtp_tls_force_insecure_host_tlsa_lookup", "no"),
    Str("lmtp_tls_key_file", "$lmtp_tls_cert_file"),
    Int("lmtp_tls_loglevel", "0"),
    Str("lmtp_tls_mandatory_ciphers", "medium"),
    Str("lmtp_tls_mandatory_exclude_ciphers", ""),
    Str("lmtp_tls_mandatory_protocols", ">=TLSv1"),
    Bool("lmtp_tls_note_starttls_offer", "no"),
    Str("lmtp_tls_per_site", ""),
    Str("lmtp_tls_policy_maps", ""),
    Str("lmtp_tls_protocols", ">=TLSv1"),
    Int("lmtp_tls_scert_verifydepth", "9"),
    Str("lmtp_tls_secure_cert_match", "nexthop"),
    Str("lmtp_tls_security_level", ""),
    Str("lmtp_tls_servername", ""),
    Str("lmtp_tls_session_cache_database", ""),
    Time("lmtp_tls_session_cache_timeout", "3600s", 's', 1),
    Str("lmtp_tls_trust_anchor_file", ""),
    Str("lmtp_tls_verify_cert_match", "hostname"),
    Bool("lmtp_tls_wrappermode", "no"),
    Bool("lmtp_use_tls", "no"),
    Time("lmtp_xforward_timeout", "300s", 's', 1),
    Str("local_command_shell", ""),
    Str("local_delivery_status_filter", "$default_delivery_status_filter"),
    Int("local_destination_concurrency_limit", "2"),
    Int("local_destination_recipient_limit", "1"),
    Str("local_header_rewrite_clients", "permit_inet_interfaces"),
    Str("local_login_sender_maps", "static:*"),
    Str("local_recipient_maps", "proxy:unix:passwd.byname $alias_maps"),
    Str("local_transport", "local:$myhostname"),
    Str("luser_relay", ""),
    Str("mail_name", "Postfix"),
    Str("mail_owner", "postfix"),
    Str("mail_release_date", "20240304"),
    Str("mail_spool_directory", "/var/mail"),
    Dyn("mail_version", MTA_MAIL_VERSION, kDynamic),
    Str("mailbox_command", ""),
    Str("mailbox_command_maps", ""),
    Str("mailbox_delivery_lock", "fcntl, dotlock"),
    Long("mailbox_size_limit", "51200000"),
    Str("mailbox_transport", ""),
    Str("mailbox_transport_maps", ""),
    Str("maillog_file", ""),
    Str("maillog_file_compressor", "gzip"),
    Str("maillog_file_prefixes", "/var, /dev/stdout"),
    Str("maillog_file_rotate_suffix", "%Y%m%d-%H%M%S"),
    Str("mailq_path", "/usr/bin/mailq"),
    Str("manpage_directory", "/usr/share/man"),
    Str("maps_rbl_domains", ""),
    Int("maps_rbl_reject_code", "554"),
    Str("masquerade_classes", "envelope_sender, header_sender, header_recipient"),
    Str("masquerade_domains", ""),
    Str("masquerade_exceptions", ""),
    Str("master_service_disable", ""),
    Time("max_idle", "100s", 's', 1),
    Int("max_use", "100", 1),
    Time("maximal_backoff_time", "4000s", 's', 1),
    Time("maximal_queue_lifetime", "5d", 'd', 0),
    Str("message_drop_headers", "bcc, content-length, resent-bcc, return-path"),
    Str("message_reject_characters", ""),
    Long("message_size_limit", "10240000"),
    Str("message_strip_characters", ""),
    Str("meta_directory", MTA_CONFIG_DIR),
    Time("milter_command_timeout", "30s", 's', 1),
    Str("milter_connect_macros", "j {daemon_name} {daemon_addr} v _"),
    Time("milter_connect_timeout", "30s", 's', 1),
    Time("milter_content_timeout", "300s", 's', 1),
    Str("milter_data_macros", "i"),
    Str("milter_default_action", "tempfail"),
    Str("milter_end_of_data_macros", "i"),
    Str("milter_end_of_header_macros", "i"),
    Str("milter_header_checks", ""),
    Str("milter_helo_macros", "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}"),
    Str("milter_macro_daemon_name", "$myhostname"),
    Str("milter_macro_defaults", ""),
    Str("milter_macro_v", "$mail_name $mail_version"),
    Str("milter_mail_macros",
        "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}"),
    Str("milter_protocol", "6"),
    Str("milter_rcpt_macros", "i {rcpt_addr} {rcpt_host} {rcpt_mailer}"),
    Str("milter_unknown_command_macros", ""),
    Int("mime_boundary_length_limit", "2048", 1),
    Str("mime_header_checks", "$header_checks"),
    Int("mime_nesting_limit", "100", 1),
    Time("minimal_backoff_time", "300s", 's', 1),
    Str("multi_instance_directories", ""),
    Bool("multi_instance_enable", "no"),
    Str("multi_instance_group", ""),
    Str("multi_instance_name", ""),
    Str("multi_instance_wrapper", ""),
    Int("multi_recipient_bounce_reject_code", "550"),
    Str("mydestination", "$myhostname, localhost.$mydomain, localhost"),
    Dyn("mydomain", "localdomain", kDynamic),
    Dyn("myhostname", "localhost.localdomain", kDynamic),
    Dyn("mynetworks", "127.0.0.1/32 [::1]/128", kDynamic),
    Str("mynetworks_style", "host"),
    Str("myorigin", "$myhostname"),
    Str("nested_header_checks", "$header_checks"),
    Str("newaliases_path", "/usr/bin/newaliases"),
    Int("non_fqdn_reject_code", "504"),
    Str("non_smtpd_milters", ""),
    Str("notify_classes", "resource, software"),
    Str("openssl_path", "openssl"),
    Bool("owner_request_special", "yes"),
    Str("parent_domain_matches_subdomains",
        "debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,qmqpd_authorized_"
        "clients,relay_domains,smtpd_access_maps"),
    Str("permit_mx_backup_networks", ""),
    Str("pickup_service_name", "pickup"),
    Str("pipe_delivery_status_filter", "$default_delivery_status_filter"),
    Int("plaintext_reject_code", "450"),
    Str("postlog_service_name", "postlog"),
    Time("postlogd_watchdog_timeout", "10s", 's', 1),
    Str("postmulti_control_commands", "reload flush"),
    Str("postmulti_start_commands", "start"),
    Str("postmulti_stop_commands", "stop abort drain quick-stop"),
    Str("postscreen_access_list", "permit_mynetworks"),
    Str("postscreen_allowlist_interfaces",
        "${postscreen_whitelist_interfaces?{$postscreen_whitelist_interfaces}:{static:all}}"),
    Str("postscreen_bare_newline_action", "ignore"),
    Bool("postscreen_bare_newline_enable", "no"),
    Time("postscreen_bare_newline_ttl", "30d", 'd', 1),
    Time("postscreen_cache_cleanup_interval", "12h", 'h', 0),
    Str("postscreen_cache_map", "btree:$data_directory/postscreen_cache"),
    Time("postscreen_cache_retention_time", "7d", 'd', 1),
    Int("postscreen_client_connection_count_limit", "$smtpd_client_connection_count_limit"),
    Int("postscreen_command_count_limit", "20"),
    Str("postscreen_command_filter", ""),
    Str("postscreen_command_time_limit", "${stress?{10}:{300}}s"),
    Str("postscreen_denylist_action",
        "${postscreen_blacklist_action?{$postscreen_blacklist_action}:{ignore}}"),
    Bool("postscreen_disable_vrfy_command", "$disable_vrfy_command"),
    Str("postscreen_discard_ehlo_keyword_address_maps", "$smtpd_discard_ehlo_keyword_address_maps"),
    Str("postscreen_discard_ehlo_keywords", "$smtpd_discard_ehlo_keywords"),
    Str("postscreen_dnsbl_action", "ignore"),
    Int("postscreen_dnsbl_allowlist_threshold",
        "${postscreen_dnsbl_whitelist_threshold?{$postscreen_dnsbl_whitelist_threshold}:{0}}",
        kNoMin),
    Time("postscreen_dnsbl_max_ttl", "${postscreen_dnsbl_ttl?{$postscreen_dnsbl_ttl}:{1}}h", 'h',
         1),
    Time("postscreen_dnsbl_min_ttl", "60s", 's', 1),
    Str("postscreen_dnsbl_reply_map", ""),
    Str("postscreen_dnsbl_sites", ""),
    Int("postscreen_dnsbl_threshold", "1"),
    Time("postscreen_dnsbl_timeout", "10s", 's', 1),
    Bool("postscreen_enforce_tls", "$smtpd_enforce_tls"),
    Str("postscreen_expansion_filter", "$smtpd_expansion_filter"),
    Str("postscreen_forbidden_commands", "$smtpd_forbidden_commands"),
    Str("postscreen_greet_action", "ignore"),
    Str("postscreen_greet_banner", "$smtpd_banner"),
    Time("postscreen_greet_ttl", "1d", 'd', 1),
    Time("postscreen_greet_wait", "${stress?{2}:{6}}s", 's', 1),
    Bool("postscreen_helo_required", "$smtpd_helo_required"),
    Str("postscreen_non_smtp_command_action", "drop"),
    Bool("postscreen_non_smtp_command_enable", "no"),
    Time("postscreen_non_smtp_command_ttl", "30d", 'd', 1),
    Str("postscreen_pipelining_action", "enforce"),
    Bool("postscreen_pipelining_enable", "no"),
    Time("postscreen_pipelining_ttl", "30d", 'd', 1),
    Int("postscreen_post_queue_limit", "$default_process_limit"),
    Int("postscreen_pre_queue_limit", "$default_process_limit"),
    Str("postscreen_reject_footer", "$smtpd_reject_footer"),
    Str("postscreen_reject_footer_maps", "$smtpd_reject_footer_maps"),
    Str("postscreen_tls_security_level", "$smtpd_tls_security_level"),
    Str("postscreen_upstream_proxy_protocol", ""),
    Time("postscreen_upstream_proxy_timeout", "5s", 's', 0),
    Bool("postscreen_use_tls", "$smtpd_use_tls"),
    Time("postscreen_watchdog_timeout", "10s", 's', 1),
    Str("prepend_delivered_header", "command, file, forward"),
    Dyn("process_id", "", kDynamic | kReadOnly),
    Str("process_id_directory", "pid"),
    Dyn("process_name", "", kDynamic | kReadOnly),
    Str("propagate_unmatched_extensions", "canonical, virtual"),
    Str("proxy_interfaces", ""),
    Str("proxy_read_maps",
        "$local_recipient_maps $mydestination $virtual_alias_maps $virtual_alias_domains "
        "$virtual_mailbox_maps $virtual_mailbox_domains $relay_recipient_maps $relay_domains "
        "$canonical_maps $sender_canonical_maps $recipient_canonical_maps $relocated_maps "
        "$transport_maps $mynetworks $smtpd_sender_login_maps $sender_bcc_maps $recipient_bcc_maps "
        "$smtp_generic_maps $lmtp_generic_maps $alias_maps $smtpd_client_restrictions "
        "$smtpd_helo_restrictions $smtpd_sender_restrictions $smtpd_relay_restrictions "
        "$smtpd_recipient_restrictions $address_verify_sender_dependent_default_transport_maps "
        "$address_verify_sender_dependent_relayhost_maps $address_verify_transport_maps "
        "$fallback_transport_maps $lmtp_discard_lhlo_keyword_address_maps "
        "$lmtp_pix_workaround_maps $lmtp_sasl_password_maps $lmtp_tls_policy_maps "
        "$mailbox_command_maps $mailbox_transport_maps "
        "$postscreen_discard_ehlo_keyword_address_maps $rbl_reply_maps "
        "$sender_dependent_default_transport_maps $sender_dependent_relayhost_maps "
        "$smtp_discard_ehlo_keyword_address_maps $smtp_pix_workaround_maps "
        "$smtp_sasl_password_maps $smtp_tls_policy_maps $smtpd_discard_ehlo_keyword_address_maps "
        "$smtpd_milter_maps $virtual_gid_maps $virtual_uid_maps $local_login_sender_maps "
        "$postscreen_reject_footer_maps $smtpd_reject_footer_maps $tls_server_sni_maps "
        "$tlsproxy_client_policy_maps $default_delivery_status_filter $lmtp_delivery_status_filter "
        "$lmtp_dns_reply_filter $lmtp_reply_filter $local_delivery_status_filter "
        "$pipe_delivery_status_filter $postscreen_command_filter $smtp_delivery_status_filter "
        "$smtp_dns_reply_filter $smtp_reply_filter $smtpd_command_filter $smtpd_dns_reply_filter "
        "$virtual_delivery_status_filter $body_checks $header_checks $lmtp_body_checks "
        "$lmtp_header_checks $lmtp_mime_header_checks $lmtp_nested_header_checks "
        "$milter_header_checks $mime_header_checks $nested_header_checks $smtp_body_checks "
        "$smtp_header_checks $smtp_mime_header_checks $smtp_nested_header_checks"),
    Str("proxy_write_maps",
        "$smtp_sasl_auth_cache_name $lmtp_sasl_auth_cache_name $address_verify_map "
        "$postscreen_cache_map"),
    Str("proxymap_service_name", "proxymap"),
    Str("proxywrite_service_name", "proxywrite"),
    Time("qmgr_clog_warn_time", "300s", 's', 0),
    Time("qmgr_daemon_timeout", "1000s", 's', 1),
    Int("qmgr_fudge_factor", "100"),
    Time("qmgr_ipc_timeout", "60s", 's', 1),
    Int("qmgr_message_active_limit", "20000"),
    Int("qmgr_message_recipient_limit", "20000"),
    Int("qmgr_message_recipient_minimum", "10"),
    Str("qmqpd_authorized_clients", ""),
    Bool("qmqpd_client_port_logging", "no"),
    Time("qmqpd_error_delay", "1s", 's', 0),
    Time("qmqpd_timeout", "300s", 's', 1),
    Str("queue_directory", MTA_QUEUE_DIR),
    Int("queue_file_attribute_count_limit", "100"),
    Long("queue_minfree", "0"),
    Time("queue_run_delay", "300s", 's', 1),
    Str("queue_service_name", "qmgr"),
    Str("rbl_reply_maps", ""),
    Str("readme_directory", "no"),
    Str("receive_override_options", ""),
    Str("recipient_bcc_maps", ""),
    Str("recipient_canonical_classes", "envelope_recipient, header_recipient"),
    Str("recipient_canonical_maps", ""),
    Str("recipient_delimiter", ""),
    Int("reject_code", "554"),
    Str("reject_tempfail_action", "defer_if_permit"),
    Str("relay_clientcerts", ""),
    Str("relay_domains", ""),
    Int("relay_domains_reject_code", "554"),
    Str("relay_recipient_maps", ""),
    Str("relay_transport", "relay"),
    Str("relayhost", ""),
    Str("relocated_maps", ""),
    Str("remote_header_rewrite_domain", ""),
    Bool("require_home_directory", "no"),
    Bool("reset_owner_alias", "no"),
    Bool("resolve_dequoted_address", "yes"),
    Bool("resolve_null_domain", "no"),
    Bool("resolve_numeric_domain", "no"),
    Str("respectful_logging", "yes"),
    Str("rewrite_service_name", "rewrite"),
    Str("sample_directory", MTA_CONFIG_DIR),
    Bool("send_cyrus_sasl_authzid", "no"),
    Str("sender_bcc_maps", ""),
    Str("sender_canonical_classes", "envelope_sender, header_sender"),
    Str("sender_canonical_maps", ""),
    Str("sender_dependent_default_transport_maps", ""),
    Str("sender_dependent_relayhost_maps", ""),
    Str("sendmail_fix_line_endings", "always"),
    Str("sendmail_path", "/usr/sbin/sendmail"),
    Str("service_name", ""),
    Time("service_throttle_time", "60s", 's', 1),
    Str("setgid_group", "postdrop"),
    Str("shlib_directory", "no"),
    Bool("show_user_unknown_table_name", "yes"),
    Str("showq_service_name", "showq"),
    Str("smtp_address_preference", "any"),
    Str("smtp_address_verify_target", "rcpt"),
    Bool("smtp_always_send_ehlo", "yes"),
    Bool("smtp_balance_inet_protocols", "yes"),
    Str("smtp_bind_address", ""),
    Str("smtp_bind_address6", ""),
    Bool("smtp_bind_address_enforce", "no"),
    Str("smtp_body_checks", ""),
    Bool("smtp_cname_overrides_servername", "no"),
    Time("smtp_connect_timeout", "30s", 's', 0),
    Str("smtp_connection_cache_destinations", ""),
    Bool("smtp_connection_cache_on_demand", "yes"),
    Time("smtp_connection_cache_time_limit", "2s", 's', 0),
    Int("smtp_connection_reuse_count_limit", "0"),
    Time("smtp_connection_reuse_time_limit", "300s", 's', 0),
    Time("smtp_data_done_timeout", "600s", 's', 1),
    Time("smtp_data_init_timeout", "120s", 's', 0),
    Time("smtp_data_xfer_timeout", "180s", 's', 0),
    Bool("smtp_defer_if_no_mx_address_found", "no"),
    Str("smtp_delivery_status_filter", "$default_delivery_status_filter"),
    Str("smtp_discard_ehlo_keyword_address_maps", ""),
    Str("smtp_discard_ehlo_keywords", ""),
    Str("smtp_dns_reply_filter", ""),
    Str("smtp_dns_resolver_options", ""),
    Str("smtp_dns_support_level", ""),
    Bool("smtp_enforce_tls", "no"),
    Str("smtp_fallback_relay", "$fallback_relay"),
    Str("smtp_generic_maps", ""),
    Str("smtp_header_checks", ""),
    Str("smtp_helo_name", "$myhostname"),
    Time("smtp_helo_timeout", "300s", 's', 1),
    Str("smtp_host_lookup", "dns"),
    Int("smtp_line_length_limit", "998"),
    Time("smtp_mail_timeout", "300s", 's', 1),
    Str("smtp_mime_header_checks", ""),
    Int("smtp_min_data_rate", "500"),
    Int("smtp_mx_address_limit", "5"),
    Int("smtp_mx_session_limit", "2"),
    Str("smtp_nested_header_checks", ""),
    Bool("smtp_never_send_ehlo", "no"),
    Bool("smtp_per_request_deadline",
         "${smtp_per_record_deadline?{$smtp_per_record_deadline}:{no}}"),
    Time("smtp_pix_workaround_delay_time", "10s", 's', 1),
    Str("smtp_pix_workaround_maps", ""),
    Time("smtp_pix_workaround_threshold_time", "500s", 's', 0),
    Str("smtp_pix_workarounds", "disable_esmtp,delay_dotcrlf"),
    Time("smtp_quit_timeout", "300s", 's', 1),
    Bool("smtp_quote_rfc821_envelope", "yes"),
    Bool("smtp_randomize_addresses", "yes"),
    Time("smtp_rcpt_timeout", "300s", 's', 1),
    Str("smtp_reply_filter", ""),
    Time("smtp_rset_timeout", "20s", 's', 1),
    Str("smtp_sasl_auth_cache_name", ""),
    Time("smtp_sasl_auth_cache_time", "90d", 'd', 0),
    Bool("smtp_sasl_auth_enable", "no"),
    Bool("smtp_sasl_auth_soft_bounce", "yes"),
    Str("smtp_sasl_mechanism_filter", ""),
    Str("smtp_sasl_password_maps", ""),
    Str("smtp_sasl_path", ""),
    Str("smtp_sasl_security_options", "noplaintext, noanonymous"),
    Str("smtp_sasl_tls_security_options", "$smtp_sasl_security_options"),
    Str("smtp_sasl_tls_verified_security_options", "$smtp_sasl_tls_security_options"),
    Str("smtp_sasl_type", "cyrus"),
    Bool("smtp_send_dummy_mail_auth", "no"),
    Bool("smtp_send_xforward_command", "no"),
    Bool("smtp_sender_dependent_authentication", "no"),
    Bool("smtp_skip_5xx_greeting", "yes"),
    Bool("smtp_skip_quit_response", "yes"),
    Time("smtp_starttls_timeout", "300s", 's', 1),
    Str("smtp_tcp_port", "smtp"),
    Str("smtp_tls_CAfile", ""),
    Str("smtp_tls_CApath", ""),
    Bool("smtp_tls_block_early_mail_reply", "no"),
    Str("smtp_tls_cert_file", ""),
    Str("smtp_tls_chain_files", ""),
    Str("smtp_tls_ciphers", "medium"),
    Bool("smtp_tls_connection_reuse", "no"),
    Str("smtp_tls_dane_insecure_mx_policy", "may"),
    Str("smtp_tls_dcert_file", ""),
    Str("smtp_tls_dkey_file", "$smtp_tls_dcert_file"),
    Str("smtp_tls_eccert_file", ""),
    Str("smtp_tls_eckey_file", "$smtp_tls_eccert_file"),
    Bool("smtp_tls_enforce_peername", "yes"),
    Str("smtp_tls_exclude_ciphers", ""),
    Str("smtp_tls_fingerprint_cert_match", ""),
    Str("smtp_tls_fingerprint_digest", "sha256"),
    Bool("smtp_tls_force_insecure_host_tlsa_lookup", "no"),
    Str("smtp_tls_key_file", "$smtp_tls_cert_file"),
    Int("smtp_tls_loglevel", "0"),
    Str("smtp_tls_mandatory_ciphers", "medium"),
    Str("smtp_tls_mandatory_exclude_ciphers", ""),
    Str("smtp_tls_mandatory_protocols", ">=TLSv1"),
    Bool("smtp_tls_note_starttls_offer", "no"),
    Str("smtp_tls_per_site", ""),
    Str("smtp_tls_policy_maps", ""),
    Str("smtp_tls_protocols", ">=TLSv1"),
    Int("smtp_tls_scert_verifydepth", "9"),
    Str("smtp_tls_secure_cert_match", "nexthop, dot-nexthop"),
    Str("smtp_tls_security_level", ""),
    Str("smtp_tls_servername", ""),
    Str("smtp_tls_session_cache_database", ""),
    Time("smtp_tls_session_cache_timeout", "3600s", 's', 1),
    Str("smtp_tls_trust_anchor_file", ""),
    Str("smtp_tls_verify_cert_match", "hostname"),
    Bool("smtp_tls_wrappermode", "no"),
    Bool("smtp_use_tls", "no"),
    Time("smtp_xforward_timeout", "300s", 's', 1),
    Str("smtpd_authorized_verp_clients", "$authorized_verp_clients"),
    Str("smtpd_authorized_xclient_hosts", ""),
    Str("smtpd_authorized_xforward_hosts", ""),
    Str("smtpd_banner", "$myhostname ESMTP $mail_name"),
    Int("smtpd_client_auth_rate_limit", "0"),
    Int("smtpd_client_connection_count_limit", "50"),
    Int("smtpd_client_connection_rate_limit", "0"),
    Str("smtpd_client_event_limit_exceptions",
        "${smtpd_client_connection_limit_exceptions:$mynetworks}"),
    Int("smtpd_client_message_rate_limit", "0"),
    Int("smtpd_client_new_tls_session_rate_limit", "0"),
    Bool("smtpd_client_port_logging", "no"),
    Int("smtpd_client_recipient_rate_limit", "0"),
    Str("smtpd_client_restrictions", ""),
    Str("smtpd_command_filter", ""),
    Str("smtpd_data_restrictions", ""),
    Bool("smtpd_delay_open_until_valid_rcpt", "yes"),
    Bool("smtpd_delay_reject", "yes"),
    Str("smtpd_discard_ehlo_keyword_address_maps", ""),
    Str("smtpd_discard_ehlo_keywords", ""),
    Str("smtpd_dns_reply_filter", ""),
    Str("smtpd_end_of_data_restrictions", ""),
    Bool("smtpd_enforce_tls", "no"),
    Time("smtpd_error_sleep_time", "1s", 's', 0),
    Str("smtpd_etrn_restrictions", ""),
    Str("smtpd_expansion_filter",
        "\\t\\40!\"#$%&'()*+,-./"
        "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"),
    Str("smtpd_forbid_bare_newline", "normalize"),  // Postfix 3.9 default (Debian 3.7: no)
    Str("smtpd_forbid_bare_newline_exclusions", "$mynetworks"),
    Int("smtpd_forbid_bare_newline_reject_code", "550"),
    Bool("smtpd_forbid_unauth_pipelining", "no"),
    Str("smtpd_forbidden_commands", "CONNECT GET POST regexp:{{/^[^A-Z]/ Bogus}}"),
    Int("smtpd_hard_error_limit", "${stress?{1}:{20}}", 1),
    Bool("smtpd_helo_required", "no"),
    Str("smtpd_helo_restrictions", ""),
    Int("smtpd_history_flush_threshold", "100"),
    Int("smtpd_junk_command_limit", "${stress?{1}:{100}}"),
    Str("smtpd_log_access_permit_actions", ""),
    Str("smtpd_milter_maps", ""),
    Str("smtpd_milters", ""),
    Int("smtpd_min_data_rate", "500"),
    Str("smtpd_noop_commands", ""),
    Str("smtpd_null_access_lookup_key", "<>"),
    Bool("smtpd_peername_lookup", "yes"),
    Bool("smtpd_per_request_deadline",
         "${smtpd_per_record_deadline?{$smtpd_per_record_deadline}:{${stress?{yes}:{no}}}}"),
    Str("smtpd_policy_service_default_action", "451 4.3.5 Server configuration problem"),
    Time("smtpd_policy_service_max_idle", "300s", 's', 1),
    Time("smtpd_policy_service_max_ttl", "1000s", 's', 1),
    Str("smtpd_policy_service_policy_context", ""),
    Int("smtpd_policy_service_request_limit", "0"),
    Time("smtpd_policy_service_retry_delay", "1s", 's', 1),
    Time("smtpd_policy_service_timeout", "100s", 's', 1),
    Int("smtpd_policy_service_try_limit", "2", 1),
    Str("smtpd_proxy_ehlo", "$myhostname"),
    Str("smtpd_proxy_filter", ""),
    Str("smtpd_proxy_options", ""),
    Time("smtpd_proxy_timeout", "100s", 's', 1),
    Int("smtpd_recipient_limit", "1000", 1),
    Int("smtpd_recipient_overshoot_limit", "1000"),
    Str("smtpd_recipient_restrictions", ""),
    Str("smtpd_reject_footer", ""),
    Str("smtpd_reject_footer_maps", ""),
    Bool("smtpd_reject_unlisted_recipient", "yes"),
    Bool("smtpd_reject_unlisted_sender", "no"),
    Str("smtpd_relay_before_recipient_restrictions", "yes"),
    Str("smtpd_relay_restrictions",
        "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"),
    Str("smtpd_restriction_classes", ""),
    Bool("smtpd_sasl_auth_enable", "no"),
    Bool("smtpd_sasl_authenticated_header", "no"),
    Str("smtpd_sasl_exceptions_networks", ""),
    Str("smtpd_sasl_local_domain", ""),
    Str("smtpd_sasl_mechanism_filter", "!external, static:rest"),
    Str("smtpd_sasl_path", "smtpd"),
    Int("smtpd_sasl_response_limit", "12288"),
    Str("smtpd_sasl_security_options", "noanonymous"),
    Str("smtpd_sasl_service", "smtp"),
    Str("smtpd_sasl_tls_security_options", "$smtpd_sasl_security_options"),
    Str("smtpd_sasl_type", "cyrus"),
    Str("smtpd_sender_login_maps", ""),
    Str("smtpd_sender_restrictions", ""),
    Str("smtpd_service_name", "smtpd"),
    Int("smtpd_soft_error_limit", "10", 1),
    Time("smtpd_starttls_timeout", "${stress?{10}:{300}}s", 's', 1),
    Time("smtpd_timeout", "${stress?{10}:{300}}s", 's', 1),
    Str("smtpd_tls_CAfile", ""),
    Str("smtpd_tls_CApath", ""),
    Bool("smtpd_tls_always_issue_session_ids", "yes"),
    Bool("smtpd_tls_ask_ccert", "no"),
    Bool("smtpd_tls_auth_only", "no"),
    Int("smtpd_tls_ccert_verifydepth", "9"),
    Str("smtpd_tls_cert_file", ""),
    Str("smtpd_tls_chain_files", ""),
    Str("smtpd_tls_ciphers", "medium"),
    Str("smtpd_tls_dcert_file", ""),
    Str("smtpd_tls_dh1024_param_file", ""),
    Str("smtpd_tls_dh512_param_file", ""),
    Str("smtpd_tls_dkey_file", "$smtpd_tls_dcert_file"),
    Str("smtpd_tls_eccert_file", ""),
    Str("smtpd_tls_eckey_file", "$smtpd_tls_eccert_file"),
    Str("smtpd_tls_eecdh_grade", "auto"),
    Str("smtpd_tls_exclude_ciphers", ""),
    Str("smtpd_tls_fingerprint_digest", "sha256"),
    Str("smtpd_tls_key_file", "$smtpd_tls_cert_file"),
    Int("smtpd_tls_loglevel", "0"),
    Str("smtpd_tls_mandatory_ciphers", "medium"),
    Str("smtpd_tls_mandatory_exclude_ciphers", ""),
    Str("smtpd_tls_mandatory_protocols", ">=TLSv1"),
    Str("smtpd_tls_protocols", ">=TLSv1"),
    Bool("smtpd_tls_received_header", "no"),
    Bool("smtpd_tls_req_ccert", "no"),
    Str("smtpd_tls_security_level", ""),
    Str("smtpd_tls_session_cache_database", ""),
    Time("smtpd_tls_session_cache_timeout", "3600s", 's', 0),
    Bool("smtpd_tls_wrappermode", "no"),
    Str("smtpd_upstream_proxy_protocol", ""),
    Time("smtpd_upstream_proxy_timeout", "5s", 's', 1),
    Bool("smtpd_use_tls", "no"),
    Str("smtputf8_autodetect_classes", "sendmail, verify"),
    Str("smtputf8_enable", "yes"),
    Bool("soft_bounce", "no"),
    Time("stale_lock_time", "500s", 's', 1),
    Str("stress", ""),
    Bool("strict_7bit_headers", "no"),
    Bool("strict_8bitmime", "no"),
    Bool("strict_8bitmime_body", "no"),
    Bool("strict_mailbox_ownership", "yes"),
    Bool("strict_mime_encoding_domain", "no"),
    Bool("strict_rfc821_envelopes", "no"),
    Bool("strict_smtputf8", "no"),
    Bool("sun_mailtool_compatibility", "no"),
    Bool("swap_bangpath", "yes"),
    Str("syslog_facility", "mail"),
    Str("syslog_name", "${multi_instance_name?{$multi_instance_name}:{postfix}}"),
    Int("tcp_windowsize", "0"),
    Bool("tls_append_default_CA", "no"),
    Str("tls_config_file", "default"),
    Str("tls_config_name", ""),
    Int("tls_daemon_random_bytes", "32"),
    Str("tls_dane_digests", "sha512 sha256"),
    Str("tls_disable_workarounds", ""),
    Str("tls_eecdh_auto_curves", "X25519 X448 prime256v1 secp521r1 secp384r1"),
    Str("tls_eecdh_strong_curve", "prime256v1"),
    Str("tls_eecdh_ultra_curve", "secp384r1"),
    Str("tls_export_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH"),
    Bool("tls_fast_shutdown_enable", "yes"),
    Str("tls_high_cipherlist", "aNULL:-aNULL:HIGH:@STRENGTH"),
    Bool("tls_legacy_public_key_fingerprints", "no"),
    Str("tls_low_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH"),
    Str("tls_medium_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH"),
    Str("tls_null_cipherlist", "eNULL:!aNULL"),
    Bool("tls_preempt_cipherlist", "no"),
    Int("tls_random_bytes", "32"),
    Str("tls_random_exchange_name", "${data_directory}/prng_exch"),
    Time("tls_random_prng_update_period", "3600s", 's', 1),
    Time("tls_random_reseed_period", "3600s", 's', 1),
    Str("tls_random_source", "dev:/dev/urandom"),
    Str("tls_server_sni_maps", ""),
    Str("tls_session_ticket_cipher", "aes-256-cbc"),
    Str("tls_ssl_options", ""),
    Bool("tls_wildcard_matches_multiple_labels", "yes"),
    Str("tlsmgr_service_name", "tlsmgr"),
    Str("tlsproxy_client_CAfile", "$smtp_tls_CAfile"),
    Str("tlsproxy_client_CApath", "$smtp_tls_CApath"),
    Str("tlsproxy_client_cert_file", "$smtp_tls_cert_file"),
    Str("tlsproxy_client_chain_files", "$smtp_tls_chain_files"),
    Str("tlsproxy_client_dcert_file", "$smtp_tls_dcert_file"),
    Str("tlsproxy_client_dkey_file", "$smtp_tls_dkey_file"),
    Str("tlsproxy_client_eccert_file", "$smtp_tls_eccert_file"),
    Str("tlsproxy_client_eckey_file", "$smtp_tls_eckey_file"),
    Bool("tlsproxy_client_enforce_tls", "$smtp_enforce_tls"),
    Str("tlsproxy_client_fingerprint_digest", "$smtp_tls_fingerprint_digest"),
    Str("tlsproxy_client_key_file", "$smtp_tls_key_file"),
    Int("tlsproxy_client_loglevel", "$smtp_tls_loglevel"),
    Str("tlsproxy_client_loglevel_parameter", "smtp_tls_loglevel"),
    Str("tlsproxy_client_per_site", "$smtp_tls_per_site"),
    Str("tlsproxy_client_policy_maps", "${tlsproxy_client_policy:$smtp_tls_policy_maps}"),
    Int("tlsproxy_client_scert_verifydepth", "$smtp_tls_scert_verifydepth"),
    Str("tlsproxy_client_security_level", "${tlsproxy_client_level:$smtp_tls_security_level}"),
    Bool("tlsproxy_client_use_tls", "$smtp_use_tls"),
    Bool("tlsproxy_enforce_tls", "$smtpd_enforce_tls"),
    Str("tlsproxy_service_name", "tlsproxy"),
    Str("tlsproxy_tls_CAfile", "$smtpd_tls_CAfile"),
    Str("tlsproxy_tls_CApath", "$smtpd_tls_CApath"),
    Bool("tlsproxy_tls_always_issue_session_ids", "$smtpd_tls_always_issue_session_ids"),
    Bool("tlsproxy_tls_ask_ccert", "$smtpd_tls_ask_ccert"),
    Int("tlsproxy_tls_ccert_verifydepth", "$smtpd_tls_ccert_verifydepth"),
    Str("tlsproxy_tls_cert_file", "$smtpd_tls_cert_file"),
    Str("tlsproxy_tls_chain_files", "$smtpd_tls_chain_files"),
    Str("tlsproxy_tls_ciphers", "$smtpd_tls_ciphers"),
    Str("tlsproxy_tls_dcert_file", "$smtpd_tls_dcert_file"),
    Str("tlsproxy_tls_dh1024_param_file", "$smtpd_tls_dh1024_param_file"),
    Str("tlsproxy_tls_dh512_param_file", "$smtpd_tls_dh512_param_file"),
    Str("tlsproxy_tls_dkey_file", "$smtpd_tls_dkey_file"),
    Str("tlsproxy_tls_eccert_file", "$smtpd_tls_eccert_file"),
    Str("tlsproxy_tls_eckey_file", "$smtpd_tls_eckey_file"),
    Str("tlsproxy_tls_eecdh_grade", "$smtpd_tls_eecdh_grade"),
    Str("tlsproxy_tls_exclude_ciphers", "$smtpd_tls_exclude_ciphers"),
    Str("tlsproxy_tls_fingerprint_digest", "$smtpd_tls_fingerprint_digest"),
    Str("tlsproxy_tls_key_file", "$smtpd_tls_key_file"),
    Int("tlsproxy_tls_loglevel", "$smtpd_tls_loglevel"),
    Str("tlsproxy_tls_mandatory_ciphers", "$smtpd_tls_mandatory_ciphers"),
    Str("tlsproxy_tls_mandatory_exclude_ciphers", "$smtpd_tls_mandatory_exclude_ciphers"),
    Str("tlsproxy_tls_mandatory_protocols", "$smtpd_tls_mandatory_protocols"),
    Str("tlsproxy_tls_protocols", "$smtpd_tls_protocols"),
    Bool("tlsproxy_tls_req_ccert", "$smtpd_tls_req_ccert"),
    Str("tlsproxy_tls_security_level", "$smtpd_tls_security_level"),
    Bool("tlsproxy_use_tls", "$smtpd_use_tls"),
    Time("tlsproxy_watchdog_timeout", "10s", 's', 1),
    Str("trace_service_name", "trace"),
    Str("transport_maps", ""),
    Time("transport_retry_time", "60s", 's', 1),
    Time("trigger_timeout", "10s", 's', 1),
    Str("undisclosed_recipients_header", ""),
    Int("unknown_address_reject_code", "450"),
    Str("unknown_address_tempfail_action", "$reject_tempfail_action"),
    Int("unknown_client_reject_code", "450"),
    Str("unknown_helo_hostname_tempfail_action", "$reject_tempfail_action"),
    Int("unknown_hostname_reject_code", "450"),
    Int("unknown_local_recipient_reject_code", "550"),
    Int("unknown_relay_recipient_reject_code", "550"),
    Int("unknown_virtual_alias_reject_code", "550"),
    Int("unknown_virtual_mailbox_reject_code", "550"),
    Int("unverified_recipient_defer_code", "450"),
    Int("unverified_recipient_reject_code", "450"),
    Str("unverified_recipient_reject_reason", ""),
    Str("unverified_recipient_tempfail_action", "$reject_tempfail_action"),
    Int("unverified_sender_defer_code", "450"),
    Int("unverified_sender_reject_code", "450"),
    Str("unverified_sender_reject_reason", ""),
    Str("unverified_sender_tempfail_action", "$reject_tempfail_action"),
    Str("verp_delimiter_filter", "-=+"),
    Int("virtual_alias_address_length_limit", "1000"),
    Str("virtual_alias_domains", "$virtual_alias_maps"),
    Int("virtual_alias_expansion_limit", "1000"),
    Str("virtual_alias_maps", "$virtual_maps"),
    Int("virtual_alias_recursion_limit", "1000"),
    Bool("virtual_create_maildirsize", "no"),  // VDA quota patch
    Str("virtual_delivery_status_filter", "$default_delivery_status_filter"),
    Str("virtual_gid_maps", ""),
    Str("virtual_mailbox_base", ""),
    Str("virtual_mailbox_domains", "$virtual_mailbox_maps"),
    Bool("virtual_mailbox_extended", "no"),  // VDA quota patch
    Long("virtual_mailbox_limit", "51200000"),
    Str("virtual_mailbox_limit_maps", ""),          // VDA quota patch
    Bool("virtual_mailbox_limit_override", "no"),  // VDA quota patch
    Str("virtual_mailbox_lock", "fcntl, dotlock"),
    Str("virtual_mailbox_maps", ""),
    Str("virtual_maildir_limit_message",  // VDA quota patch
        "Sorry, the user's maildir has overdrawn his diskspace quota, please try again later."),
    Int("virtual_minimum_uid", "100", 1),
    Bool("virtual_overquota_bounce", "no"),  // VDA quota patch
    Str("virtual_transport", "virtual"),
    Str("virtual_uid_maps", ""),
};

constexpr bool SortedAndUnique() {
  for (size_t i = 1; i < std::size(kParams); ++i) {
    if (!(kParams[i - 1].name < kParams[i].name)) return false;
  }
  return true;
}
static_assert(SortedAndUnique(), "kParams must be sorted by name without duplicates");

// Per-service parameter suffixes. The first 16 are registered for delivery
// services; "_time_limit" (last) for pipe and spawn services.
constexpr std::string_view kSuffixes[] = {
    "_delivery_slot_cost",
    "_delivery_slot_discount",
    "_delivery_slot_loan",
    "_destination_concurrency_failed_cohort_limit",
    "_destination_concurrency_limit",
    "_destination_concurrency_negative_feedback",
    "_destination_concurrency_positive_feedback",
    "_destination_rate_delay",
    "_destination_recipient_limit",
    "_extra_recipient_limit",
    "_initial_destination_concurrency",
    "_minimum_delivery_slots",
    "_recipient_limit",
    "_recipient_refill_delay",
    "_recipient_refill_limit",
    "_transport_rate_delay",
    "_time_limit",
};
constexpr size_t kDeliverySuffixCount = std::size(kSuffixes) - 1;

// The built-in parameter that supplies the default of NAME + suffix.
std::string SuffixDefaultParam(std::string_view suffix) {
  if (suffix == "_initial_destination_concurrency") return "initial_destination_concurrency";
  if (suffix == "_time_limit") return "command_time_limit";
  return "default" + std::string(suffix);
}

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

enum class MaskStyle { kHost, kSubnet, kClass };

int PrefixLength(const unsigned char* mask, size_t len) {
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    for (int b = 7; b >= 0 && (mask[i] >> b) & 1; --b) ++bits;
    if (mask[i] != 0xff) break;
  }
  return bits;
}

// Clears the bits after the first `prefix` bits of `addr`.
void ApplyPrefix(unsigned char* addr, size_t len, int prefix) {
  for (size_t i = 0; i < len; ++i) {
    int keep = std::clamp(prefix - static_cast<int>(i) * 8, 0, 8);
    addr[i] &= static_cast<unsigned char>(0xff00 >> keep);
  }
}

// One mynetworks entry for an interface address, or "" to skip it.
std::string NetworkOf(const ifaddrs* ifa, MaskStyle style) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ifa->ifa_addr->sa_family == AF_INET) {
    in_addr addr = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr)->sin_addr;
    if (addr.s_addr == htonl(INADDR_ANY) || ifa->ifa_netmask == nullptr) return "";
    auto* bytes = reinterpret_cast<unsigned char*>(&addr.s_addr);
    int prefix = 32;
    if (style == MaskStyle::kSubnet || style == MaskStyle::kClass) {
      prefix = PrefixLength(reinterpret_cast<const unsigned char*>(
                                &reinterpret_cast<const sockaddr_in*>(ifa->ifa_netmask)->sin_addr),
                            4);
    }
    if (style == MaskStyle::kClass) {
      // Natural class A/B/C/D networks; class E keeps its subnet.
      if (bytes[0] < 128) {
        prefix = 8;
      } else if (bytes[0] < 192) {
        prefix = 16;
      } else if (bytes[0] < 224) {
        prefix = 24;
      } else if (bytes[0] < 240) {
        prefix = 4;
      }
    }
    ApplyPrefix(bytes, 4, prefix);
    inet_ntop(AF_INET, &addr, text, sizeof(text));
    return util::StrFormat("%s/%d", text, prefix);
  }
  if (ifa->ifa_addr->sa_family == AF_INET6) {
    in6_addr addr = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr)->sin6_addr;
    if (IN6_IS_ADDR_UNSPECIFIED(&addr)) return "";
    int prefix = 128;
    if (style != MaskStyle::kHost && ifa->ifa_netmask != nullptr) {
      // IPv6 has no address classes: "class" works like "subnet".
      prefix = PrefixLength(
          reinterpret_cast<const sockaddr_in6*>(ifa->ifa_netmask)->sin6_addr.s6_addr, 16);
    }
    ApplyPrefix(addr.s6_addr, 16, prefix);
    inet_ntop(AF_INET6, &addr, text, sizeof(text));
    return util::StrFormat("[%s]/%d", text, prefix);
  }
  return "";
}

}  // namespace

std::span<const ParamDef> All() { return kParams; }

const ParamDef* Find(std::string_view name) {
  auto it = std::lower_bound(std::begin(kParams), std::end(kParams), name,
                             [](const ParamDef& d, std::string_view n) { return d.name < n; });
  if (it == std::end(kParams) || it->name != name) return nullptr;
  return &*it;
}

std::optional<std::string> Default(std::string_view name) {
  const ParamDef* def = Find(name);
  if (def == nullptr) return std::nullopt;
  if (def->flags & kDynamic) return DynamicDefault(name);
  return std::string(def->default_value);
}

std::string DynamicDefault(std::string_view name) {
  if (name == "myhostname") {
    static const std::string value = QualifyHostname(HostName());
    return value;
  }
  if (name == "mydomain") {
    static const std::string value = DomainOfHostname(DynamicDefault("myhostname"));
    return value;
  }
  if (name == "mynetworks") {
    static const std::string value = MynetworksForStyle("host").value_or("");
    return value;
  }
  if (name == "mail_version") return MTA_MAIL_VERSION;
  if (name == "process_id") return std::to_string(getpid());
  if (name == "process_name") return program_invocation_short_name;
  const ParamDef* def = Find(name);
  return def ? std::string(def->default_value) : std::string();
}

std::string QualifyHostname(std::string_view host, std::string_view mydomain) {
  if (host.find('.') != std::string_view::npos) return std::string(host);
  return std::string(host) + "." + std::string(mydomain);
}

std::string DomainOfHostname(std::string_view myhostname) {
  size_t dot = myhostname.find('.');
  if (dot == std::string_view::npos) return "localdomain";
  return std::string(myhostname.substr(dot + 1));
}

std::optional<std::string> MynetworksForStyle(std::string_view style) {
  MaskStyle mask_style;
  std::string_view s = util::Trim(style);
  if (util::EqualsIgnoreCase(s, "host")) {
    mask_style = MaskStyle::kHost;
  } else if (util::EqualsIgnoreCase(s, "subnet")) {
    mask_style = MaskStyle::kSubnet;
  } else if (util::EqualsIgnoreCase(s, "class")) {
    mask_style = MaskStyle::kClass;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> nets;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (int family : {AF_INET, AF_INET6}) {
      for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != family ||
            !(ifa->ifa_flags & IFF_UP))
          continue;
        std::string net = NetworkOf(ifa, mask_style);
        if (!net.empty()) nets.push_back(std::move(net));
      }
    }
    freeifaddrs(list);
  }
  if (nets.empty()) {
    // No interface list (e.g. a sandbox without /proc): the loopback host.
    nets = {mask_style == MaskStyle::kHost ? "127.0.0.1/32" : "127.0.0.0/8", "[::1]/128"};
  }
  return util::Join(nets, " ");
}

std::span<const std::string_view> TransportParamSuffixes() {
  return std::span<const std::string_view>(kSuffixes, kDeliverySuffixCount);
}

std::span<const std::string_view> ServiceParamSuffixes(std::string_view program) {
  if (program == "local" || program == "error" || program == "virtual" || program == "smtp" ||
      program == "lmtp")
    return TransportParamSuffixes();
  if (program == "pipe") return kSuffixes;
  if (program == "spawn") return std::span<const std::string_view>(kSuffixes).last(1);
  return {};
}

std::optional<std::string> TransportParamDefault(std::string_view name, std::string* transport) {
  std::string_view best;
  for (std::string_view suffix : kSuffixes) {
    if (name.size() > suffix.size() && name.ends_with(suffix) && suffix.size() > best.size())
      best = suffix;
  }
  if (best.empty()) return std::nullopt;
  if (transport != nullptr) *transport = std::string(name.substr(0, name.size() - best.size()));
  if (auto builtin = Default(name)) return builtin;
  return "$" + SuffixDefaultParam(best);
}

std::optional<std::string> CheckValue(const ParamDef& def, std::string_view expanded) {
  std::string name(def.name);
  std::string value(expanded);
  switch (def.type) {
    case Type::kString:
      return std::nullopt;
    case Type::kBool:
      // Postfix accepts exactly "yes" or "no", in any case.
      if (util::EqualsIgnoreCase(expanded, "yes") || util::EqualsIgnoreCase(expanded, "no"))
        return std::nullopt;
      return util::StrFormat("bad boolean configuration: %s = %s", name.c_str(), value.c_str());
    case Type::kInt:
    case Type::kLong: {
      std::optional<long long> n = util::ParseInt(expanded);
      if (!n || (def.type == Type::kInt && (*n < INT_MIN || *n > INT_MAX)))
        return util::StrFormat("bad numerical configuration: %s = %s", name.c_str(), value.c_str());
      if (def.min != kNoMin && *n < def.min)
        return util::StrFormat("invalid %s parameter value %lld < %lld", name.c_str(), *n, def.min);
      if (def.max != 0 && *n > def.max)
        return util::StrFormat("invalid %s parameter value %lld > %lld", name.c_str(), *n, def.max);
      return std::nullopt;
    }
    case Type::kTime: {
      std::optional<long long> n = util::ParseTime(expanded, def.time_unit);
      if (!n || *n > INT_MAX)
        return util::StrFormat("parameter %s: bad time value or unit: %s", name.c_str(),
                               value.c_str());
      if (def.min != kNoMin && *n < def.min)
        return util::StrFormat("invalid %s: %lld (min %lld)", name.c_str(), *n, def.min);
      if (def.max != 0 && *n > def.max)
        return util::StrFormat("invalid %s: %lld (max %lld)", name.c_str(), *n, def.max);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

namespace {

struct CompatDefault {
  std::string_view name;
  std::string_view below;  // the level from which the table's default applies
  std::string_view value;  // the default below that level
};
constexpr CompatDefault kCompat[] = {
    {"append_dot_mydomain", "1", "yes"},
    {"smtpd_relay_restrictions", "1", ""},
    {"smtputf8_enable", "1", "no"},
    {"mynetworks_style", "2", "subnet"},
    {"relay_domains", "2", "$mydestination"},
    {"lmtp_tls_fingerprint_digest", "3.6", "md5"},
    {"respectful_logging", "3.6", "no"},
    {"smtp_tls_fingerprint_digest", "3.6", "md5"},
    {"smtpd_relay_before_recipient_restrictions", "3.6", "no"},
    {"smtpd_tls_fingerprint_digest", "3.6", "md5"},
};

// "3.6" -> {3, 6, 0}; nullopt when malformed.
std::optional<std::array<long long, 3>> ParseLevel(std::string_view level) {
  std::array<long long, 3> out = {0, 0, 0};
  std::vector<std::string> parts = util::Split(util::Trim(level), '.');
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  for (size_t i = 0; i < parts.size(); i++) {
    if (parts[i].empty() || parts[i].find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    auto n = util::ParseInt(parts[i]);
    if (!n) return std::nullopt;
    out[i] = *n;
  }
  return out;
}

bool Below(std::string_view level, std::string_view threshold) {
  auto l = ParseLevel(level);
  auto t = ParseLevel(threshold);
  return l && t && *l < *t;
}

}  // namespace

bool ValidCompatibilityLevel(std::string_view level) { return ParseLevel(level).has_value(); }

std::optional<std::string> CompatibilityDefault(std::string_view name, std::string_view level) {
  for (const CompatDefault& c : kCompat)
    if (c.name == name && Below(level, c.below)) return std::string(c.value);
  return std::nullopt;
}

std::vector<std::pair<std::string_view, std::string_view>> CompatibilityDefaults(
    std::string_view level) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const CompatDefault& c : kCompat)
    if (Below(level, c.below)) out.emplace_back(c.name, c.value);
  return out;
}

}  // namespace params
