// Case numbers: the configured prefix and the case id, zero-padded ("CS0000042"). The
// one place that writes and reads them; the store numbers new cases with format() and
// the threading reads subject tags with parse(). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/model.h"

namespace mailcase::domain::case_number {

// prefix + id padded with zeros to `digits`; an id longer than `digits` keeps all of
// its digits. format("CS", 7, 42) == "CS0000042".
std::string format(std::string_view prefix, int digits, Id id);

// The id that `text` names: the prefix (ASCII case-insensitive) then 1 to 18 decimal
// digits and nothing else, naming an id above zero. Any padding is accepted:
// parse("CS", "cs42") == parse("CS", "CS0000042") == 42. nullopt for anything else.
std::optional<Id> parse(std::string_view prefix, std::string_view text);

}  // namespace mailcase::domain::case_number
