// mail_date: the RFC 5322 date as Postfix writes it in Date:, Received:,
// Arrival-Date: and the like (Postfix's mail_date()): local time, the day
// of the month padded with a space, the numeric offset, the zone name.
//
//   MailDate(1700000000) == "Tue, 14 Nov 2023 23:13:20 +0100 (CET)"
//   MailDate(1796593339) == "Sun,  6 Dec 2026 21:42:19 +0000 (UTC)"
#pragma once

#include <ctime>
#include <string>

namespace mail_date {

std::string MailDate(time_t when);

}  // namespace mail_date
