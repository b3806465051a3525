// GET /api/v1/openapi.json: the API's own description. No token: it holds no data, and
// a client reads it to learn how to ask for one.
#include "api/openapi.h"
#include "api/routes.h"

namespace mailcase::api {

void mount_openapi_route(web::HttpServer& server) {
  server.get("/api/v1/openapi.json", "/api/v1/openapi.json",
             [](const httplib::Request&, httplib::Response& res) {
               res.status = 200;
               res.set_content(std::string(openapi_document()), "application/json");
             });
}

}  // namespace mailcase::api
