# Fixture, never included: the core must not link libuv
# (CTest: core_purity_flags_every_rule).
target_link_libraries(turnpike_core PRIVATE PkgConfig::LIBUV)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
