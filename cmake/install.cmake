# Installation: headers, the library, the CLI (src/cli), a CMake package (upres::upres) and upres.pc.
include(CMakePackageConfigHelpers)

install(FILES include/upres/upres.h include/upres/upres.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/upres)
install(TARGETS upres EXPORT upresTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(UPRES_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/upres)
install(EXPORT upresTargets NAMESPACE upres:: DESTINATION ${UPRES_CMAKE_DIR})

configure_package_config_file(cmake/upresConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/upresConfig.cmake
  INSTALL_DESTINATION ${UPRES_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/upresConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/upresConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/upresConfigVersion.cmake
  DESTINATION ${UPRES_CMAKE_DIR})

if(UPRES_SHARED)
  set(UPRES_PC_PRIVATE_LIBS "")
else()
  set(UPRES_PC_PRIVATE_LIBS "-lstdc++ -lpthread -lm -lz")
  if(UPRES_WITH_TORCH)
    string(APPEND UPRES_PC_PRIVATE_LIBS " -ltorch -ltorch_cpu -lc10")
    if(UPRES_WITH_DNNL)
      string(APPEND UPRES_PC_PRIVATE_LIBS " -ldnnl")
    endif()
  endif()
  if(UPRES_WITH_VIPS)
    string(APPEND UPRES_PC_PRIVATE_LIBS " -lvips -lgobject-2.0 -lglib-2.0")
  endif()
endif()
file(RELATIVE_PATH UPRES_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(cmake/upres.pc.in ${CMAKE_CURRENT_BINARY_DIR}/upres.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/upres.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
