// What each recorded event says to an agent reading a case's history or the
// administration's log: a short phrase per action, and the details worth showing. Pure.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/model.h"

namespace mailcase::console {

// "assigned the case", "a mail bounced"…: what happened, said after who did it.
const char* event_phrase(store::EventAction a);

// The event's details as (label, value) pairs in a stable order: the keys written by the
// service that recorded it, each under a label a person reads ("owner" → "Owner"), empty
// values left out.
std::vector<std::pair<std::string, std::string>> event_details(const store::Event& e);

}  // namespace mailcase::console
