#include "global/mail_date.h"

#include <cstdio>

namespace mail_date {

std::string MailDate(time_t when) {
  struct tm lt;
  localtime_r(&when, &lt);
  // The offset is computed from tm_gmtoff rather than taken from %z, as
  // Postfix does: some C libraries print %z wrongly.
  long off = lt.tm_gmtoff / 60;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char head[64];
  strftime(head, sizeof(head), "%a, %e %b %Y %H:%M:%S", &lt);
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%s %c%02ld%02ld (%s)", head, sign, off / 60, off % 60,
                lt.tm_zone ? lt.tm_zone : "UTC");
  return buf;
}

}  // namespace mail_date
