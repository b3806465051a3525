#include "mail_api/commands.h"

#include <algorithm>
#include <functional>
#include <map>
#include <pugixml.hpp>

#include "store/agents.h"
#include "util/text.h"

namespace mailcase::mail_api {
namespace {

enum class FieldKind { kLine, kText, kEmail, kEmails };

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  bool required;
};

// A command's fields as read: each name's values (only an email list may hold several).
using Fields = std::map<std::string, std::vector<std::string>, std::less<>>;

struct CommandSpec {
  std::string_view element;
  std::vector<FieldSpec> fields;
  std::function<CommandBody(const Fields&)> make;
};

std::string one(const Fields& f, std::string_view name) {
  auto it = f.find(name);
  return it == f.end() || it->second.empty() ? std::string() : it->second.front();
}
std::optional<std::string> maybe(const Fields& f, std::string_view name) {
  auto it = f.find(name);
  if (it == f.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}
std::vector<std::string> all(const Fields& f, std::string_view name) {
  auto it = f.find(name);
  return it == f.end() ? std::vector<std::string>() : it->second;
}

const std::vector<CommandSpec>& specs() {
  using K = FieldKind;
  static const std::vector<CommandSpec> v{
      {"create-case",
       {{"subject", K::kLine, true},
        {"description", K::kText, false},
        {"contact-email", K::kEmail, true},
        {"contact-name", K::kLine, false},
        {"account", K::kLine, false},
        {"queue", K::kLine, false},
        {"priority", K::kLine, false},
        {"product", K::kLine, false}},
       [](const Fields& f) -> CommandBody {
         return CreateCase{one(f, "subject"),      one(f, "description"), one(f, "contact-email"),
                           one(f, "contact-name"), one(f, "account"),     one(f, "queue"),
                           one(f, "priority"),     one(f, "product")};
       }},
      {"add-comment",
       {{"case", K::kLine, true}, {"text", K::kText, true}, {"visibility", K::kLine, false}},
       [](const Fields& f) -> CommandBody {
         return AddComment{one(f, "case"), one(f, "text"), one(f, "visibility") != "internal"};
       }},
      {"update-case",
       {{"case", K::kLine, true},
        {"status", K::kLine, false},
        {"priority", K::kLine, false},
        {"queue", K::kLine, false},
        {"owner", K::kLine, false},
        {"product", K::kLine, false},
        {"stage", K::kLine, false}},
       [](const Fields& f) -> CommandBody {
         return UpdateCase{one(f, "case"),    maybe(f, "status"),  maybe(f, "priority"), maybe(f, "queue"),
                           maybe(f, "owner"), maybe(f, "product"), maybe(f, "stage")};
       }},
      {"add-contact",
       {{"name", K::kLine, true},
        {"email", K::kEmails, true},
        {"account", K::kLine, false},
        {"language", K::kLine, false}},
       [](const Fields& f) -> CommandBody {
         return AddContact{one(f, "name"), all(f, "email"), one(f, "account"), one(f, "language")};
       }},
      {"add-account",
       {{"name", K::kLine, true}, {"email", K::kEmails, false}, {"support-level", K::kLine, false}},
       [](const Fields& f) -> CommandBody {
         return AddAccount{one(f, "name"), all(f, "email"), one(f, "support-level")};
       }},
      {"close-case",
       {{"case", K::kLine, true}, {"comment", K::kText, false}, {"visibility", K::kLine, false}},
       [](const Fields& f) -> CommandBody {
         return CloseCase{one(f, "case"), maybe(f, "comment"), one(f, "visibility") != "internal"};
       }},
  };
  return v;
}

// Why a value does not fit its field; empty when it does.
std::string check_value(const FieldSpec& spec, const std::string& v) {
  const std::string name(spec.name);
  switch (spec.kind) {
    case FieldKind::kText:
      if (v.size() > kMaxTextBytes) return name + ": longer than " + std::to_string(kMaxTextBytes) + " bytes";
      if (!text::is_clean_text(v, false)) return name + ": control characters or invalid UTF-8";
      return "";
    case FieldKind::kLine:
      if (v.size() > kMaxFieldBytes)
        return name + ": longer than " + std::to_string(kMaxFieldBytes) + " bytes";
      if (!text::is_clean_text(v, true)) return name + ": one line without control characters";
      if (name == "visibility" && v != "public" && v != "internal") return name + ": public or internal";
      if (name == "status" && v != "open" && v != "resolved" && v != "closed")
        return name + ": open, resolved or closed";
      return "";
    case FieldKind::kEmail:
    case FieldKind::kEmails:
      if (v.size() > 254 || !store::is_email_address(text::normalize_email(v)))
        return name + ": not an email address: " + text::make_valid_utf8(v.substr(0, 80));
      return "";
  }
  return "";
}

// The text of a field element: its character data, trimmed; elements inside it are
// an error (a field holds text only).
bool field_text(const pugi::xml_node& n, std::string& out) {
  out.clear();
  for (const auto& c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      out += c.value();
    } else if (c.type() == pugi::node_element) {
      return false;
    }
  }
  out = std::string(text::trim(out));
  return true;
}

std::string safe_name(const char* n) {
  std::string s = text::make_valid_utf8(std::string_view(n).substr(0, 60));
  return text::is_clean_text(s, true) ? s : "?";
}

void read_command(const pugi::xml_node& node, size_t position, Commands& out) {
  const std::string element = safe_name(node.name());
  auto error = [&](std::string message) { out.errors.push_back({position, element, std::move(message)}); };
  const auto& all_specs = specs();
  auto spec = std::find_if(all_specs.begin(), all_specs.end(),
                           [&](const CommandSpec& s) { return s.element == node.name(); });
  if (spec == all_specs.end()) {
    error("unknown command");
    return;
  }
  if (node.first_attribute()) {
    error("attributes are not read: give each field as an element");
    return;
  }
  Fields fields;
  const size_t errors_before = out.errors.size();
  for (const auto& child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!text::trim(child.value()).empty()) error("text outside a field");
      continue;
    }
    if (child.type() != pugi::node_element) continue;  // comments, processing instructions
    auto field = std::find_if(spec->fields.begin(), spec->fields.end(),
                              [&](const FieldSpec& f) { return f.name == child.name(); });
    if (field == spec->fields.end()) {
      error(safe_name(child.name()) + ": unknown field");
      continue;
    }
    std::string value;
    if (!field_text(child, value)) {
      error(std::string(field->name) + ": holds elements; a field holds text only");
      continue;
    }
    auto& values = fields[std::string(field->name)];
    if (!values.empty() && field->kind != FieldKind::kEmails) {
      error(std::string(field->name) + ": given twice");
      continue;
    }
    if (values.size() >= kMaxEmails) {
      error(std::string(field->name) + ": more than " + std::to_string(kMaxEmails));
      continue;
    }
    if (auto why = check_value(*field, value); !why.empty()) {
      error(why);
      continue;
    }
    values.push_back(field->kind == FieldKind::kEmail || field->kind == FieldKind::kEmails
                         ? text::normalize_email(value)
                         : value);
  }
  for (const auto& f : spec->fields) {
    auto it = fields.find(f.name);
    if (f.required && (it == fields.end() || it->second.empty() || it->second.front().empty()))
      error(std::string(f.name) + ": required");
  }
  if (out.errors.size() != errors_before) return;
  out.commands.push_back({position, element, spec->make(fields)});
}

}  // namespace

Commands parse_commands(std::string_view xml) {
  Commands out;
  auto doc_error = [&](std::string message) {
    out.commands.clear();  // one error anywhere, and no command runs
    out.errors.push_back({0, "", std::move(message)});
    return out;
  };
  if (xml.size() > kMaxXmlBytes)
    return doc_error("longer than " + std::to_string(kMaxXmlBytes) + " bytes: not read");
  if (text::trim(xml).empty()) return doc_error("empty: the mail's text holds no XML");
  pugi::xml_document doc;
  // The five predefined entities and character references only: pugixml expands no
  // entity a DOCTYPE declares, and a document with one is refused rather than read with
  // its references left as text.
  const unsigned options = pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol |
                           pugi::parse_wconv_attribute | pugi::parse_doctype;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size(), options, pugi::encoding_utf8);
  if (!parsed) {
    return doc_error(std::string("not well-formed XML: ") + parsed.description() + " at byte " +
                     std::to_string(parsed.offset));
  }
  for (const auto& top : doc.children())
    if (top.type() == pugi::node_doctype) return doc_error("a DOCTYPE is not read: remove it");
  pugi::xml_node root = doc.document_element();
  if (!root || root.name() != kRootElement)
    return doc_error("the root element must be <" + std::string(kRootElement) + ">, not <" +
                     safe_name(root ? root.name() : "") + ">");
  size_t position = 0;
  for (const auto& node : root.children()) {
    if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
      if (!text::trim(node.value()).empty()) return doc_error("text outside a command");
      continue;
    }
    if (node.type() != pugi::node_element) continue;
    if (++position > kMaxCommands)
      return doc_error("more than " + std::to_string(kMaxCommands) + " commands");
    read_command(node, position, out);
  }
  if (position == 0 && out.errors.empty()) return doc_error("no command");
  if (!out.errors.empty()) out.commands.clear();
  return out;
}

std::string_view xml_of_body(std::string_view body) {
  auto start = body.find("<?xml");
  if (start == std::string_view::npos) start = body.find("<" + std::string(kRootElement));
  if (start == std::string_view::npos) return text::trim(body);
  const std::string end_tag = "</" + std::string(kRootElement) + ">";
  auto end = body.rfind(end_tag);
  if (end == std::string_view::npos || end < start) return body.substr(start);
  return body.substr(start, end + end_tag.size() - start);
}

std::string describe(const CommandError& e) {
  if (e.position == 0) return "document: " + e.message;
  return "command " + std::to_string(e.position) + " (" + e.element + "): " + e.message;
}

}  // namespace mailcase::mail_api
