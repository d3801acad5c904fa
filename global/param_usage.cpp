#include "global/param_usage.h"

#include <algorithm>
#include <set>

#include "global/params.h"
#include "util/strings.h"

namespace param_usage {
namespace {

// ---------------------------------------------------------------------------
// Declarations: the parameters each module and program reads. A module is
// a piece of util/, tables/ or global/ with its own reads; a program's
// list is what it reads itself (including dynamically built names, such
// as qmgr's default_destination_* and smtp's smtp_* lookup options).

constexpr std::string_view kGlobalAddrFindParams[] = {
    "double_bounce_sender",
    "owner_request_special",
    "parent_domain_matches_subdomains",
    "recipient_delimiter",
};

constexpr std::string_view kGlobalAddrListParams[] = {
    "parent_domain_matches_subdomains",
};

constexpr std::string_view kGlobalAnvilClientParams[] = {
    "ipc_timeout",
    "queue_directory",
};

constexpr std::string_view kGlobalScacheClientParams[] = {
    "connection_cache_protocol_timeout",
    "connection_cache_service_name",
    "queue_directory",
};

constexpr std::string_view kGlobalTlsmgrClientParams[] = {
    "ipc_timeout",
    "queue_directory",
    "smtpd_tls_session_cache_timeout",
    "tlsmgr_service_name",
};

constexpr std::string_view kGlobalBounceClientParams[] = {
    "bounce_service_name", "defer_service_name", "ipc_timeout",
    "qmgr_ipc_timeout",    "queue_directory",    "trace_service_name",
};

constexpr std::string_view kGlobalCleanupClientParams[] = {
    "cleanup_service_name",
    "ipc_timeout",
    "receive_override_options",
};

constexpr std::string_view kGlobalMimeParams[] = {
    "disable_mime_input_processing",
    "header_size_limit",
    "mime_boundary_length_limit",
    "mime_nesting_limit",
};

constexpr std::string_view kGlobalConfigParams[] = {
    "compatibility_level", "config_directory",          "mydomain", "myhostname", "mynetworks",
    "mynetworks_style",    "smtpd_restriction_classes",
};

constexpr std::string_view kGlobalDaemonParams[] = {
    "mail_owner", "max_idle", "max_use", "process_name", "queue_directory", "service_name",
};

// deliver_status also tells the flush service of deferrals (flush_client).
constexpr std::string_view kGlobalDeliverStatusParams[] = {
    "fast_flush_domains", "flush_service_name", "ipc_timeout", "parent_domain_matches_subdomains",
    "queue_directory",    "soft_bounce",
};

constexpr std::string_view kGlobalDomainListParams[] = {
    "parent_domain_matches_subdomains",
};

constexpr std::string_view kGlobalFlushClientParams[] = {
    "fast_flush_domains",
    "flush_service_name",
    "queue_directory",
};

constexpr std::string_view kGlobalMailQueueParams[] = {
    "enable_long_queue_ids",
    "hash_queue_depth",
    "hash_queue_names",
    "queue_directory",
};

constexpr std::string_view kGlobalMailQueueDirsParams[] = {
    "data_directory", "mail_owner", "process_id_directory", "queue_directory", "setgid_group",
};

constexpr std::string_view kGlobalTlsCiphersParams[] = {
    "tls_export_cipherlist", "tls_high_cipherlist", "tls_low_cipherlist",
    "tls_medium_cipherlist", "tls_null_cipherlist",
};

constexpr std::string_view kGlobalMailTriggerParams[] = {
    "queue_directory",
};

constexpr std::string_view kGlobalMaillogParams[] = {
    "maillog_file",         "maillog_file_prefixes", "myhostname",
    "postlog_service_name", "queue_directory",       "syslog_name",
};

constexpr std::string_view kGlobalMasterLockParams[] = {
    "data_directory",
    "process_id_directory",
    "queue_directory",
};

constexpr std::string_view kGlobalPostdropClientParams[] = {
    "command_directory",
};

constexpr std::string_view kGlobalResolveLocalParams[] = {
    "inet_interfaces",
    "inet_protocols",
    "mydestination",
    "proxy_interfaces",
};

constexpr std::string_view kGlobalRewriteParams[] = {
    "allow_percent_hack", "append_at_myorigin",           "append_dot_mydomain", "mydomain",
    "myorigin",           "remote_header_rewrite_domain", "swap_bangpath",
};

constexpr std::string_view kGlobalRewriteClientParams[] = {
    "ipc_timeout",
    "queue_directory",
    "rewrite_service_name",
};

constexpr std::string_view kGlobalShowqClientParams[] = {
    "queue_directory",
    "showq_service_name",
};

constexpr std::string_view kGlobalSingleServerParams[] = {
    "daemon_timeout",
};

constexpr std::string_view kTablesParams[] = {
    "berkeley_db_create_buffer_size",
    "berkeley_db_read_buffer_size",
    "ipc_timeout",
    "lmdb_map_size",
    "proxymap_service_name",
    "proxywrite_service_name",
    "queue_directory",
};

constexpr std::string_view kAnvilParams[] = {
    "anvil_rate_time_unit",
    "anvil_status_update_time",
};

constexpr std::span<const std::string_view> kAnvilModules[] = {
    kGlobalAnvilClientParams, kGlobalConfigParams, kGlobalDaemonParams,
    kGlobalMaillogParams,     kTablesParams,
};

constexpr std::string_view kScacheParams[] = {
    "connection_cache_status_update_time",
    "connection_cache_ttl_limit",
};

constexpr std::span<const std::string_view> kScacheModules[] = {
    kGlobalConfigParams,
    kGlobalDaemonParams,
    kGlobalMaillogParams,
    kTablesParams,
};

constexpr std::string_view kBounceParams[] = {
    "2bounce_notice_recipient", "bounce_size_limit", "delay_warning_time",
    "double_bounce_sender",     "ipc_timeout",       "mail_name",
    "maximal_queue_lifetime",   "myhostname",        "myorigin",
    "notify_classes",           "smtputf8_enable",
};

constexpr std::span<const std::string_view> kBounceModules[] = {
    kGlobalCleanupClientParams, kGlobalConfigParams,
    kGlobalDaemonParams,        kGlobalMailQueueParams,
    kGlobalMailTriggerParams,   kGlobalMaillogParams,
    kGlobalSingleServerParams,  kTablesParams,
};

constexpr std::string_view kCleanupParams[] = {
    "always_add_missing_headers",
    "always_bcc",
    "body_checks",
    "body_checks_size_limit",
    "canonical_classes",
    "canonical_maps",
    "disable_mime_input_processing",
    "duplicate_filter_limit",
    "empty_address_recipient",
    "enable_original_recipient",
    "header_checks",
    "header_from_format",
    "header_size_limit",
    "hopcount_limit",
    "in_flow_delay",
    "ipc_timeout",
    "masquerade_classes",
    "masquerade_domains",
    "masquerade_exceptions",
    "message_drop_headers",
    "message_size_limit",
    "mime_boundary_length_limit",
    "mime_header_checks",
    "mime_nesting_limit",
    "myhostname",
    "myorigin",
    "nested_header_checks",
    "propagate_unmatched_extensions",
    "queue_file_attribute_count_limit",
    "queue_service_name",
    "recipient_bcc_maps",
    "recipient_canonical_classes",
    "recipient_canonical_maps",
    "remote_header_rewrite_domain",
    "sender_bcc_maps",
    "sender_canonical_classes",
    "sender_canonical_maps",
    "undisclosed_recipients_header",
    "virtual_alias_address_length_limit",
    "virtual_alias_expansion_limit",
    "virtual_alias_maps",
    "virtual_alias_recursion_limit",
};

constexpr std::span<const std::string_view> kCleanupModules[] = {
    kGlobalAddrFindParams,    kGlobalCleanupClientParams, kGlobalConfigParams,
    kGlobalDaemonParams,      kGlobalDomainListParams,    kGlobalMailQueueParams,
    kGlobalMailTriggerParams, kGlobalMaillogParams,       kGlobalResolveLocalParams,
    kGlobalRewriteParams,     kGlobalSingleServerParams,  kTablesParams,
};

constexpr std::span<const std::string_view> kDiscardModules[] = {
    kGlobalBounceClientParams,  kGlobalConfigParams,    kGlobalDaemonParams,
    kGlobalDeliverStatusParams, kGlobalMailQueueParams, kGlobalMaillogParams,
    kGlobalSingleServerParams,  kTablesParams,
};

constexpr std::span<const std::string_view> kErrorModules[] = {
    kGlobalBounceClientParams,  kGlobalConfigParams,    kGlobalDaemonParams,
    kGlobalDeliverStatusParams, kGlobalMailQueueParams, kGlobalMaillogParams,
    kGlobalSingleServerParams,  kTablesParams,
};

constexpr std::string_view kMasterParams[] = {
    "daemon_directory", "default_process_limit", "import_environment", "inet_interfaces",
    "inet_protocols",   "mail_version",          "queue_directory",    "service_throttle_time",
};

constexpr std::span<const std::string_view> kMasterModules[] = {
    kGlobalConfigParams,  kGlobalMailQueueDirsParams, kGlobalMailTriggerParams,
    kGlobalMaillogParams, kGlobalMasterLockParams,    kTablesParams,
};

constexpr std::string_view kPickupParams[] = {
    "content_filter",
    "in_flow_delay",
};

constexpr std::span<const std::string_view> kPickupModules[] = {
    kGlobalCleanupClientParams, kGlobalConfigParams,  kGlobalDaemonParams, kGlobalMailQueueParams,
    kGlobalMailTriggerParams,   kGlobalMaillogParams, kTablesParams,
};

constexpr std::string_view kPostconfParams[] = {
    "config_directory",
};

constexpr std::span<const std::string_view> kPostconfModules[] = {
    kGlobalConfigParams,
    kTablesParams,
};

constexpr std::string_view kPostdropParams[] = {
    "alternate_config_directories",
    "authorized_submit_users",
    "import_environment",
    "message_size_limit",
    "multi_instance_directories",
    "pickup_service_name",
    "trigger_timeout",
};

constexpr std::span<const std::string_view> kPostdropModules[] = {
    kGlobalConfigParams,      kGlobalDomainListParams, kGlobalMailQueueParams,
    kGlobalMailTriggerParams, kGlobalMaillogParams,    kTablesParams,
};

constexpr std::string_view kPostfixParams[] = {
    "daemon_directory",
    "maillog_file",
    "maillog_file_compressor",
    "maillog_file_rotate_suffix",
};

constexpr std::span<const std::string_view> kPostfixModules[] = {
    kGlobalConfigParams,  kGlobalMailQueueDirsParams, kGlobalMailTriggerParams,
    kGlobalMaillogParams, kGlobalMasterLockParams,    kTablesParams,
};

constexpr std::string_view kPostlogdParams[] = {
    "maillog_file",
};

constexpr std::span<const std::string_view> kPostlogdModules[] = {
    kGlobalConfigParams,
    kGlobalDaemonParams,
    kGlobalMaillogParams,
    kTablesParams,
};

constexpr std::string_view kPostmapParams[] = {
    "berkeley_db_create_buffer_size",
    "default_database_type",
};

// postalias: postmap's, plus $myhostname for the YP_MASTER_NAME record.
constexpr std::string_view kPostaliasParams[] = {
    "berkeley_db_create_buffer_size",
    "default_database_type",
    "myhostname",
};

constexpr std::span<const std::string_view> kPostmapModules[] = {
    kGlobalConfigParams,
    kGlobalMaillogParams,
    kTablesParams,
};

constexpr std::string_view kPostqueueParams[] = {
    "authorized_flush_users",
    "authorized_mailq_users",
    "daemon_directory",
    "enable_long_queue_ids",
    "import_environment",
    "ipc_timeout",
    "mail_name",
    "mail_owner",
    "pickup_service_name",
    "queue_service_name",
    "showq_service_name",
};

constexpr std::span<const std::string_view> kPostqueueModules[] = {
    kGlobalConfigParams,
    kGlobalDomainListParams,
    kGlobalFlushClientParams,
    kGlobalMailTriggerParams,
    kGlobalMaillogParams,
    kGlobalShowqClientParams,
    kTablesParams,
};

constexpr std::string_view kPostsuperParams[] = {
    "daemon_timeout",
    "queue_directory",
};

constexpr std::span<const std::string_view> kPostsuperModules[] = {
    kGlobalCleanupClientParams,
    kGlobalConfigParams,
    kGlobalMailQueueParams,
    kGlobalMailQueueDirsParams,
    kGlobalMailTriggerParams,
    kGlobalMaillogParams,
    kTablesParams,
};

constexpr std::string_view kProxymapParams[] = {
    "proxy_read_maps",
    "proxy_write_maps",
    "proxywrite_service_name",
};

constexpr std::span<const std::string_view> kProxymapModules[] = {
    kGlobalConfigParams,
    kGlobalDaemonParams,
    kGlobalMaillogParams,
    kTablesParams,
};

constexpr std::string_view kQmgrParams[] = {
    // the local transport's limits are built-in parameters (Postfix lists them)
    "local_destination_concurrency_limit",
    "local_destination_recipient_limit",
    "bounce_queue_lifetime",
    "default_destination_concurrency_failed_cohort_limit",
    "default_destination_concurrency_limit",
    "default_destination_concurrency_negative_feedback",
    "default_destination_concurrency_positive_feedback",
    "default_destination_rate_delay",
    "default_destination_recipient_limit",
    "default_process_limit",
    "defer_transports",
    "delay_warning_time",
    "in_flow_delay",
    "initial_destination_concurrency",
    "maximal_backoff_time",
    "maximal_queue_lifetime",
    "minimal_backoff_time",
    "qmgr_message_active_limit",
    "qmgr_message_recipient_limit",
    "queue_run_delay",
};

constexpr std::span<const std::string_view> kQmgrModules[] = {
    kGlobalBounceClientParams,  kGlobalConfigParams,        kGlobalDaemonParams,
    kGlobalDeliverStatusParams, kGlobalMailQueueParams,     kGlobalMaillogParams,
    kGlobalRewriteParams,       kGlobalRewriteClientParams, kTablesParams,
};

constexpr std::string_view kFlushParams[] = {
    "fast_flush_purge_time",
    "fast_flush_refresh_time",
    "ipc_timeout",
    "queue_service_name",
};

constexpr std::span<const std::string_view> kFlushModules[] = {
    kGlobalConfigParams,     kGlobalDaemonParams,       kGlobalFlushClientParams,
    kGlobalDomainListParams, kGlobalMailQueueParams,    kGlobalMailTriggerParams,
    kGlobalMaillogParams,    kGlobalSingleServerParams, kTablesParams,
};

constexpr std::string_view kSendmailParams[] = {
    "alias_database",   "authorized_submit_users",   "command_directory",
    "daemon_directory", "sendmail_fix_line_endings",
};

constexpr std::span<const std::string_view> kSendmailModules[] = {
    kGlobalConfigParams,  kGlobalDomainListParams,     kGlobalMailQueueParams,
    kGlobalMaillogParams, kGlobalPostdropClientParams, kTablesParams,
};

constexpr std::string_view kShowqParams[] = {
    "empty_address_recipient",
    "ipc_timeout",
};

constexpr std::span<const std::string_view> kShowqModules[] = {
    kGlobalConfigParams,  kGlobalDaemonParams,      kGlobalMailQueueParams,
    kGlobalMaillogParams, kGlobalShowqClientParams, kGlobalSingleServerParams,
    kTablesParams,
};

constexpr std::string_view kSmtpParams[] = {
    "disable_dns_lookups",
    "inet_protocols",
    "myhostname",
    "myorigin",
    "smtp_body_checks",
    "smtp_connect_timeout",
    "smtp_connection_cache_destinations",
    "smtp_connection_cache_on_demand",
    "smtp_connection_cache_time_limit",
    "smtp_connection_reuse_count_limit",
    "smtp_connection_reuse_time_limit",
    "smtp_data_done_timeout",
    "smtp_data_init_timeout",
    "smtp_data_xfer_timeout",
    "smtp_dns_support_level",
    "smtp_enforce_tls",
    "smtp_fallback_relay",
    "smtp_generic_maps",
    "smtp_header_checks",
    "smtp_helo_name",
    "smtp_helo_timeout",
    "smtp_host_lookup",
    "smtp_line_length_limit",
    "smtp_mail_timeout",
    "smtp_mime_header_checks",
    "smtp_mx_address_limit",
    "smtp_mx_session_limit",
    "smtp_nested_header_checks",
    "smtp_never_send_ehlo",
    "smtp_quit_timeout",
    "smtp_rcpt_timeout",
    "smtp_sasl_auth_enable",
    "smtp_sasl_auth_soft_bounce",
    "smtp_sasl_mechanism_filter",
    "smtp_sasl_password_maps",
    "smtp_sasl_security_options",
    "smtp_sasl_tls_security_options",
    "smtp_sasl_tls_verified_security_options",
    "smtp_sasl_type",
    "smtp_send_xforward_command",
    "smtp_sender_dependent_authentication",
    "smtp_skip_5xx_greeting",
    "smtp_skip_quit_response",
    "smtp_starttls_timeout",
    "smtp_tcp_port",
    "smtp_tls_CAfile",
    "smtp_tls_CApath",
    "smtp_tls_cert_file",
    "smtp_tls_ciphers",
    "smtp_tls_eccert_file",
    "smtp_tls_eckey_file",
    "smtp_tls_enforce_peername",
    "smtp_tls_exclude_ciphers",
    "smtp_tls_fingerprint_cert_match",
    "smtp_tls_fingerprint_digest",
    "smtp_tls_key_file",
    "smtp_tls_loglevel",
    "smtp_tls_mandatory_ciphers",
    "smtp_tls_mandatory_exclude_ciphers",
    "smtp_tls_mandatory_protocols",
    "smtp_tls_note_starttls_offer",
    "smtp_tls_policy_maps",
    "smtp_tls_protocols",
    "smtp_tls_scert_verifydepth",
    "smtp_tls_secure_cert_match",
    "smtp_tls_security_level",
    "smtp_tls_servername",
    "smtp_tls_session_cache_database",
    "smtp_tls_session_cache_timeout",
    "smtp_tls_verify_cert_match",
    "smtp_tls_wrappermode",
    "smtp_use_tls",
    "smtp_xforward_timeout",
};

constexpr std::span<const std::string_view> kSmtpModules[] = {
    kGlobalAddrFindParams,     kGlobalScacheClientParams,
    kGlobalBounceClientParams, kGlobalConfigParams,
    kGlobalDaemonParams,       kGlobalDeliverStatusParams,
    kGlobalDomainListParams,   kGlobalMailQueueParams,
    kGlobalMaillogParams,      kGlobalMimeParams,
    kGlobalResolveLocalParams, kGlobalSingleServerParams,
    kGlobalTlsCiphersParams,   kTablesParams,
};

constexpr std::string_view kSmtpdParams[] = {
    "access_map_defer_code",
    "access_map_reject_code",
    "alias_maps",  // through the default local_recipient_maps
    "allow_untrusted_routing",
    "broken_sasl_auth_clients",
    "canonical_maps",
    "content_filter",
    "default_rbl_reply",
    "defer_code",
    "disable_vrfy_command",
    "invalid_hostname_reject_code",
    "line_length_limit",
    "local_header_rewrite_clients",
    "local_recipient_maps",
    "mail_name",
    "maps_rbl_domains",
    "maps_rbl_reject_code",
    "message_size_limit",
    "myhostname",
    "mynetworks",
    "mynetworks_style",
    "non_fqdn_reject_code",
    "parent_domain_matches_subdomains",
    "queue_minfree",
    "rbl_reply_maps",
    "recipient_canonical_maps",
    "reject_code",
    "relay_clientcerts",
    "relay_domains_reject_code",
    "relay_recipient_maps",
    "sender_canonical_maps",
    "service_name",
    "show_user_unknown_table_name",
    "smtpd_authorized_xclient_hosts",
    "smtpd_authorized_xforward_hosts",
    "smtpd_banner",
    "smtpd_client_auth_rate_limit",
    "smtpd_client_connection_count_limit",
    "smtpd_client_connection_rate_limit",
    "smtpd_client_event_limit_exceptions",
    "smtpd_client_message_rate_limit",
    "smtpd_client_port_logging",
    "smtpd_client_recipient_rate_limit",
    "smtpd_client_restrictions",
    "smtpd_data_restrictions",
    "smtpd_delay_open_until_valid_rcpt",
    "smtpd_delay_reject",
    "smtpd_discard_ehlo_keywords",
    "smtpd_end_of_data_restrictions",
    "smtpd_enforce_tls",
    "smtpd_error_sleep_time",
    "smtpd_etrn_restrictions",
    "smtpd_expansion_filter",
    "smtpd_forbid_bare_newline",
    "smtpd_forbid_bare_newline_exclusions",
    "smtpd_forbid_bare_newline_reject_code",
    "smtpd_forbid_unauth_pipelining",
    "smtpd_forbidden_commands",
    "smtpd_hard_error_limit",
    "smtpd_helo_required",
    "smtpd_helo_restrictions",
    "smtpd_junk_command_limit",
    "smtpd_null_access_lookup_key",
    "smtpd_peername_lookup",
    "smtpd_policy_service_default_action",
    "smtpd_policy_service_max_idle",
    "smtpd_policy_service_max_ttl",
    "smtpd_policy_service_policy_context",
    "smtpd_policy_service_request_limit",
    "smtpd_policy_service_retry_delay",
    "smtpd_policy_service_timeout",
    "smtpd_policy_service_try_limit",
    "smtpd_recipient_limit",
    "smtpd_recipient_restrictions",
    "smtpd_reject_unlisted_recipient",
    "smtpd_reject_unlisted_sender",
    "smtpd_relay_before_recipient_restrictions",
    "smtpd_relay_restrictions",
    "smtpd_restriction_classes",
    "smtpd_sasl_auth_enable",
    "smtpd_sasl_authenticated_header",
    "smtpd_sasl_exceptions_networks",
    "smtpd_sasl_local_domain",
    "smtpd_sasl_path",
    "smtpd_sasl_response_limit",
    "smtpd_sasl_security_options",
    "smtpd_sasl_service",
    "smtpd_sasl_tls_security_options",
    "smtpd_sasl_type",
    "smtpd_sender_login_maps",
    "smtpd_sender_restrictions",
    "smtpd_soft_error_limit",
    "smtpd_starttls_timeout",
    "smtpd_timeout",
    "smtpd_tls_CAfile",
    "smtpd_tls_CApath",
    "smtpd_tls_ask_ccert",
    "smtpd_tls_auth_only",
    "smtpd_tls_ccert_verifydepth",
    "smtpd_tls_cert_file",
    "smtpd_tls_chain_files",
    "smtpd_tls_ciphers",
    "smtpd_tls_dh1024_param_file",
    "smtpd_tls_eccert_file",
    "smtpd_tls_eckey_file",
    "smtpd_tls_exclude_ciphers",
    "smtpd_tls_fingerprint_digest",
    "smtpd_tls_key_file",
    "smtpd_tls_loglevel",
    "smtpd_tls_mandatory_ciphers",
    "smtpd_tls_mandatory_exclude_ciphers",
    "smtpd_tls_mandatory_protocols",
    "smtpd_tls_protocols",
    "smtpd_tls_received_header",
    "smtpd_tls_req_ccert",
    "smtpd_tls_security_level",
    "smtpd_tls_wrappermode",
    "smtpd_use_tls",
    "smtputf8_enable",
    "soft_bounce",
    "tls_preempt_cipherlist",
    "unknown_address_reject_code",
    "unknown_address_tempfail_action",
    "unknown_client_reject_code",
    "unknown_helo_hostname_tempfail_action",
    "unknown_hostname_reject_code",
    "unknown_local_recipient_reject_code",
    "unknown_relay_recipient_reject_code",
    "unknown_virtual_alias_reject_code",
    "unknown_virtual_mailbox_reject_code",
    "virtual_alias_maps",
    "virtual_mailbox_maps",
};

constexpr std::span<const std::string_view> kSmtpdModules[] = {
    kGlobalAddrFindParams,      kGlobalAddrListParams,
    kGlobalAnvilClientParams,   kGlobalCleanupClientParams,
    kGlobalConfigParams,        kGlobalDaemonParams,
    kGlobalDomainListParams,    kGlobalFlushClientParams,
    kGlobalMailQueueParams,     kGlobalMailTriggerParams,
    kGlobalMaillogParams,       kGlobalPostdropClientParams,
    kGlobalResolveLocalParams,  kGlobalRewriteParams,
    kGlobalRewriteClientParams, kGlobalShowqClientParams,
    kGlobalSingleServerParams,  kGlobalTlsCiphersParams,
    kGlobalTlsmgrClientParams,  kTablesParams,
};

constexpr std::string_view kTlsmgrParams[] = {
    "smtpd_tls_session_cache_database",
};

constexpr std::span<const std::string_view> kTlsmgrModules[] = {
    kGlobalConfigParams,       kGlobalDaemonParams, kGlobalMaillogParams,
    kGlobalTlsmgrClientParams, kTablesParams,
};

constexpr std::string_view kTrivialRewriteParams[] = {
    "default_transport",
    "empty_address_default_transport_maps_lookup_key",
    "empty_address_recipient",
    "empty_address_relayhost_maps_lookup_key",
    "helpful_warnings",
    "local_transport",
    "mydestination",
    "myhostname",
    "relay_domains",
    "relay_transport",
    "relayhost",
    "relocated_maps",
    "resolve_null_domain",
    "resolve_numeric_domain",
    "sender_dependent_default_transport_maps",
    "sender_dependent_relayhost_maps",
    "show_user_unknown_table_name",
    "smtputf8_enable",
    "transport_maps",
    "virtual_alias_domains",
    "virtual_mailbox_domains",
    "virtual_transport",
};

constexpr std::span<const std::string_view> kTrivialRewriteModules[] = {
    kGlobalAddrFindParams, kGlobalConfigParams,       kGlobalDaemonParams,  kGlobalDomainListParams,
    kGlobalMaillogParams,  kGlobalResolveLocalParams, kGlobalRewriteParams, kTablesParams,
};

// The lmtp program is the smtp program under another name
// (smtp/lmtp_params.h): it reads the lmtp_* twins of smtp's parameters and
// puts each value into the smtp_* slot that the smtp code then reads.
constexpr std::string_view kLmtpParams[] = {
    "lmtp_body_checks",
    "lmtp_connect_timeout",
    "lmtp_connection_cache_destinations",
    "lmtp_connection_cache_on_demand",
    "lmtp_connection_cache_time_limit",
    "lmtp_connection_reuse_count_limit",
    "lmtp_connection_reuse_time_limit",
    "lmtp_data_done_timeout",
    "lmtp_data_init_timeout",
    "lmtp_data_xfer_timeout",
    "lmtp_dns_support_level",
    "lmtp_enforce_tls",
    "lmtp_fallback_relay",
    "lmtp_generic_maps",
    "lmtp_header_checks",
    "lmtp_host_lookup",
    "lmtp_lhlo_name",
    "lmtp_lhlo_timeout",
    "lmtp_line_length_limit",
    "lmtp_mail_timeout",
    "lmtp_mime_header_checks",
    "lmtp_mx_address_limit",
    "lmtp_mx_session_limit",
    "lmtp_nested_header_checks",
    "lmtp_quit_timeout",
    "lmtp_rcpt_timeout",
    "lmtp_sasl_auth_enable",
    "lmtp_sasl_auth_soft_bounce",
    "lmtp_sasl_mechanism_filter",
    "lmtp_sasl_password_maps",
    "lmtp_sasl_security_options",
    "lmtp_sasl_tls_security_options",
    "lmtp_sasl_tls_verified_security_options",
    "lmtp_sasl_type",
    "lmtp_send_xforward_command",
    "lmtp_sender_dependent_authentication",
    "lmtp_skip_5xx_greeting",
    "lmtp_skip_quit_response",
    "lmtp_starttls_timeout",
    "lmtp_tcp_port",
    "lmtp_tls_CAfile",
    "lmtp_tls_CApath",
    "lmtp_tls_cert_file",
    "lmtp_tls_ciphers",
    "lmtp_tls_eccert_file",
    "lmtp_tls_eckey_file",
    "lmtp_tls_enforce_peername",
    "lmtp_tls_exclude_ciphers",
    "lmtp_tls_fingerprint_cert_match",
    "lmtp_tls_fingerprint_digest",
    "lmtp_tls_key_file",
    "lmtp_tls_loglevel",
    "lmtp_tls_mandatory_ciphers",
    "lmtp_tls_mandatory_exclude_ciphers",
    "lmtp_tls_mandatory_protocols",
    "lmtp_tls_note_starttls_offer",
    "lmtp_tls_policy_maps",
    "lmtp_tls_protocols",
    "lmtp_tls_scert_verifydepth",
    "lmtp_tls_secure_cert_match",
    "lmtp_tls_security_level",
    "lmtp_tls_servername",
    "lmtp_tls_session_cache_database",
    "lmtp_tls_session_cache_timeout",
    "lmtp_tls_verify_cert_match",
    "lmtp_tls_wrappermode",
    "lmtp_use_tls",
    "lmtp_xforward_timeout",
};

constexpr std::string_view kLocalParams[] = {
    "alias_maps",
    "allow_mail_to_commands",
    "allow_mail_to_files",
    "command_execution_directory",
    "command_expansion_filter",
    "command_time_limit",
    "default_privs",
    "deliver_lock_attempts",
    "deliver_lock_delay",
    "expand_owner_alias",
    "export_environment",
    "fallback_transport",
    "fallback_transport_maps",
    "forward_path",
    "home_mailbox",
    "local_command_shell",
    "luser_relay",
    "mail_spool_directory",
    "mailbox_command",
    "mailbox_command_maps",
    "mailbox_delivery_lock",
    "mailbox_size_limit",
    "mailbox_transport",
    "mailbox_transport_maps",
    "myhostname",
    "myorigin",
    "owner_request_special",
    "prepend_delivered_header",
    "propagate_unmatched_extensions",
    "recipient_delimiter",
    "stale_lock_time",
};

constexpr std::span<const std::string_view> kLocalModules[] = {
    kGlobalAddrFindParams,     kGlobalBounceClientParams, kGlobalCleanupClientParams,
    kGlobalConfigParams,       kGlobalDaemonParams,       kGlobalDeliverStatusParams,
    kGlobalDomainListParams,   kGlobalMailQueueParams,    kGlobalMaillogParams,
    kGlobalResolveLocalParams, kGlobalSingleServerParams, kTablesParams,
};

constexpr std::string_view kVirtualParams[] = {
    "deliver_lock_attempts",
    "deliver_lock_delay",
    "stale_lock_time",
    "virtual_create_maildirsize",
    "virtual_gid_maps",
    "virtual_mailbox_base",
    "virtual_mailbox_extended",
    "virtual_mailbox_limit",
    "virtual_mailbox_limit_maps",
    "virtual_mailbox_limit_override",
    "virtual_mailbox_lock",
    "virtual_mailbox_maps",
    "virtual_maildir_limit_message",
    "virtual_minimum_uid",
    "virtual_overquota_bounce",
    "virtual_uid_maps",
};

constexpr std::span<const std::string_view> kVirtualModules[] = {
    kGlobalAddrFindParams, kGlobalBounceClientParams,  kGlobalConfigParams,
    kGlobalDaemonParams,   kGlobalDeliverStatusParams, kGlobalMailQueueParams,
    kGlobalMaillogParams,  kGlobalSingleServerParams,  kTablesParams,
};

constexpr Program kPrograms[] = {
    {"anvil", kAnvilParams, kAnvilModules},
    {"bounce", kBounceParams, kBounceModules},
    {"cleanup", kCleanupParams, kCleanupModules},
    {"discard", {}, kDiscardModules},
    {"error", {}, kErrorModules},
    {"flush", kFlushParams, kFlushModules},
    {"lmtp", kLmtpParams, {}, "smtp"},
    {"local", kLocalParams, kLocalModules},
    {"master", kMasterParams, kMasterModules},
    {"pickup", kPickupParams, kPickupModules},
    {"postconf", kPostconfParams, kPostconfModules},
    {"postalias", kPostaliasParams, kPostmapModules},
    {"postdrop", kPostdropParams, kPostdropModules},
    {"postfix", kPostfixParams, kPostfixModules},
    {"postlogd", kPostlogdParams, kPostlogdModules},
    {"postmap", kPostmapParams, kPostmapModules},
    {"postqueue", kPostqueueParams, kPostqueueModules},
    {"postsuper", kPostsuperParams, kPostsuperModules},
    {"proxymap", kProxymapParams, kProxymapModules},
    {"qmgr", kQmgrParams, kQmgrModules},
    {"scache", kScacheParams, kScacheModules},
    {"sendmail", kSendmailParams, kSendmailModules},
    {"showq", kShowqParams, kShowqModules},
    {"smtp", kSmtpParams, kSmtpModules},
    {"smtpd", kSmtpdParams, kSmtpdModules},
    {"tlsmgr", kTlsmgrParams, kTlsmgrModules},
    {"trivial-rewrite", kTrivialRewriteParams, kTrivialRewriteModules},
    {"virtual", kVirtualParams, kVirtualModules},
};

// ---------------------------------------------------------------------------
// Postfix parameters this system does not implement (yet). Each issue that
// implements one moves it into a declaration above.
constexpr std::string_view kUnimplemented[] = {
    "address_verify_cache_cleanup_interval",
    "address_verify_default_transport",
    "address_verify_local_transport",
    "address_verify_map",
    "address_verify_negative_cache",
    "address_verify_negative_expire_time",
    "address_verify_negative_refresh_time",
    "address_verify_pending_request_limit",
    "address_verify_poll_count",
    "address_verify_poll_delay",
    "address_verify_positive_expire_time",
    "address_verify_positive_refresh_time",
    "address_verify_relay_transport",
    "address_verify_relayhost",
    "address_verify_sender",
    "address_verify_sender_dependent_default_transport_maps",
    "address_verify_sender_dependent_relayhost_maps",
    "address_verify_sender_ttl",
    "address_verify_service_name",
    "address_verify_transport_maps",
    "address_verify_virtual_transport",
    "allow_min_user",
    "application_event_drain_time",
    "backwards_bounce_logfile_compatibility",
    "best_mx_transport",
    "biff",
    "bounce_notice_recipient",
    "bounce_template_file",
    "cleanup_replace_stray_cr_lf",
    "confirm_delay_cleared",
    "cyrus_sasl_config_path",
    "daemon_table_open_error_is_fatal",
    "debug_peer_level",
    "debug_peer_list",
    "debugger_command",
    "default_delivery_slot_cost",
    "default_delivery_slot_discount",
    "default_delivery_slot_loan",
    "default_delivery_status_filter",
    "default_extra_recipient_limit",
    "default_filter_nexthop",
    "default_minimum_delivery_slots",
    "default_recipient_limit",
    "default_recipient_refill_delay",
    "default_recipient_refill_limit",
    "default_transport_rate_delay",
    "default_verp_delimiters",
    "delay_logging_resolution_limit",
    "delay_notice_recipient",
    "destination_concurrency_feedback_debug",
    "detect_8bit_encoding_header",
    "disable_mime_output_conversion",
    "disable_verp_bounces",
    "dns_ncache_ttl_fix_enable",
    "dnsblog_reply_delay",
    "dnsblog_service_name",
    "dnssec_probe",
    "dont_remove",
    "empty_address_local_login_sender_maps_lookup_key",
    "enable_idna2003_compatibility",
    "enable_threaded_bounces",
    "error_notice_recipient",
    "error_service_name",
    "execution_directory_expansion_filter",
    "fault_injection_code",
    "fork_attempts",
    "fork_delay",
    "forward_expansion_filter",
    "frozen_delivered_to",
    "header_address_token_limit",
    "ignore_mx_lookup_error",
    "info_log_address_format",
    "internal_mail_filter_classes",
    "ipc_idle",
    "ipc_ttl",
    "known_tcp_ports",
    "lmtp_address_preference",
    "lmtp_address_verify_target",
    "lmtp_assume_final",
    "lmtp_balance_inet_protocols",
    "lmtp_bind_address",
    "lmtp_bind_address6",
    "lmtp_bind_address_enforce",
    "lmtp_cname_overrides_servername",
    "lmtp_defer_if_no_mx_address_found",
    "lmtp_delivery_status_filter",
    "lmtp_discard_lhlo_keyword_address_maps",
    "lmtp_discard_lhlo_keywords",
    "lmtp_dns_reply_filter",
    "lmtp_dns_resolver_options",
    "lmtp_min_data_rate",
    "lmtp_per_request_deadline",
    "lmtp_pix_workaround_delay_time",
    "lmtp_pix_workaround_maps",
    "lmtp_pix_workaround_threshold_time",
    "lmtp_pix_workarounds",
    "lmtp_quote_rfc821_envelope",
    "lmtp_randomize_addresses",
    "lmtp_reply_filter",
    "lmtp_rset_timeout",
    "lmtp_sasl_auth_cache_name",
    "lmtp_sasl_auth_cache_time",
    "lmtp_sasl_path",
    "lmtp_send_dummy_mail_auth",
    "lmtp_tls_block_early_mail_reply",
    "lmtp_tls_chain_files",
    "lmtp_tls_connection_reuse",
    "lmtp_tls_dcert_file",
    "lmtp_tls_dkey_file",
    "lmtp_tls_force_insecure_host_tlsa_lookup",
    "lmtp_tls_per_site",
    "lmtp_tls_trust_anchor_file",
    "local_delivery_status_filter",
    "local_login_sender_maps",
    "master_service_disable",
    "message_reject_characters",
    "message_strip_characters",
    "milter_command_timeout",
    "milter_connect_macros",
    "milter_connect_timeout",
    "milter_content_timeout",
    "milter_data_macros",
    "milter_default_action",
    "milter_end_of_data_macros",
    "milter_end_of_header_macros",
    "milter_header_checks",
    "milter_helo_macros",
    "milter_macro_daemon_name",
    "milter_macro_defaults",
    "milter_macro_v",
    "milter_mail_macros",
    "milter_protocol",
    "milter_rcpt_macros",
    "milter_unknown_command_macros",
    "multi_instance_enable",
    "multi_instance_group",
    "multi_instance_name",
    "multi_instance_wrapper",
    "multi_recipient_bounce_reject_code",
    "non_smtpd_milters",
    "openssl_path",
    "permit_mx_backup_networks",
    "pipe_delivery_status_filter",
    "plaintext_reject_code",
    "postlogd_watchdog_timeout",
    "postmulti_control_commands",
    "postmulti_start_commands",
    "postmulti_stop_commands",
    "postscreen_access_list",
    "postscreen_allowlist_interfaces",
    "postscreen_bare_newline_action",
    "postscreen_bare_newline_enable",
    "postscreen_bare_newline_ttl",
    "postscreen_cache_cleanup_interval",
    "postscreen_cache_map",
    "postscreen_cache_retention_time",
    "postscreen_client_connection_count_limit",
    "postscreen_command_count_limit",
    "postscreen_command_filter",
    "postscreen_command_time_limit",
    "postscreen_denylist_action",
    "postscreen_disable_vrfy_command",
    "postscreen_discard_ehlo_keyword_address_maps",
    "postscreen_discard_ehlo_keywords",
    "postscreen_dnsbl_action",
    "postscreen_dnsbl_allowlist_threshold",
    "postscreen_dnsbl_max_ttl",
    "postscreen_dnsbl_min_ttl",
    "postscreen_dnsbl_reply_map",
    "postscreen_dnsbl_sites",
    "postscreen_dnsbl_threshold",
    "postscreen_dnsbl_timeout",
    "postscreen_enforce_tls",
    "postscreen_expansion_filter",
    "postscreen_forbidden_commands",
    "postscreen_greet_action",
    "postscreen_greet_banner",
    "postscreen_greet_ttl",
    "postscreen_greet_wait",
    "postscreen_helo_required",
    "postscreen_non_smtp_command_action",
    "postscreen_non_smtp_command_enable",
    "postscreen_non_smtp_command_ttl",
    "postscreen_pipelining_action",
    "postscreen_pipelining_enable",
    "postscreen_pipelining_ttl",
    "postscreen_post_queue_limit",
    "postscreen_pre_queue_limit",
    "postscreen_reject_footer",
    "postscreen_reject_footer_maps",
    "postscreen_tls_security_level",
    "postscreen_upstream_proxy_protocol",
    "postscreen_upstream_proxy_timeout",
    "postscreen_use_tls",
    "postscreen_watchdog_timeout",
    "process_id",
    "qmgr_clog_warn_time",
    "qmgr_daemon_timeout",
    "qmgr_fudge_factor",
    "qmgr_message_recipient_minimum",
    "qmqpd_authorized_clients",
    "qmqpd_client_port_logging",
    "qmqpd_error_delay",
    "qmqpd_timeout",
    "reject_tempfail_action",
    "require_home_directory",
    "reset_owner_alias",
    "resolve_dequoted_address",
    "respectful_logging",
    "send_cyrus_sasl_authzid",
    "smtp_address_preference",
    "smtp_address_verify_target",
    "smtp_always_send_ehlo",
    "smtp_balance_inet_protocols",
    "smtp_bind_address",
    "smtp_bind_address6",
    "smtp_bind_address_enforce",
    "smtp_cname_overrides_servername",
    "smtp_defer_if_no_mx_address_found",
    "smtp_delivery_status_filter",
    "smtp_discard_ehlo_keyword_address_maps",
    "smtp_discard_ehlo_keywords",
    "smtp_dns_reply_filter",
    "smtp_dns_resolver_options",
    "smtp_min_data_rate",
    "smtp_per_request_deadline",
    "smtp_pix_workaround_delay_time",
    "smtp_pix_workaround_maps",
    "smtp_pix_workaround_threshold_time",
    "smtp_pix_workarounds",
    "smtp_quote_rfc821_envelope",
    "smtp_randomize_addresses",
    "smtp_reply_filter",
    "smtp_rset_timeout",
    "smtp_sasl_auth_cache_name",
    "smtp_sasl_auth_cache_time",
    "smtp_sasl_path",
    "smtp_send_dummy_mail_auth",
    "smtp_tls_block_early_mail_reply",
    "smtp_tls_chain_files",
    "smtp_tls_connection_reuse",
    "smtp_tls_dane_insecure_mx_policy",
    "smtp_tls_dcert_file",
    "smtp_tls_dkey_file",
    "smtp_tls_force_insecure_host_tlsa_lookup",
    "smtp_tls_per_site",
    "smtp_tls_trust_anchor_file",
    "smtpd_authorized_verp_clients",
    "smtpd_client_new_tls_session_rate_limit",
    "smtpd_command_filter",
    "smtpd_discard_ehlo_keyword_address_maps",
    "smtpd_dns_reply_filter",
    "smtpd_history_flush_threshold",
    "smtpd_log_access_permit_actions",
    "smtpd_milter_maps",
    "smtpd_milters",
    "smtpd_min_data_rate",
    "smtpd_noop_commands",
    "smtpd_per_request_deadline",
    "smtpd_proxy_ehlo",
    "smtpd_proxy_filter",
    "smtpd_proxy_options",
    "smtpd_proxy_timeout",
    "smtpd_recipient_overshoot_limit",
    "smtpd_reject_footer",
    "smtpd_reject_footer_maps",
    "smtpd_sasl_mechanism_filter",
    "smtpd_service_name",
    "smtpd_tls_always_issue_session_ids",
    "smtpd_tls_dcert_file",
    "smtpd_tls_dh512_param_file",
    "smtpd_tls_dkey_file",
    "smtpd_tls_eecdh_grade",
    "smtpd_upstream_proxy_protocol",
    "smtpd_upstream_proxy_timeout",
    "smtputf8_autodetect_classes",
    "stress",
    "strict_7bit_headers",
    "strict_8bitmime",
    "strict_8bitmime_body",
    "strict_mailbox_ownership",
    "strict_mime_encoding_domain",
    "strict_rfc821_envelopes",
    "strict_smtputf8",
    "sun_mailtool_compatibility",
    "syslog_facility",
    "tcp_windowsize",
    "tls_append_default_CA",
    "tls_config_file",
    "tls_config_name",
    "tls_daemon_random_bytes",
    "tls_dane_digests",
    "tls_disable_workarounds",
    "tls_eecdh_auto_curves",
    "tls_eecdh_strong_curve",
    "tls_eecdh_ultra_curve",
    "tls_fast_shutdown_enable",
    "tls_legacy_public_key_fingerprints",
    "tls_random_bytes",
    "tls_random_exchange_name",
    "tls_random_prng_update_period",
    "tls_random_reseed_period",
    "tls_random_source",
    "tls_server_sni_maps",
    "tls_session_ticket_cipher",
    "tls_ssl_options",
    "tls_wildcard_matches_multiple_labels",
    "tlsproxy_client_CAfile",
    "tlsproxy_client_CApath",
    "tlsproxy_client_cert_file",
    "tlsproxy_client_chain_files",
    "tlsproxy_client_dcert_file",
    "tlsproxy_client_dkey_file",
    "tlsproxy_client_eccert_file",
    "tlsproxy_client_eckey_file",
    "tlsproxy_client_enforce_tls",
    "tlsproxy_client_fingerprint_digest",
    "tlsproxy_client_key_file",
    "tlsproxy_client_loglevel",
    "tlsproxy_client_loglevel_parameter",
    "tlsproxy_client_per_site",
    "tlsproxy_client_policy_maps",
    "tlsproxy_client_scert_verifydepth",
    "tlsproxy_client_security_level",
    "tlsproxy_client_use_tls",
    "tlsproxy_enforce_tls",
    "tlsproxy_service_name",
    "tlsproxy_tls_CAfile",
    "tlsproxy_tls_CApath",
    "tlsproxy_tls_always_issue_session_ids",
    "tlsproxy_tls_ask_ccert",
    "tlsproxy_tls_ccert_verifydepth",
    "tlsproxy_tls_cert_file",
    "tlsproxy_tls_chain_files",
    "tlsproxy_tls_ciphers",
    "tlsproxy_tls_dcert_file",
    "tlsproxy_tls_dh1024_param_file",
    "tlsproxy_tls_dh512_param_file",
    "tlsproxy_tls_dkey_file",
    "tlsproxy_tls_eccert_file",
    "tlsproxy_tls_eckey_file",
    "tlsproxy_tls_eecdh_grade",
    "tlsproxy_tls_exclude_ciphers",
    "tlsproxy_tls_fingerprint_digest",
    "tlsproxy_tls_key_file",
    "tlsproxy_tls_loglevel",
    "tlsproxy_tls_mandatory_ciphers",
    "tlsproxy_tls_mandatory_exclude_ciphers",
    "tlsproxy_tls_mandatory_protocols",
    "tlsproxy_tls_protocols",
    "tlsproxy_tls_req_ccert",
    "tlsproxy_tls_security_level",
    "tlsproxy_use_tls",
    "tlsproxy_watchdog_timeout",
    "transport_retry_time",
    "unverified_recipient_defer_code",
    "unverified_recipient_reject_code",
    "unverified_recipient_reject_reason",
    "unverified_recipient_tempfail_action",
    "unverified_sender_defer_code",
    "unverified_sender_reject_code",
    "unverified_sender_reject_reason",
    "unverified_sender_tempfail_action",
    "verp_delimiter_filter",
    "virtual_delivery_status_filter",
};

// Parameters that only describe a Postfix installation: Postfix itself
// uses them only in postfix-install/post-install, never at run time.
constexpr std::string_view kInstallationOnly[] = {
    "html_directory", "mail_release_date", "mailq_path",       "manpage_directory",
    "meta_directory", "newaliases_path",   "readme_directory", "sample_directory",
    "sendmail_path",  "shlib_directory",
};

// Settings of unimplemented parameters that describe what this system does
// anyway: honoured, so not warned about.
struct Honoured {
  std::string_view name;
  std::string_view value;  // compared without case
};
constexpr Honoured kHonoured[] = {
    {"biff", "no"},
    {"smtp_use_tls", "no"},
    {"smtp_enforce_tls", "no"},
    {"smtp_tls_security_level", "none"},
    {"smtp_tls_wrappermode", "no"},
    {"smtp_sasl_auth_enable", "no"},
    {"disable_mime_output_conversion", "yes"},
};

bool Sorted(std::span<const std::string_view> names) {
  return std::is_sorted(names.begin(), names.end());
}

bool In(std::span<const std::string_view> names, std::string_view name) {
  return std::binary_search(names.begin(), names.end(), name);
}

std::string Setting(std::string_view where, std::string_view name) {
  return util::StrFormat(
      "%.*s: parameter %.*s is not implemented by this mail system; its "
      "setting is ignored",
      static_cast<int>(where.size()), where.data(), static_cast<int>(name.size()), name.data());
}

// The expanded value of a parameter this system does not implement: read
// here only to warn or refuse, so not through Get(), which would count it
// as a read the program must declare.
std::string Value(const config::Config& cfg, std::string_view name) {
  std::optional<std::string> raw = cfg.Raw(name);
  if (!raw) return {};
  util::StatusOr<std::string> v = cfg.Expand(*raw);
  return v.ok() ? *v : *raw;
}

}  // namespace

std::span<const Program> Programs() { return kPrograms; }

const Program* FindProgram(std::string_view program) {
  if (program == "mailq" || program == "newaliases") program = "sendmail";
  for (const Program& p : kPrograms)
    if (p.name == program) return &p;
  return nullptr;
}

std::vector<std::string_view> Declared(std::string_view program) {
  std::vector<std::string_view> out;
  const Program* p = FindProgram(program);
  if (p == nullptr) return out;
  out.assign(p->params.begin(), p->params.end());
  for (std::span<const std::string_view> m : p->modules) out.insert(out.end(), m.begin(), m.end());
  if (!p->reads_as.empty()) {
    std::vector<std::string_view> more = Declared(p->reads_as);
    out.insert(out.end(), more.begin(), more.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool Implemented(std::string_view name) {
  for (const Program& p : kPrograms) {
    if (std::find(p.params.begin(), p.params.end(), name) != p.params.end()) return true;
    for (std::span<const std::string_view> m : p.modules)
      if (std::find(m.begin(), m.end(), name) != m.end()) return true;
  }
  return false;
}

std::span<const std::string_view> Unimplemented() {
  static const bool sorted = Sorted(kUnimplemented) && Sorted(kInstallationOnly);
  (void)sorted;
  return kUnimplemented;
}

bool IsUnimplemented(std::string_view name) { return In(kUnimplemented, name); }

bool InstallationOnly(std::string_view name) { return In(kInstallationOnly, name); }

bool HonouredAs(std::string_view name, std::string_view expanded) {
  std::string_view v = util::Trim(expanded);
  for (const Honoured& h : kHonoured)
    if (h.name == name && util::EqualsIgnoreCase(h.value, v)) return true;
  // Nothing configured where Postfix's default configures nothing either
  // (alias_maps =, header_checks =, smtpd_milters =, content_filter =).
  if (v.empty()) {
    std::optional<std::string> d = params::Default(name);
    return d && util::Trim(*d).empty();
  }
  return false;
}

std::vector<std::string> UnimplementedSettings(const config::Config& cfg, bool master_cf) {
  std::vector<std::string> out;
  std::string main_cf = cfg.config_dir() + "/main.cf";
  for (const util::CfEntry& e : cfg.main_cf().entries()) {
    if (!IsUnimplemented(e.name)) continue;
    auto v = cfg.Expand(e.value);
    if (v.ok() && HonouredAs(e.name, *v)) continue;
    out.push_back(Setting(main_cf, e.name));
  }
  if (!master_cf) return out;
  std::string master = cfg.config_dir() + "/master.cf";
  for (const config::MasterEntry& s : cfg.master_cf().entries()) {
    for (const auto& [name, value] : s.overrides) {
      if (!IsUnimplemented(name)) continue;
      auto v = cfg.Expand(value);
      if (v.ok() && HonouredAs(name, *v)) continue;
      out.push_back(Setting(
          util::StrFormat("%s: line %d: service %s", master.c_str(), s.line, s.key().c_str()),
          name));
    }
  }
  return out;
}

std::vector<std::string> UnimplementedOverrides(const config::Config& cfg,
                                                const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (!IsUnimplemented(name) || HonouredAs(name, Value(cfg, name))) continue;
    out.push_back(Setting("-o " + name, name));
  }
  return out;
}

namespace {

std::optional<std::string> Refuse(std::string_view setting, std::string_view what) {
  return std::string(setting) + ": " + std::string(what) +
         " is not implemented by this mail system";
}

}  // namespace

bool ChrootWanted(const config::Config& cfg, const config::MasterEntry& e) {
  if (e.chroot_field == "y") return true;
  if (e.chroot_field != "-") return false;
  std::optional<std::string> level = cfg.Raw("compatibility_level");
  return level && params::ValidCompatibilityLevel(*level) &&
         params::CompatibilityDefault("append_dot_mydomain", *level).has_value();  // below 1
}

std::vector<std::string> CompatibilityNotes(const config::Config& cfg,
                                            std::vector<std::string>* warnings) {
  std::vector<std::string> out;
  std::optional<std::string> raw = cfg.Raw("compatibility_level");
  std::string level = raw ? Value(cfg, "compatibility_level") : std::string();
  if (!params::ValidCompatibilityLevel(level)) {
    warnings->push_back("bad compatibility_level value: \"" + level +
                        "\"; using the current level's defaults");
    return out;
  }
  for (const auto& [name, value] : params::CompatibilityDefaults(level)) {
    if (cfg.IsExplicit(name)) continue;
    out.push_back(util::StrFormat("using backwards-compatible default setting %.*s=%.*s",
                                  static_cast<int>(name.size()), name.data(),
                                  static_cast<int>(value.size()), value.data()));
  }
  return out;
}

std::optional<std::string> Refusal(const config::Config& cfg, std::string_view program) {
  auto refuse = Refuse;
  if (program == "smtpd") {
    // Dovecot's protocol is implemented; Cyrus SASL is not.
    if (util::EqualsIgnoreCase(util::Trim(Value(cfg, "smtpd_sasl_auth_enable")), "yes")) {
      std::string type(util::Trim(Value(cfg, "smtpd_sasl_type")));
      if (type.empty()) type = "cyrus";
      if (type != "dovecot")
        return refuse("smtpd_sasl_auth_enable with smtpd_sasl_type = " + type,
                      "SASL authentication other than Dovecot's");
    }
    if (!util::Trim(Value(cfg, "smtpd_milters")).empty())
      return refuse("smtpd_milters", "the milter protocol");
    if (!util::Trim(Value(cfg, "smtpd_proxy_filter")).empty())
      return refuse("smtpd_proxy_filter", "a before-queue content filter");
  } else if (program == "cleanup") {
    if (!util::Trim(Value(cfg, "non_smtpd_milters")).empty())
      return refuse("non_smtpd_milters", "the milter protocol");
  }
  return std::nullopt;
}

std::optional<std::string> ClientRefusal(const config::Config& cfg, std::string_view program) {
  // The legacy per-site table could demand TLS for a destination; ignoring
  // it would send that mail in plain text.
  const std::string p = program == "lmtp" ? "lmtp" : "smtp";
  if (!util::Trim(Value(cfg, p + "_tls_per_site")).empty())
    return Refuse(p + "_tls_per_site", "TLS per-site policy (use " + p + "_tls_policy_maps)");
  return std::nullopt;
}

}  // namespace param_usage
