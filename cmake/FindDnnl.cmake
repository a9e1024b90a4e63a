# oneDNN's own headers, for the Winograd RRDBNet trunk (src/nn/winograd_trunk.cpp). Only oneDNN 2.x,
# the version Debian's libtorch links (libdnnl-dev); without it the trunk runs through ATen.
# Sets UPRES_WITH_DNNL, DNNL_INCLUDE_DIR, DNNL_LIBRARY.
option(UPRES_WITH_DNNL "Use oneDNN directly for Winograd convolutions in fp32 RRDBNet" ON)
if(UPRES_WITH_DNNL)
  find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(DNNL_LIBRARY dnnl)
  set(_dnnl_major "")
  if(DNNL_INCLUDE_DIR AND EXISTS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h")
    file(STRINGS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" _dnnl_line REGEX "#define DNNL_VERSION_MAJOR ")
    string(REGEX REPLACE ".*DNNL_VERSION_MAJOR +([0-9]+).*" "\\1" _dnnl_major "${_dnnl_line}")
  endif()
  if(DNNL_LIBRARY AND _dnnl_major STREQUAL "2")
    message(STATUS "oneDNN 2.x found (${DNNL_LIBRARY}): fp32 RRDBNet uses Winograd convolutions")
  else()
    message(STATUS "oneDNN 2.x headers not found (Debian: libdnnl-dev): fp32 RRDBNet runs through ATen only")
    set(UPRES_WITH_DNNL OFF CACHE BOOL "Use oneDNN directly for Winograd convolutions in fp32 RRDBNet" FORCE)
  endif()
endif()
