# Turns a text file into a C++ source defining one function that returns it, so that
# the binary carries the file and never reads it at run time.
#   cmake -DIN=file -DOUT=file.cpp -DINCLUDE=header.h -DFUNCTION=ns::name -P embed_text.cmake
# The text goes into a raw string literal; a file holding its closing delimiter is refused.
file(READ "${IN}" _text)
set(_delim "mc_embed")
string(FIND "${_text}" ")${_delim}\"" _clash)
if(NOT _clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains )${_delim}\" and cannot be embedded")
endif()
string(REGEX MATCH "^(.*)::([^:]+)$" _ "${FUNCTION}")
set(_ns "${CMAKE_MATCH_1}")
set(_fn "${CMAKE_MATCH_2}")
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by cmake/embed_text.cmake: edit that file, not this one.\n"
  "#include \"${INCLUDE}\"\n\n"
  "namespace ${_ns} {\n\n"
  "std::string_view ${_fn}() {\n"
  "  static constexpr std::string_view kText = R\"${_delim}(${_text})${_delim}\";\n"
  "  return kText;\n"
  "}\n\n"
  "}  // namespace ${_ns}\n")
# Rewritten only when changed, so that an unchanged document recompiles nothing.
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
