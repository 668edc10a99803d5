# Read by cpack (CPACK_PROJECT_CONFIG_FILE): a .deb installs under /usr, its
# configuration in /etc and its unit in /lib/systemd/system. A build
# configured for another prefix would package /usr/local/etc/... paths that
# the unit and the conffiles would not match, so it is refused here.
if(CPACK_GENERATOR STREQUAL "DEB" AND
   NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR
    "the .deb must be built with CMAKE_INSTALL_PREFIX=/usr (this build has "
    "${CPACK_PACKAGING_INSTALL_PREFIX}); configure with "
    "cmake --preset release -DCMAKE_INSTALL_PREFIX=/usr, or run "
    "scripts/package.sh")
endif()
