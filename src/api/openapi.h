// The OpenAPI 3.1 document of the REST API: src/api/openapi.json, embedded in the binary
// at build time (cmake/embed_text.cmake), so that what is served is what was built and
// no file is read at run time.
#pragma once

#include <string_view>

namespace mailcase::api {

// The document's text, as in src/api/openapi.json. Static storage: valid for the life of
// the program.
std::string_view openapi_document();

}  // namespace mailcase::api
