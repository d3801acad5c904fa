// Must not compile: smtpd_timeout is a time, not a yes/no parameter.
#include "global/config.h"

bool Read(const config::Config& cfg) { return cfg.GetBool("smtpd_timeout"); }
