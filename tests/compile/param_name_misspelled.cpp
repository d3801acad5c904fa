// Must not compile: "smtpd_timout" is not a built-in parameter.
#include "global/config.h"

long long Read(const config::Config& cfg) { return cfg.GetTime("smtpd_timout"); }
