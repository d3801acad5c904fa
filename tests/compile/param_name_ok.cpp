// Compiles: literal names that are built-in parameters, read with getters
// that fit their types (the control for the two files beside it).
#include "global/config.h"

long long Read(const config::Config& cfg) {
  return cfg.GetTime("smtpd_timeout") + cfg.GetInt("message_size_limit") +
         (cfg.GetBool("smtputf8_enable") ? 1 : 0) +
         static_cast<long long>(cfg.Get("myhostname").size());
}
