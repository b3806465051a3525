// One bounded HTTP listener for everything mailcase serves over HTTP (the customer pages,
// the REST API, health and metrics). Each part mounts its routes on it; the server owns
// the socket, the per-request bounds (http_guard.h) and the error answers.
//
// Contracts:
// - Routes are added before listen(); each has a name (its pattern with placeholders,
//   e.g. "/api/v1/cases/{number}") that the observer receives, never the raw path, so
//   that metrics have bounded labels; requests that match no route are "other".
// - An area is a path prefix with its own body limit and error rendering (an HTML page
//   for the customer pages, problem+json for the API). The longest matching prefix
//   wins; the area "" is the default. A body over its area's limit is refused from the
//   request head alone (413), unread.
// - Handlers run on http.workers threads at once: what they borrow must be thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"
#include "web/http_guard.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace mailcase::web {

class HttpServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Fills res for an error status the server answers itself (no route, refused body,
  // a handler that threw); reason is a short user-facing text.
  using ErrorPage = std::function<void(int status, const std::string& reason, httplib::Response& res)>;
  // Called once per answered request: the route's name, its status, and seconds from
  // the request's head being read to its answer being written.
  using Observer = std::function<void(std::string_view route, int status, double seconds)>;

  explicit HttpServer(const HttpLimits& limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // pattern: a cpp-httplib (std::regex) pattern matched against the whole path.
  void get(std::string route, const std::string& pattern, Handler h);
  void post(std::string route, const std::string& pattern, Handler h);
  void patch(std::string route, const std::string& pattern, Handler h);
  void put(std::string route, const std::string& pattern, Handler h);
  void del(std::string route, const std::string& pattern, Handler h);

  // The routes added so far as (method, route name), in the order they were added: what
  // a test compares with the API's OpenAPI document.
  struct RouteInfo {
    std::string method;
    std::string route;
  };
  std::vector<RouteInfo> routes() const;

  // Requests under prefix may carry bodies of up to max_body bytes; errors there are
  // rendered by page. Without any area: limits.max_body_bytes and an HTML page.
  void area(std::string prefix, size_t max_body, ErrorPage page);
  void set_observer(Observer o);

  // Binds; port 0 picks a free one (see bound_port).
  [[nodiscard]] Status listen(const std::string& host, int port);
  int bound_port() const;
  void serve();  // until stop()
  void stop();   // from any thread; serve() returns soon after

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The route name (as given to get/post/...) of the request this thread is answering, from
// a handler of it; null outside one.
const std::string* current_route();

// A page in the customer pages' look; body_html is trusted markup (escape what goes in).
std::string html_page(const std::string& title, const std::string& body_html);
// The HTML error page of the customer pages (and the default area).
void html_error_page(int status, const std::string& reason, httplib::Response& res);

}  // namespace mailcase::web
