# Finds Debian's libcivetweb-dev and defines Civetweb::civetweb.
#
# Debian 12's own civetweb-config.cmake cannot be used: it also exports
# civetweb::server, which points at /usr/bin/civetweb (a program the -dev
# package does not install), and CMake refuses the whole file. The package
# ships no .pc file either, so the header and the library are found here.
find_path(Civetweb_INCLUDE_DIR civetweb.h)
find_library(Civetweb_LIBRARY NAMES civetweb)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Civetweb
  REQUIRED_VARS Civetweb_LIBRARY Civetweb_INCLUDE_DIR)
if(Civetweb_FOUND AND NOT TARGET Civetweb::civetweb)
  add_library(Civetweb::civetweb UNKNOWN IMPORTED)
  set_target_properties(Civetweb::civetweb PROPERTIES
    IMPORTED_LOCATION "${Civetweb_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Civetweb_INCLUDE_DIR}")
endif()
mark_as_advanced(Civetweb_INCLUDE_DIR Civetweb_LIBRARY)
