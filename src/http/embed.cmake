# Turn a file into a C byte array: cmake -DIN=file -DOUT=file.c -P embed.cmake
# SPDX-License-Identifier: AGPL-3.0-or-later
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from docs/openapi.json by src/http/embed.cmake. */\n#include <stddef.h>\n"
  "const unsigned char es_openapi_json[] = {${bytes}0x00};\n"
  "const size_t es_openapi_json_len = ${len};\n")
